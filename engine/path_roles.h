// The engine's one rule across steps about paths (breakV V5): a path one step guards — it
// replaces it only after its own checks pass, as restore does its target — is written by no
// other parameter of the runbook: not as the same file, not inside a folder another step
// writes into. Otherwise a refused restore could say "target untouched" while another step's
// unchecked file (integrity-check's kept copy) sits there as the live database.
//
// Steps say what they do at a path with ParamSpec::path_role; this file knows no step. It is
// checked at load (literal values, and `${{ params.x }}` with its default), and again on the
// resolved values as each step starts (executor), where the step fails before it acts.
// Writers keep apart too: no step writes at a name another keeps beside its file, nor inside
// a folder another writes into (breakAA A2).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/model.h"
#include "engine/util/value.h"

namespace runbook {

// One parameter naming a local path, with what its step does there.
struct RolePath {
  int step = -1;      // index in Runbook::steps
  std::string param;  // the parameter's name
  PathRole role = PathRole::kNone;
  std::string path;                        // as resolved: absolute, or relative to the run's base
  std::vector<std::string> beside = {};    // suffixes of names also written beside (ParamSpec)
  std::vector<std::string> names_in = {};  // kWritesIn: the names it writes in (ParamSpec)
  std::string shared_as = "";  // kWritesFile: the kind of file it shares ("": none; ParamSpec)
  bool in_turn = false;        // sharers of it take turns (ParamSpec::shared_in_turn)
  bool remote = false;  // starts with the parameter's remote_prefix: compared with remote ones
  // remote: the service, as ParamSpec::remote_scope_key makes its parameter's value (a value
  // holding the redaction mask stays as it is: it cannot be known); and that value as written.
  std::string remote_scope = "";
  std::string scope_text = "";
};

// What names `p` whole, as written: its path, and for a remote one its service parameter's
// value before it ("http://127.0.0.1:9000 s3://b/p"). Keyed fingerprints of masked paths are
// of this (breakEE E5); a fingerprint holds only text that holds a secret (Redactor).
std::string PathIdentity(const RolePath& p);
// A part of what names `p` holds the redaction mask (a resume's record of a secret's text).
bool IdentityMasked(const RolePath& p);

// The paths `params` (one step's values: resolved, or literal at load) name with a role.
// Skips values that are not strings or empty; one starting with the parameter's remote_prefix
// (s3-sync's "s3://") is `remote`, compared only with remote ones (PathClash); any other value
// is a local path ("x://d" too: breakW W1).
std::vector<RolePath> RolePathsOf(int step, const StepSpec& spec, const Value::Map& params);

// Why `written` and `guarded` clash: one name of each is the same path (a path's names are
// itself and itself plus each of its `beside` suffixes: "w.db.integrity-check" is one of
// "w.db"'s; breakW W2), or `guarded` inside the folder `written` writes into (kWritesInside),
// or directly in the folder `written` writes files in (kWritesIn: backup's dest).
// Two guards (both kGuards) clash when a name of one is a name the other keeps beside it
// (one restore's target at another's -wal: breakY Y13); the same path twice does not.
// Two writers likewise (an archive over flag-update's .history.jsonl: breakAA A2), and when a
// name of one is inside a folder the other writes inside (kWritesInside: s3-sync's dest, which
// may delete what its source lacks), or a file the other writes in its folder (kWritesIn with
// names_in: backup's dumps); the same path written by both clashes unless they share it (two
// kWritesIn folders; two kWritesFile of one shared_as: two flag-updates, hash's and s3-sync's
// inventory), as a file one writes whole over another's kind of file (breakBB2 F2) and a
// folder one deletes in (F8) do. Any pair clashes when a name of one lies under a name the
// other writes or guards as a file (F10: "<target>-wal/x" makes a folder of the WAL's name).
// Symmetric for two guards and for two writers.
// Relative paths are taken against `base` (an absolute folder); with `resolve_links`, symbolic
// links in the existing part of each path are followed (a run) — else the comparison is lexical
// (load). nullopt when they are apart, or when `written` guards and `guarded` writes.
std::optional<std::string> PathClash(const RolePath& written, const RolePath& guarded,
                                     const std::string& base, bool resolve_links);

// Two steps that share one path must take turns: two guards of it (one target restored twice:
// breakDD D11) or two writers of a kind shared in turn (ParamSpec::shared_in_turn: breakDD
// D10, two integrity-checks of one workspace). They clash unless one comes after the other:
// through `needs` (transitively), a `finally` step after the main ones, or a runbook with
// `max_parallel: 1`. The message, said from `a`'s side; nullopt when apart or in turn.
std::optional<std::string> TurnClash(const Runbook& rb, const RolePath& a, const RolePath& b,
                                     const std::string& base, bool resolve_links);

// The message for a clash, said from `at`'s side (the writer or the guard), naming the other
// step: "parameter 'workspace' writes a path that step 'restore' as 'target' guards (...)".
std::string ClashMessage(const Runbook& rb, const RolePath& at, const RolePath& other,
                         const std::string& how);

// Load: the clashes among the values known before a run (literals, and whole
// `${{ params.NAME }}` with a default), each reported at the writer's parameter. `base` is
// where a run would resolve relative paths (the runbook's folder and working_directory).
struct LoadClash {
  int step;
  std::string param;
  std::string message;
};
std::vector<LoadClash> LoadTimeClashes(const Runbook& rb, const std::string& base);

// Run: what `step`'s (at `index`) role parameters give in `scope`, which the caller has set
// to that step (its own `env` included), before it starts; those not resolvable yet (they
// read outputs of steps still to run) are left out, the guarding ones among them named in
// `unknown_guards` (when given).
// Likewise its reads not known yet go to `unknown_reads` (when given).
std::vector<RolePath> PeekRolePaths(const StepDecl& step, int index, const EvalScope& scope,
                                    std::vector<std::string>* unknown_guards = nullptr,
                                    std::vector<std::string>* unknown_reads = nullptr);

// Run: the first clash between `mine` (the resolved paths of the step about to start) and
// `others` (every other step's: as they started, else as peeked) or another of `mine`, either
// way round, said from `mine`'s side and located where its parameter is written; "" when
// there is none. Links are followed; relative paths are against `base`.
std::string FirstClash(const Runbook& rb, const std::vector<RolePath>& mine,
                       const std::vector<RolePath>& others, const std::string& base);

// Resume: the clash of `mine` with a step carried over whose recorded path is not known (it was
// recorded masked and this resume cannot prove which path it was: breakBB2 F7): any pair but
// two guards and reads — a writer beside a carried guard, a guard beside a carried writer, a
// writer beside a carried writer (breakCC C6, breakDD D6: a second archive replaced the
// carried ticket zip) — fails, said
// from `mine`'s side and located at its parameter, naming --rerun of the carried step, whose
// index goes to `carried`; "" when none.
std::string UnknownCarriedClash(const Runbook& rb, const std::vector<RolePath>& mine,
                                const std::vector<RolePath>& unknown_carried, int* carried);

}  // namespace runbook
