#include "serve/kept_params.h"

#include <algorithm>
#include <iostream>
#include <sstream>

#include "engine/redact.h"
#include "engine/util/clock.h"
#include "engine/util/json.h"
#include "engine/util/private_file.h"
#include "engine/util/time_format.h"
#include "serve/run_log.h"
#include "serve/starting_runs.h"

namespace runbook {
namespace {

std::string TextOf(const Value& body, const char* key) {
  const Value* v = body.Find(key);
  return v != nullptr && v->is_string() ? v->as_string() : "";
}

}  // namespace

Status WriteKeptParams(const std::string& path, const KeptParams& kept) {
  Value body(Value::Map{{"params", Value(kept.params)},
                        {"withheld", StringsValue(kept.withheld)},
                        {"lost", StringsValue(kept.lost)},
                        {"masks", Value(kept.masks)},
                        {"fingerprints", Value(kept.fingerprints)},
                        {"accepted", Value(kept.accepted)},
                        {"accepted_at", Value(kept.accepted_at)},
                        {"kept_at", Value(kept.kept_at)},
                        {"lock", Value(kept.lock)},
                        {"runbook", Value(kept.runbook)},
                        {"trigger", kept.trigger}});
  return WritePrivateFile(path, ToJson(body) + "\n");
}

void KeepParams(const std::string& path, const Value::Map& params, const Redactor& redactor,
                const std::optional<Acceptance>& acceptance, const std::string& fingerprint_key) {
  KeptParams kept;
  Redactor keyed = redactor;  // as AuditJournal::Keyed fingerprints them
  keyed.SetFingerprintKey(fingerprint_key);
  for (const auto& [name, value] : params) {
    if (redactor.Apply(value) == value) {
      kept.params[name] = value;
      continue;
    }
    kept.withheld.push_back(name);
    kept.masks[name] = redactor.Apply(value);
    if (!fingerprint_key.empty()) kept.fingerprints[name] = Value(keyed.Fingerprint(ToJson(value)));
  }
  kept.kept_at = FormatUtc(SystemClock().WallNow());
  if (acceptance) {
    kept.accepted = true;
    kept.accepted_at = acceptance->accepted_at;
    kept.lock = acceptance->lock;
    kept.runbook = acceptance->runbook;
    kept.trigger = acceptance->trigger;
  }
  if (Status s = WriteKeptParams(path, kept); !s.ok())
    std::cerr << "runbook: warning: " << s.message()
              << " (a helper started after a restart would not have the params)\n";
}

std::optional<KeptParams> ReadKeptParams(const std::string& path) {
  auto text = ReadPrivateFile(path);
  if (!text) return std::nullopt;
  auto body = ParseJson(*text);
  if (!body.ok() || !body.value().is_map()) return std::nullopt;
  const Value* params = body.value().Find("params");
  auto withheld = StringsOf(body.value().Find("withheld"));
  const Value* lost_names = body.value().Find("lost");
  auto lost = lost_names != nullptr ? StringsOf(lost_names) : std::vector<std::string>();
  if (params == nullptr || !params->is_map() || !withheld || !lost) return std::nullopt;
  KeptParams out;
  out.withheld = *withheld;
  out.lost = *lost;
  out.params = params->as_map();
  // Only a mask of a withheld name, and only a mask: a value that is its own mask was never
  // one (a file planted with a secret's text in it is not taken).
  if (const Value* masks = body.value().Find("masks"); masks != nullptr && masks->is_map())
    for (const auto& [name, mask] : masks->as_map())
      if (std::find(out.withheld.begin(), out.withheld.end(), name) != out.withheld.end() &&
          mask.is_string() && mask.as_string().find(kMask) != std::string::npos)
        out.masks[name] = mask;
  if (const Value* prints = body.value().Find("fingerprints");
      prints != nullptr && prints->is_map())
    for (const auto& [name, print] : prints->as_map())
      if (out.masks.count(name) != 0 && print.is_string() && !print.as_string().empty())
        out.fingerprints[name] = print;
  const Value* accepted = body.value().Find("accepted");  // absent: kept by an older helper
  out.accepted = accepted != nullptr && accepted->is_bool() && accepted->as_bool();
  // Not a time (or absent: kept by an older run): the helper's own time, as before.
  out.accepted_at = TextOf(body.value(), "accepted_at");
  if (!ParseUtc(out.accepted_at)) out.accepted_at.clear();
  out.kept_at = TextOf(body.value(), "kept_at");
  if (!ParseUtc(out.kept_at)) out.kept_at.clear();
  out.lock = TextOf(body.value(), "lock");
  out.runbook = TextOf(body.value(), "runbook");
  if (const Value* trigger = body.value().Find("trigger"); trigger != nullptr && trigger->is_map())
    out.trigger = *trigger;
  return out;
}

RequestJudgement JudgeRequest(const std::optional<KeptParams>& kept, const std::string& log_path) {
  if (kept) return kept->accepted ? RequestJudgement::kTaken : RequestJudgement::kRefused;
  constexpr size_t kMaxRead = 64 * 1024;  // a run that never began said little
  // Serve makes the log before the run starts: one missing was lost with the rest.
  const std::string log = RunOwnOutput(log_path, kMaxRead).value_or("");
  if (log.find("\nrunbook: error: ") != std::string::npos || log.rfind("runbook: error: ", 0) == 0)
    return RequestJudgement::kRefused;
  return WaitingLine(log).empty() ? RequestJudgement::kTakenIfReadable : RequestJudgement::kTaken;
}

bool RequestTaken(const std::optional<KeptParams>& kept, const std::string& log_path) {
  return JudgeRequest(kept, log_path) != RequestJudgement::kRefused;
}

}  // namespace runbook
