#include "cli/resume_place.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <system_error>
#include <vector>

#include "cli/run_place.h"
#include "engine/redact.h"
#include "engine/runbook_place.h"
#include "engine/util/strings.h"

namespace runbook {
namespace fs = std::filesystem;

namespace {

// The base `rb`'s working_directory gives when its file is at `path`.
Result<std::string> BaseAt(const std::string& path, const Runbook& rb) {
  Runbook at;
  at.source.path = path;
  at.working_directory = rb.working_directory;
  return RunbookBase(at);
}

std::string Real(const std::string& path) {
  std::error_code ec;
  fs::path real = fs::canonical(path, ec);
  return ec ? "" : real.string();
}

// `masked` with each "***" (at most two) replaced by `values`, into `out`: the candidates.
void Unmaskings(const std::string& masked, const std::vector<std::string>& values, int depth,
                std::vector<std::string>& out) {
  size_t at = masked.find(kMask);
  if (at == std::string::npos) return out.push_back(masked);
  if (depth == 2) return;
  for (const std::string& v : values) {
    std::string next = masked;
    next.replace(at, std::string(kMask).size(), v);
    Unmaskings(next, values, depth + 1, out);
  }
}

// The path `key` of `r` as recorded; where it was recorded masked (a secret's text in a
// folder's name: breakCC C12, the printed "to continue" command failed as if the runbook had
// moved), the path that exists when each "***" is one of this process's environment values
// (where secrets come from), that value shown nowhere; the recorded text when none does.
std::string RecordedPath(const RunRecord& r, const char* key) {
  std::string recorded = r.Path(key);
  if (recorded.find(kMask) == std::string::npos) return recorded;
  std::vector<std::string> values;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view kv(*e);
    size_t eq = kv.find('=');
    if (eq != std::string_view::npos && kv.size() - eq - 1 >= kMinSecretLength)
      values.emplace_back(kv.substr(eq + 1));
  }
  std::vector<std::string> candidates;
  Unmaskings(recorded, values, 0, candidates);
  std::error_code ec;
  for (const std::string& c : candidates)
    if (fs::exists(c, ec)) return c;
  return recorded;
}

}  // namespace

Result<ResumeFile> ResumeRunbookFile(const RunRecord& r, const std::string& flag,
                                     const std::string& audit_db) {
  std::string recorded = RecordedPath(r, "path");
  std::error_code ec;
  bool there = fs::is_regular_file(recorded, ec);
  // A file named while the recorded one is still there is a copy or a link, not a move
  // (breakL L4): the run's base stays.
  if (!flag.empty()) return ResumeFile{flag, !there};
  // The record chose this file, and a store may hold another account's runs: running that
  // account's file as this one is refused until the operator names it (breakO O9).
  if (std::string why = there ? ForeignPath(recorded, true) : ""; !why.empty())
    return Status::Error("the runbook of run " + r.run_id + ": " + why +
                         "; a resume would run it as you. Check it, then name it: runbook "
                         "resume " +
                         r.run_id + " --runbook " + ShellQuote(recorded) + " --audit-db " +
                         ShellQuote(audit_db));
  if (there) return ResumeFile{recorded, false};
  return Status::Error("the runbook of run " + r.run_id + " was " + Printable(recorded) +
                       ", which cannot be read now" + (ec ? " (" + ec.message() + ")" : "") +
                       "; if it moved, name it: runbook resume " + r.run_id +
                       " --runbook FILE --audit-db " + ShellQuote(audit_db) +
                       " (its sha256 must be the recorded one, " +
                       r.Text("runbook_sha256").substr(0, 12) + ")");
}

Result<std::string> ResumeBase(const RunRecord& r, const Runbook& rb, const ResumeFile& file,
                               bool force, std::string& notice, const std::string& force_how) {
  notice.clear();
  std::string recorded = RecordedPath(r, "base");
  if (recorded.empty()) return RunbookBase(rb);  // recorded before bases were kept
  if (file.moved) {
    auto own = RunbookBase(rb);
    if (own.ok() && own.value() != recorded)
      notice = "run " + r.run_id + " ran in " + Printable(recorded) + "; the runbook moved, so " +
               "this resume runs in " + Printable(own.value()) + ", its base at its new place";
    return own;
  }
  std::error_code ec;
  if (!fs::is_directory(recorded, ec))
    return Status::Error("run " + r.run_id + " ran in " + Printable(recorded) +
                         ", which is no longer a folder; the outputs it carries over name " +
                         "files there");
  // The same path may lead elsewhere now (a folder replaced by a link, breakL L8).
  std::string was_real = RecordedPath(r, "base_real"), now_real = Real(recorded);
  if (!was_real.empty() && now_real != was_real) {
    std::string moved = Printable(recorded) + " now leads to " + Printable(now_real) + "; run " +
                        r.run_id + " ran in " + Printable(was_real) +
                        " (the outputs it carries over name files there)";
    if (!force) return Status::Error(moved + "; resume with " + force_how + " to run there anyway");
    notice = moved + "; resuming there anyway (" + force_how + ")";
    return recorded;
  }
  // What the runbook alone gives, from where the run read it (not through a link to it).
  auto own = BaseAt(RecordedPath(r, "path"), rb);
  if (!own.ok() || own.value() != recorded)
    notice = "the runbook's working_directory now gives " +
             (own.ok() ? Printable(own.value()) : std::string("no folder")) + "; resuming in " +
             Printable(recorded) + ", where run " + r.run_id +
             " ran (the outputs it carries over name files there)";
  return recorded;
}

namespace {

// `p` made lexical: `.` and `..` resolved, no trailing slash (but "/").
fs::path Lexical(const std::string& p) {
  fs::path normal = fs::path(p).lexically_normal();
  return normal.has_filename() || normal == normal.root_path() ? normal : normal.parent_path();
}

// `s` under `from` (both lexical), as the part below it ("" when `s` is `from`); nullopt
// when `s` is not `from` or a path under it.
std::optional<fs::path> Below(const fs::path& s, const fs::path& from) {
  auto [end_from, end_s] = std::mismatch(from.begin(), from.end(), s.begin(), s.end());
  if (end_from != from.end()) return std::nullopt;
  fs::path rest;
  for (auto it = end_s; it != s.end(); ++it) rest /= *it;
  return rest;
}

// A string that names a path at or under one of `froms` is rewritten under `to`, compared
// and joined as paths, not text (breakN N4: "OLD/../x" became "NEW//../x", which named the
// old place again, and a slash was doubled).
size_t Reroot(Value& v, const std::vector<std::string>& froms, const std::string& to) {
  if (v.is_string()) {
    const std::string& s = v.as_string();
    if (s.empty() || s[0] != '/') return 0;
    fs::path path = Lexical(s), target = Lexical(to);
    for (const std::string& raw : froms) {  // the first that matches, once
      if (raw.empty()) continue;
      fs::path from = Lexical(raw);
      if (from == from.root_path() || from == target) continue;
      auto rest = Below(path, from);
      if (!rest) continue;
      v = Value((rest->empty() ? target : target / *rest).string());
      return 1;
    }
    return 0;
  }
  size_t n = 0;
  if (v.is_list()) {
    Value::List items = v.as_list();
    for (Value& item : items) n += Reroot(item, froms, to);
    if (n > 0) v = Value(std::move(items));
  } else if (v.is_map()) {
    Value::Map entries = v.as_map();
    for (auto& [key, item] : entries) n += Reroot(item, froms, to);
    if (n > 0) v = Value(std::move(entries));
  }
  return n;
}

}  // namespace

size_t RerootOutputs(Value::Map& outputs, const std::vector<std::string>& froms,
                     const std::string& to) {
  size_t n = 0;
  for (auto& [name, value] : outputs) n += Reroot(value, froms, to);
  return n;
}

namespace {

bool Idempotent(const Runbook& rb, const std::string& id) {
  const StepDecl* s = rb.FindStep(id);
  return s != nullptr && s->Idempotent();
}

// `from` and every step that needs one of them, transitively.
std::set<std::string> WithDownstream(const Runbook& rb, std::set<std::string> from) {
  for (bool grew = true; grew;) {
    grew = false;
    for (const StepDecl& s : rb.steps)
      for (const std::string& need : s.needs)
        if (from.count(need) && from.insert(s.id).second) grew = true;
  }
  return from;
}

}  // namespace

Result<std::vector<std::string>> RunAgainAtNewPlace(const Runbook& rb,
                                                    std::map<std::string, PriorStep>& prior) {
  std::set<std::string> writers;
  for (const auto& [id, step] : prior) {
    const StepDecl* s = rb.FindStep(id);
    if (s != nullptr && s->type != nullptr && s->Idempotent(Value(step.params)) &&
        s->type->spec().side_effects >= SideEffects::kWrite)
      writers.insert(id);
  }
  std::vector<std::string> again, stuck;
  for (const std::string& id : WithDownstream(rb, writers)) {
    if (!prior.count(id)) continue;  // not carried: it runs anyway
    (Idempotent(rb, id) ? again : stuck).push_back(id);
  }
  if (!stuck.empty())
    return Status::Error(
        "the checkout moved: carried step(s) " + Join(again, ", ") +
        " wrote files at the old place, which may name it, and must run again here, but step(s) " +
        Join(stuck, ", ") +
        " after them passed and are not idempotent, so a resume cannot run them again; start a "
        "new run at the new place: runbook run " +
        ShellQuote(AbsoluteFromHere(rb.path())));
  for (const std::string& id : again) prior.erase(id);
  return again;
}

}  // namespace runbook
