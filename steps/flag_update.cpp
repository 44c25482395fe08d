// flag-update: sets a feature flag's rollout in a JSON flags file (the seed's
// config/flags.json), atomically and under a lock, changing only that number; keeps a
// history beside the file so a rollback can return to the previous or the last good value.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "engine/plugin/registry.h"
#include "engine/util/json.h"
#include "engine/util/own_file.h"
#include "engine/util/strings.h"
#include "engine/util/time_format.h"
#include "steps/common/files.h"
#include "steps/common/json_edit.h"
#include "steps/common/lock_beside.h"
#include "steps/common/safe_path.h"
#include "steps/common/spec_builder.h"
#include "steps/common/stop.h"

namespace runbook {
namespace {

StepSpec MakeSpec() {
  StepSpec s;
  s.type = "flag-update";
  s.summary = "set a flag's rollout in config/flags.json atomically; roll back to the last good";
  s.description =
      "The flag is an object at the top level of `file` or under `flags`, its percentage in "
      "`rollout`. Sets `rollout: 0..100`, or `rollback: previous` (the value before the last "
      "change) or `last_good` (the last value marked good with `mark_good: true`). Only that "
      "number changes in the file (formatting, order and every other value kept); the write "
      "is atomic under a lock, and each change is appended to `<file>.history.jsonl`. "
      "Idempotent, except `rollback: previous`: run twice, the second rolls back the first, "
      "and the rollout it undid is live again; a resume asks before running it again after a "
      "kill (--rerun), and plan marks it not idempotent. Run again by a resume (or a retry) after "
      "its change landed, it finds its own history entry (same step, this run or one it resumes) "
      "and reports that change instead of making another.";
  s.params = {
      Param("file", ParamType::kString, "the flags file")
          .Path(PathRole::kWritesFile)
          .Beside({".lock", ".history.jsonl"})
          .SharedAs("flags file")
          .Default(Value("config/flags.json")),
      Param("flag", ParamType::kString, "the flag's key, e.g. flag.analyticsIngest").Required(),
      Param("rollout", ParamType::kInteger, "the new percentage").Min(0).Max(100),
      Param("rollback", ParamType::kString, "return to an earlier value")
          .Enum({"previous", "last_good"}),
      Param("mark_good", ParamType::kBoolean, "mark the (new) current value good")
          .Default(Value(false)),
  };
  s.outputs = {Output("previous", ParamType::kInteger, "the rollout before this step"),
               Output("rollout", ParamType::kInteger, "the rollout now")};
  s.side_effects = SideEffects::kWrite;
  s.idempotent = true;
  return s;
}

struct History {
  std::optional<int64_t> previous;   // "from" of the last change
  std::optional<int64_t> last_good;  // the last value marked good
  // The flag's last entry: which run and step wrote it, from what to what.
  std::string last_run, last_step;
  std::optional<int64_t> last_from, last_to;
};

// Opens the history or lock file `path` as the step's own file (engine/util/own_file.h:
// no link followed, no FIFO, no second hard link), owned by the returned UniqueFd. A file
// it creates gets `mode` (less the umask).
Result<UniqueFd> OwnFd(const std::string& path, int flags, int mode = 0600) {
  auto fd = OpenOwnFile(path, flags, static_cast<mode_t>(mode));
  if (!fd.ok()) return fd.status();
  return UniqueFd(fd.value());
}

// The history's text; "" when there is none yet.
Result<std::string> ReadHistoryText(const std::string& path) {
  auto fd = OwnFd(path, O_RDONLY);
  if (!fd.ok()) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0 && errno == ENOENT) return std::string();
    return fd.status();
  }
  return ReadWholeFile("/proc/self/fd/" + std::to_string(fd.value().get()), 64u << 20);
}

// `v` as a rollout: a whole number from 0 to 100 (1e2 is 100); nullopt for anything else —
// a string, null, a fraction, a value out of range or past int64 (breakI I27: read as 0,
// truncated, or wrapped to INT64_MIN, and written back by a rollback).
std::optional<int64_t> Rollout(const Value* v) {
  if (v == nullptr || !v->is_number()) return std::nullopt;
  double d = v->as_double();
  if (!(d >= 0 && d <= 100) || d != std::floor(d)) return std::nullopt;
  return static_cast<int64_t>(d);
}

Status BadHistoryValue(const std::string& path, int line, const char* key) {
  return Status::Error(path + " line " + std::to_string(line) + ": '" + key +
                       "' is not a rollout from 0 to 100; nothing was changed (mend the line)");
}

Result<History> ReadHistory(const std::string& path, const std::string& flag) {
  auto text = ReadHistoryText(path);
  if (!text.ok()) return text.status();
  History h;
  std::istringstream in(text.value());
  int n = 0;
  for (std::string line; std::getline(in, line);) {
    ++n;
    if (Trim(line).empty()) continue;
    auto v = ParseJson(line);
    if (!v.ok())  // never skipped: it may be the flag's last good value (breakJ J10)
      return Status::Error(path + " line " + std::to_string(n) + ": " + v.status().message() +
                           "; nothing was changed (mend the line)");
    if (!v.value().is_map() || !v.value().Find("flag") || v.value().Find("flag")->ToText() != flag)
      continue;
    const Value& e = v.value();
    auto from = Rollout(e.Find("from")), to = Rollout(e.Find("to"));
    if (!to) return BadHistoryValue(path, n, "to");
    if (e.Find("from") && !from) return BadHistoryValue(path, n, "from");
    if (from && *from != *to) h.previous = *from;
    h.last_run = e.Find("run_id") ? e.Find("run_id")->ToText() : "";
    h.last_step = e.Find("step") ? e.Find("step")->ToText() : "";
    h.last_from = from;
    h.last_to = to;
    if (e.Find("good") && e.Find("good")->is_bool() && e.Find("good")->as_bool()) h.last_good = to;
  }
  return h;
}

// Appends `line` to `path` in one write (O_APPEND), never through a link at that name, and
// makes it durable (fsync) before returning: the entry is the change's intent (see below).
// A new history has the access of the flags file `of`, group included, no more (files.h
// ShareAccess; breakY Y9): 0600 until then; made by root, its owner (OwnLike).
Status AppendLine(const std::string& path, const std::string& line, const std::string& of) {
  bool made = ModeOf(path, -1) < 0;
  auto fd = OwnFd(path, O_WRONLY | O_APPEND | O_CREAT, 0600);
  if (!fd.ok()) return fd.status();
  if (made) {
    if (Status s = ShareAccess(path, {of}); !s.ok()) return s;
    if (Status s = OwnLike(fd.value().get(), of, path); !s.ok()) return s;  // breakBB2 F5
  }
  ssize_t n = ::write(fd.value().get(), line.data(), line.size());
  if (n != static_cast<ssize_t>(line.size()))
    return Status::FromErrno("cannot append to " + path, errno);
  if (::fsync(fd.value().get()) != 0) return Status::FromErrno("cannot fsync " + path, errno);
  return FsyncDir(DirName(path));
}

// Crash protocol (docs/canary.md): a change's history entry is appended (fsynced) before the
// flags file is replaced. A run killed between the two leaves a last entry for `flag` whose
// `from` is the file's value and whose `to` is not: that change never happened, and the next
// run (under the lock) rewrites the history without that line. "" or what it removed.
Result<std::string> DropUnapplied(const std::string& history, const std::string& flag,
                                  int64_t current) {
  auto text = ReadHistoryText(history);
  if (!text.ok()) return text.status();
  const std::string& all = text.value();
  size_t last = std::string::npos, last_end = 0;  // the flag's last line: [last, last_end)
  for (size_t begin = 0, end; begin < all.size(); begin = end + 1) {
    end = all.find('\n', begin);
    if (end == std::string::npos) end = all.size();
    auto v = ParseJson(all.substr(begin, end - begin));
    if (v.ok() && v.value().is_map() && v.value().Find("flag") &&
        v.value().Find("flag")->ToText() == flag)
      last = begin, last_end = end;
  }
  if (last == std::string::npos) return std::string();
  auto e = ParseJson(all.substr(last, last_end - last));
  const Value* from = e.value().Find("from");
  const Value* to = e.value().Find("to");
  if (!from || !to || !from->is_number() || !to->is_number() || from->as_int() != current ||
      to->as_int() == current)
    return std::string();
  size_t after = std::min(all.size(), last_end + 1);
  Status s = WriteFileAtomic(history, all.substr(0, last) + all.substr(after));
  if (!s.ok()) return s;
  return all.substr(last, last_end - last);
}

class FlagUpdate final : public StepType {
 public:
  const StepSpec& spec() const override { return spec_; }

  // `rollout: N` and `rollback: last_good` land on the same value however often they run;
  // `rollback: previous` moves from wherever the flag is: run twice, the second undoes the
  // first and the rollout it rolled back is live again (breakY Y15: a resume after a kill past
  // its rename rolled back again).
  bool Idempotent(const Value& params) const override {
    const Value* back = params.Find("rollback");
    return back == nullptr || !back->is_string() || back->as_string() != "previous";
  }

  void Configure(const ConfigureView& with, ConfigureReport& report) const override {
    bool set = with.Find("rollout"), back = with.Find("rollback"), good = with.Find("mark_good");
    if (set && back) report.Error(with.Find("rollback")->loc, "give rollout or rollback, not both");
    if (!set && !back && !good)
      report.Error(with.step_loc(), "flag-update needs rollout, rollback or mark_good");
  }

  std::vector<std::string> Describe(const StepParams& p) const override {
    std::string to = p.Opt("rollout")    ? p.Str("rollout") + "%"
                     : p.Opt("rollback") ? "the " + p.Str("rollback") + " value"
                                         : "(unchanged)";
    return {"set " + p.Str("flag") + " in " + p.Str("file") + " to " + to +
            (p.Bool("mark_good") ? ", marked good" : "")};
  }

  AttemptResult Run(StepContext& ctx) const override {
    const StepParams& p = ctx.params;  // the load-time rule again, on values as resolved
    if (!p.Opt("rollout") && !p.Opt("rollback") && !p.Bool("mark_good"))  // breakI I12
      return AttemptResult::Failure(
          "flag-update needs rollout, rollback or mark_good: their expressions gave null or "
          "false, so there is no change to make; nothing was changed");
    std::string file = ctx.params.Str("file");
    auto lock = LockBeside(file);
    if (!lock.ok()) return AttemptResult::Failure("cannot lock: " + lock.status().message());
    return Locked(ctx, file);  // closing the lock file releases the lock
  }

  DryLook DryRun(StepContext& ctx) const override {
    std::string file = ctx.params.Str("file");
    int64_t old = 0, now = 0;
    std::string why = Plan(ctx, file, old, now, nullptr, nullptr);
    if (!why.empty()) return {true, {why}};
    ctx.log("would set " + ctx.params.Str("flag") + " rollout " + std::to_string(old) + " -> " +
            std::to_string(now));
    return {true, {}};
  }

 private:
  // Reads the file and decides; "" or why not. `text` and `path` receive the document and
  // the rollout's location when given.
  static std::string Plan(StepContext& ctx, const std::string& file, int64_t& old, int64_t& now,
                          std::string* text_out, std::vector<std::string>* path_out) {
    // The flags file is replaced by a rename: a link (symbolic or hard) at its name would
    // keep the old value where the application reads it (engine/util/own_file.h).
    if (std::string link = OwnFileProblem(file); !link.empty()) return link;
    auto text = ReadWholeFile(file, 16u << 20);
    if (!text.ok()) return text.status().message();
    auto doc = ParseJson(text.value(), StopFor(ctx));  // refuses a key twice, without its line
    if (auto dup = doc.ok() ? std::nullopt : FindDuplicateKey(text.value()))
      return file + " has a duplicate key '" + dup->key + "' (line " + std::to_string(dup->line) +
             "): readers take one occurrence, an edit could change the other";
    if (!doc.ok()) return file + " is not valid JSON (" + doc.status().message() + ")";
    std::string flag = ctx.params.Str("flag");
    std::vector<std::string> path{flag, "rollout"};
    const Value* f = doc.value().Find(flag);
    const Value* nested = doc.value().Find("flags");
    if (nested != nullptr && !nested->is_map()) nested = nullptr;
    if (f != nullptr && nested && nested->Find(flag))  // breakI I33
      return "flag '" + flag + "' is in " + file + " twice, at the top level and under " +
             "\"flags\": which one the application reads is unknown; keep one";
    if (f == nullptr && nested) {
      f = nested->Find(flag);
      path.insert(path.begin(), "flags");
    }
    if (f == nullptr || !f->is_map() || !f->Find("rollout") || !f->Find("rollout")->is_number())
      return "no flag '" + flag + "' with a numeric rollout in " + file;
    auto current = Rollout(f->Find("rollout"));
    if (!current)
      return "flag '" + flag + "' in " + file + " has a rollout of " +
             f->Find("rollout")->ToText() +
             ", not a whole number from 0 to 100; nothing was changed";
    old = now = *current;
    auto h = ReadHistory(file + ".history.jsonl", flag);
    if (!h.ok()) return h.status().message();
    if (const Value* v = ctx.params.Opt("rollout")) now = v->as_int();
    if (const Value* back = ctx.params.Opt("rollback")) {
      auto target = back->ToText() == "previous" ? h.value().previous : h.value().last_good;
      if (!target) return "no " + back->ToText() + " value of '" + flag + "' in the history";
      now = *target;
    }
    if (text_out) *text_out = text.value();
    if (path_out) *path_out = path;
    return "";
  }

  static AttemptResult Locked(StepContext& ctx, const std::string& file) {
    int64_t old = 0, now = 0;
    std::string text;
    std::vector<std::string> path;
    std::string why = Plan(ctx, file, old, now, &text, &path);
    if (why.empty()) {  // first undo a killed run's unapplied intent (crash protocol)
      auto dropped = DropUnapplied(file + ".history.jsonl", ctx.params.Str("flag"), old);
      if (!dropped.ok()) return AttemptResult::Failure(dropped.status().message());
      if (!dropped.value().empty()) {
        ctx.log("history: removed a change that a killed run recorded but never applied: " +
                dropped.value());
        why = Plan(ctx, file, old, now, &text, &path);
      }
    }
    if (auto stopped = StoppedResult(ctx)) return *stopped;
    if (!why.empty()) return AttemptResult::Failure(why + "; " + file + " untouched");
    if (auto landed = Landed(ctx, file, old)) return *landed;
    return Apply(ctx, file, old, now, text, path);
  }

  // This step's own change, made by an earlier attempt of it (this run, or a run it resumes)
  // that was stopped after the change landed: its history entry is the flag's last and the
  // file holds its value. Made again, `rollback: previous` would undo it (breakZ Z12: a
  // resume with --rerun put back the rollout just rolled back); the step reports it instead.
  static std::optional<AttemptResult> Landed(StepContext& ctx, const std::string& file,
                                             int64_t current) {
    auto h = ReadHistory(file + ".history.jsonl", ctx.params.Str("flag"));
    if (!h.ok() || h.value().last_step != ctx.step_id || !ctx.OwnRun(h.value().last_run) ||
        h.value().last_to != current || !h.value().last_from)
      return std::nullopt;
    int64_t from = *h.value().last_from;
    ctx.log(ctx.params.Str("flag") + " rollout " + std::to_string(from) + " -> " +
            std::to_string(current) + " was already made by this step in run " +
            h.value().last_run + " before it was stopped; not made again");
    return AttemptResult::Success({{"previous", Value(from)}, {"rollout", Value(current)}});
  }

  // The history entry (the intent) first, durable; then the file's atomic replacement.
  static AttemptResult Apply(StepContext& ctx, const std::string& file, int64_t old, int64_t now,
                             std::string text, const std::vector<std::string>& path) {
    std::string flag = ctx.params.Str("flag");
    auto span = FindJsonValue(text, path);
    if (!span) return AttemptResult::Failure("cannot locate the rollout in " + file);
    Value::Map entry{{"at", Value(FormatUtc(ctx.clock.WallNow()))},
                     {"run_id", Value(ctx.run_id)},
                     {"step", Value(ctx.step_id)},
                     {"flag", Value(flag)},
                     {"from", Value(old)},
                     {"to", Value(now)},
                     {"good", Value(ctx.params.Bool("mark_good"))}};
    Status logged = AppendLine(file + ".history.jsonl", ToJson(Value(entry)) + "\n", file);
    if (!logged.ok()) return AttemptResult::Failure(logged.message() + "; " + file + " untouched");
    if (now != old) {
      text.replace(span->begin, span->end - span->begin, std::to_string(now));
      Status s = WriteFileAtomic(file, text);
      if (!s.ok()) {
        (void)DropUnapplied(file + ".history.jsonl", flag, old);  // else the next run does
        return AttemptResult::Failure(s.message() + "; " + file + " untouched");
      }
    }
    ctx.log(flag + " rollout " + std::to_string(old) + " -> " + std::to_string(now));
    return AttemptResult::Success({{"previous", Value(old)}, {"rollout", Value(now)}});
  }

  StepSpec spec_ = MakeSpec();
};

const RegisterStep kRegistration([]() -> std::unique_ptr<StepType> {
  return std::make_unique<FlagUpdate>();
});

}  // namespace
}  // namespace runbook
