// The params a run under runbook serve keeps beside its log, `<log_dir>/<run id>.params`
// (Launcher::ParamsOf): written by the run once its request is taken, before it may wait for
// its lock or the store, then by its lost-run helpers for the next (cli/run_lost.cpp), so that
// a run the store does not have (refused before it started, or killed before it recorded its
// start) is recorded and told with its own params, never its defaults (breakRR RR5, breakZZ
// ZZ5, breakBB BB4), and serve still knows an accepted run whose `.running` marker was lost
// (Launcher::AcceptedRun, breakCC CC2). One JSON object, written whole (engine/util/
// private_file.h, 0600): {"params": {...}, "withheld": [names], "lost": [names], "accepted":
// bool, "accepted_at": UTC text, "kept_at": UTC text, "lock": text, "runbook": name,
// "trigger": {...}}.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/util/status.h"
#include "engine/util/value.h"

namespace runbook {

class Redactor;

struct KeptParams {
  // The values of the params not withheld, as bound.
  Value::Map params;
  // Params that have no value here, by name only: one whose value holds a secret's text
  // (never written), and each of `lost`. Recorded masked; a resume asks for them again.
  std::vector<std::string> withheld;
  // Of `withheld`, those whose value was lost (this file missing or damaged when the helper
  // needed it): nothing can be checked about the value a resume is given for them.
  std::vector<std::string> lost;
  // Of `withheld` for a secret's text, each value as the store records it masked ("tok-***":
  // the run's redactor applied), so that a resume tells the value given again by its mask as
  // for any masked param (newcomer round of issue 16: recorded "***", the true value was
  // refused and another one, masking to "***", taken).
  Value::Map masks;
  // Of those, each value's keyed fingerprint (the store's key, as run_started's
  // masked_param_fingerprints): a resume then tells the very value, not only its mask
  // (breakEE EE2: a rotated secret, or another secret of the runbook, passed by its mask).
  Value::Map fingerprints;
  // Kept by the run itself once its request was taken (its flags, params and secrets good),
  // before it may wait for its lock or the store: killed from then on before it recorded its
  // start, it is a run that never began, not one refused (breakZZ ZZ5). False when a helper
  // kept them.
  bool accepted = false;
  // Of an accepted run: when its request was taken (FormatUtc's UTC text), and the lock it
  // resolved (masked, as recorded; "" for none). A helper records a run that never began with
  // them (breakBB BB2: it was dated when the helper recorded it, its lock recorded as none).
  std::string accepted_at;
  std::string lock;
  // When they were kept (FormatUtc's UTC text; "" when not said, by an older version): by the
  // run, its acceptance; by a lost-run helper, its first attempt, right after the run ended.
  // A refused run its helper records later (the store would not take it at first) is dated
  // then, and so are the pages sent meanwhile (breakFF FF4: dated when the record was made).
  std::string kept_at;
  // Of an accepted run: its runbook's name and its trigger (a map; null when not kept), so
  // that serve still knows the run when its `.running` marker is lost or damaged.
  std::string runbook;
  Value trigger;
};

// The acceptance a run keeps with its params (KeptParams' fields of the same names).
struct Acceptance {
  std::string accepted_at;
  std::string lock;
  std::string runbook;
  Value trigger;
};

// Replaces `path` with `kept` (0600, whole or not at all). Errors: said with the path.
Status WriteKeptParams(const std::string& path, const KeptParams& kept);

// Writes `params` to `path`, those `redactor` masks withheld (their masks kept, and their
// fingerprints keyed by `fingerprint_key`, the store's, when given); accepted (by the run
// itself) with `acceptance` when given, else kept by a helper. A failure is said on stderr as a
// warning.
void KeepParams(const std::string& path, const Value::Map& params, const Redactor& redactor,
                const std::optional<Acceptance>& acceptance,
                const std::string& fingerprint_key = "");

// The params at `path`; nullopt when there are none, it is a symlink or not whole. Fields
// absent (kept by an older version) read as their defaults; an accepted_at that is no time
// as "".
std::optional<KeptParams> ReadKeptParams(const std::string& path);

// How a run serve started that left no record in the store is judged from what it left, one
// rule for its lost-run helper (cli/run_lost.cpp NeverBegan) and serve's words of it
// (restart.cpp): its kept params `kept` (ReadKeptParams), else its own output at `log_path`
// (serve/run_log.h: never a helper's).
enum class RequestJudgement {
  // Its kept params say accepted, or, none readable, its output says it waited for its lock
  // or the store (past its checks): killed then, it never began (breakZZ ZZ5, breakFF FF5).
  kTaken,
  // Nothing kept and its output says neither (serve killed in the moment before the run kept
  // them, after its 201): taken when its secrets can be read now, else refused (breakCC CC4,
  // breakDD DD1, breakEE EE1).
  kTakenIfReadable,
  // A helper kept them (not accepted), or its output says it refused ("runbook: error: ").
  kRefused,
};
RequestJudgement JudgeRequest(const std::optional<KeptParams>& kept, const std::string& log_path);

// JudgeRequest is not kRefused: the run is taken as having had its request accepted.
bool RequestTaken(const std::optional<KeptParams>& kept, const std::string& log_path);

}  // namespace runbook
