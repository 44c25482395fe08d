// restore: places a verified dump where the backend will use it, atomically, keeping the
// database it replaces, and writes the env file the backend reads (BACKEND_ENV_PATH).
#include <cstdio>
#include <filesystem>

#include "engine/plugin/registry.h"
#include "engine/util/crypto.h"
#include "engine/util/sqlite.h"
#include "engine/util/time_format.h"
#include "steps/common/backup_meta.h"
#include "steps/common/files.h"
#include "steps/common/gzip.h"
#include "steps/common/spec_builder.h"
#include "steps/common/sqlite_info.h"

namespace runbook {
namespace {

StepSpec MakeSpec() {
  StepSpec s;
  s.type = "restore";
  s.summary = "place a verified dump where the backend will use it; write its env file";
  s.description =
      "Refuses a source that no `hash` (verified) or `integrity-check` (ok) step of this run "
      "checked with its current sha256, unless `force: true`. Decompresses it beside "
      "`target`, runs quick_check on the copy, switches it to WAL, fsyncs and renames it over "
      "`target`. A database it replaces is kept beside it as `<target>.before-restore` (with "
      "its -wal). Then writes `env_file` (KEY=VALUE lines; default DATABASE_PATH=<target>). "
      "A failure before the rename leaves the live database untouched.";
  s.params = {
      Param("source", ParamType::kString, "the dump (.sqlite.gz) or a database file").Required(),
      Param("target", ParamType::kString, "where the backend's database goes").Required(),
      Param("env_file", ParamType::kString, "env file to write (what BACKEND_ENV_PATH names)"),
      Param("env", ParamType::kStringMap, "variables written to env_file"),
      Param("force", ParamType::kBoolean, "restore a source nothing in this run verified")
          .Default(Value(false)),
  };
  s.outputs = {
      Output("target", ParamType::kString, "the restored database"),
      Output("created_at", ParamType::kString, "when the backup was taken (for RPO)"),
      Output("env_file", ParamType::kString, "the env file written"),
      Output("previous", ParamType::kString, "where the replaced database was kept"),
  };
  s.side_effects = SideEffects::kDestructive;
  s.idempotent = true;  // the target is replaced atomically; the first kept copy stays
  s.rpo_output = "created_at";
  s.reads_passed_steps = true;
  return s;
}

std::string Abs(const std::string& p) {
  std::error_code ec;
  return std::filesystem::absolute(p, ec).lexically_normal().string();
}

// Which passed step of this run vouches for `source` with this sha256, or "".
std::string VerifiedBy(const StepContext& ctx, const std::string& source,
                       const std::string& sha256) {
  for (const PassedStep& s : *ctx.passed) {
    auto out = [&](const char* k) -> const Value* {
      auto it = s.outputs.find(k);
      return it == s.outputs.end() ? nullptr : &it->second;
    };
    if (s.type == "integrity-check" && out("ok") && out("ok")->Truthy() && out("source") &&
        out("source")->ToText() == source && out("sha256") && out("sha256")->ToText() == sha256)
      return s.id;
    if (s.type != "hash" || !out("files") || !out("files")->is_list()) continue;
    for (const Value& f : out("files")->as_list()) {
      if (f.Find("path") && f.Find("path")->ToText() == source && f.Find("sha256") &&
          f.Find("sha256")->ToText() == sha256 && f.Find("verified") &&
          f.Find("verified")->Truthy())
        return s.id;
    }
  }
  return {};
}

// The new database beside the target, checked and in WAL mode.
Status Prepare(const std::string& source, const std::string& tmp) {
  bool gz = source.size() > 3 && source.compare(source.size() - 3, 3, ".gz") == 0;
  if (gz) {
    auto r = GunzipFile(source, tmp);
    if (!r.ok()) return r.status();
  } else {
    std::error_code ec;
    if (!std::filesystem::copy_file(source, tmp, ec))
      return Status::Error("cannot copy " + source + ": " + ec.message());
  }
  auto db = Db::Open(tmp, false, 5000);
  if (!db.ok()) return db.status();
  auto problems = IntegrityProblems(*db.value(), true, 5);
  if (!problems.ok()) return Status::Error("not a SQLite database: " + problems.status().message());
  if (!problems.value().empty())
    return Status::Error("quick_check failed on the restored copy: " + problems.value().front());
  Status s = db.value()->Exec("PRAGMA journal_mode=WAL");
  db.value().reset();
  if (s.ok()) s = FsyncFile(tmp);
  return s;
}

// The restored file gets the permissions of the database it replaces (0644 otherwise).
void MatchMode(const std::string& tmp, const std::string& target) {
  std::error_code ec;
  auto perms = std::filesystem::exists(target, ec)
                   ? std::filesystem::status(target, ec).permissions()
                   : std::filesystem::perms(0644);
  std::filesystem::permissions(tmp, perms, ec);
}

// Moves the current database (and its -wal/-shm) aside; returns where it went.
Result<std::string> KeepPrevious(const std::string& target, const std::string& stamp) {
  if (!std::filesystem::exists(target)) return std::string();
  std::string kept = target + ".before-restore";
  if (std::filesystem::exists(kept)) kept += "-" + stamp;  // the first kept copy stays
  for (const char* side : {"-wal", "-shm"}) {
    if (std::filesystem::exists(target + side) &&
        std::rename((target + side).c_str(), (kept + side).c_str()) != 0)
      return Status::FromErrno("cannot move " + target + side, errno);
  }
  Status s = RenameDurable(target, kept);
  if (!s.ok()) return s;
  return kept;
}

std::string EnvText(const Value& params, const std::string& target) {
  std::string text;
  const Value* env = params.Find("env");
  if (env == nullptr || env->as_map().empty()) return "DATABASE_PATH=" + target + "\n";
  for (const auto& [k, v] : env->as_map()) text += k + "=" + v.ToText() + "\n";
  return text;
}

class Restore final : public StepType {
 public:
  const StepSpec& spec() const override { return spec_; }
  void Configure(const ConfigureView&, ConfigureReport&) const override {}

  std::vector<std::string> Describe(const Value& p) const override {
    std::vector<std::string> out = {"restore " + p.Find("source")->ToText() + " to " +
                                    p.Find("target")->ToText() +
                                    " (the current database kept as .before-restore)"};
    if (const Value* env = p.Find("env_file")) out.push_back("write " + env->ToText());
    return out;
  }

  AttemptResult Run(StepContext& ctx) const override {
    const Value& p = ctx.params;
    std::string source = Abs(p.Find("source")->ToText()), target = Abs(p.Find("target")->ToText());
    auto sha = Sha256File(source);
    if (!sha.ok()) return AttemptResult::Failure(sha.status().message());
    std::string by = ctx.passed ? VerifiedBy(ctx, source, sha.value()) : "";
    if (by.empty() && !p.Find("force")->as_bool())
      return AttemptResult::Failure("refusing to restore " + source +
                                    ": no hash or integrity-check step of this run "
                                    "verified it (with sha256 " +
                                    sha.value() + "); verify it first, or set force: true");
    ctx.log(by.empty() ? "restoring an unverified source (force: true)"
                       : "source verified by step '" + by + "'");
    std::error_code ec;
    std::filesystem::create_directories(DirName(target), ec);
    std::string tmp = TempBeside(target);
    Status s = Prepare(source, tmp);
    if (!s.ok()) {
      for (const char* side : {"", "-wal", "-shm"}) std::remove((tmp + side).c_str());
      return AttemptResult::Failure("restore of " + source + " failed, " + target +
                                    " untouched: " + s.message());
    }
    MatchMode(tmp, target);
    std::string stamp = FormatUtc(ctx.clock.WallNow());
    auto kept = KeepPrevious(target, stamp);
    if (!kept.ok()) {
      std::remove(tmp.c_str());
      return AttemptResult::Failure(kept.status().message());
    }
    s = RenameDurable(tmp, target);
    if (!s.ok()) return AttemptResult::Failure(s.message());
    ctx.log("restored " + target +
            (kept.value().empty() ? "" : "; previous kept as " + kept.value()));
    AttemptResult r = AttemptResult::Success({{"target", Value(target)},
                                              {"previous", Value(kept.value())},
                                              {"created_at", Value(CreatedAt(source))}});
    if (const Value* env_file = p.Find("env_file")) {
      s = WriteFileAtomic(env_file->ToText(), EnvText(p, target));
      if (!s.ok()) return AttemptResult::Failure(s.message());
      r.outputs["env_file"] = Value(Abs(env_file->ToText()));
    }
    return r;
  }

 private:
  static std::string CreatedAt(const std::string& source) {
    auto meta = LoadMeta(MetaPathFor(source));
    return meta.ok() ? meta.value().at("created_at").ToText() : std::string();
  }

  StepSpec spec_ = MakeSpec();
};

const RegisterStep kRegistration([]() -> std::unique_ptr<StepType> {
  return std::make_unique<Restore>();
});

}  // namespace
}  // namespace runbook
