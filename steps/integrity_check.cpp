// integrity-check: decompresses a dump into an isolated workspace (never the live path),
// opens the copy read-only and runs PRAGMA integrity_check (or quick_check) and
// foreign_key_check. The workspace goes afterwards unless `keep`.
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "engine/plugin/registry.h"
#include "engine/util/crypto.h"
#include "engine/util/sqlite.h"
#include "steps/common/backup_meta.h"
#include "steps/common/files.h"
#include "steps/common/gzip.h"
#include "steps/common/pg_check.h"
#include "steps/common/spec_builder.h"
#include "steps/common/sqlite_info.h"

namespace runbook {
namespace {

StepSpec MakeSpec() {
  StepSpec s;
  s.type = "integrity-check";
  s.summary = "decompress into an isolated workspace and run PRAGMA integrity_check";
  s.description =
      "Decompresses `source` (.sqlite.gz, or copies a .sqlite) into `workspace`, refuses a "
      "stray `-wal` beside it (SQLite would mix it in), checks the raw sha256 against the "
      "dump's metadata when there is one, opens the copy read-only and runs "
      "`PRAGMA integrity_check` (mode full) or `quick_check` (mode quick) and "
      "`PRAGMA foreign_key_check`. Fails with the first problems found. The workspace is "
      "removed afterwards unless `keep: true`.";
  s.params = {
      Param("source", ParamType::kString, "the dump (.sqlite.gz) or a database file").Required(),
      Param("workspace", ParamType::kString,
            "sqlite: where the decompressed copy goes (e.g. backend/tmp/db-restore.sqlite)"),
      Param("engine", ParamType::kString,
            "sqlite, or postgres: a pg_dump archive restored into a scratch database and "
            "checked with pg_amcheck")
          .Default(Value("sqlite"))
          .Enum({"sqlite", "postgres"}),
      Param("server", ParamType::kString,
            "postgres: libpq connection string of a server where a scratch database may be "
            "created (e.g. 'host=/run/pg port=5432 user=postgres')"),
      Param("bin_dir", ParamType::kString,
            "postgres: folder of psql, pg_restore and pg_amcheck (default: PATH, then the "
            "newest /usr/lib/postgresql/*/bin)"),
      Param("mode", ParamType::kString, "integrity_check or quick_check")
          .Default(Value("full"))
          .Enum({"full", "quick"}),
      Param("keep", ParamType::kBoolean, "keep the workspace copy (for a later restore)")
          .Default(Value(false)),
      Param("max_errors", ParamType::kInteger, "problems reported at most")
          .Default(Value(20))
          .Min(1),
  };
  s.outputs = {
      Output("ok", ParamType::kBoolean, "no problem found"),
      Output("integrity", ParamType::kString,
             "one line for reports: 'ok: 100 % (N tables, M rows)' or 'failed: <first problem>'"),
      Output("errors", ParamType::kStringList, "the first problems found"),
      Output("tables", ParamType::kStringList, "table names"),
      Output("rows", ParamType::kMap, "rows per table"),
      Output("page_count", ParamType::kInteger, "pages of the database"),
      Output("duration_ms", ParamType::kInteger, "time of the checks"),
      Output("source", ParamType::kString, "the checked file (absolute)"),
      Output("sha256", ParamType::kString, "sha256 of the checked file"),
      Output("workspace", ParamType::kString, "the kept copy, when keep"),
  };
  s.side_effects = SideEffects::kWrite;  // the workspace only
  s.idempotent = true;
  return s;
}

bool IsGzip(const std::string& path) {
  return path.size() > 3 && path.compare(path.size() - 3, 3, ".gz") == 0;
}

// The copy in the workspace, and the source's sha256 (and the raw one).
Result<GzipResult> Unpack(const std::string& source, const std::string& workspace) {
  std::string tmp = TempBeside(workspace);
  Result<GzipResult> r = GzipResult{};
  if (IsGzip(source)) {
    r = GunzipFile(source, tmp, false);  // a scratch copy: no fsync
  } else {
    std::error_code ec;
    if (!std::filesystem::copy_file(source, tmp, ec))
      return Status::Error("cannot copy " + source + ": " + ec.message());
    auto h = Sha256File(source);
    if (!h.ok()) return h.status();
    r = GzipResult{0, 0, h.value(), h.value()};
  }
  if (!r.ok()) return r;
  Status s = RenameDurable(tmp, workspace);
  if (!s.ok()) {
    std::remove(tmp.c_str());
    return s;
  }
  return r;
}

class IntegrityCheck final : public StepType {
 public:
  const StepSpec& spec() const override { return spec_; }
  void Configure(const ConfigureView& with, ConfigureReport& report) const override {
    const ConfigParam* engine = with.Find("engine");
    bool pg = engine && engine->value && engine->value->ToText() == "postgres";
    if (pg && !with.Find("server")) report.Error(engine->loc, "engine: postgres needs 'server'");
    if (!pg && !with.Find("workspace"))
      report.Error(with.step_loc(), "integrity-check needs 'workspace' (where the copy goes)");
  }

  std::vector<std::string> Describe(const Value& p) const override {
    if (p.Find("engine")->ToText() == "postgres")
      return {"restore " + p.Find("source")->ToText() +
              " into a scratch database, run pg_amcheck, drop it"};
    return {"decompress " + p.Find("source")->ToText() + " into " + p.Find("workspace")->ToText() +
                " and run PRAGMA " +
                (p.Find("mode")->ToText() == "quick" ? "quick_check" : "integrity_check"),
            p.Find("keep")->as_bool() ? "keep the workspace" : "remove the workspace"};
  }

  AttemptResult Run(StepContext& ctx) const override {
    AttemptResult r = ctx.params.Find("engine")->ToText() == "postgres"
                          ? PostgresIntegrityCheck(ctx)
                          : RunSqlite(ctx);
    if (r.outputs.count("ok")) r.outputs["integrity"] = Value(Verdict(r.outputs));
    return r;
  }

 private:
  // One line for reports: "ok: 100 % (4 tables, 1,234 rows)" or "failed: the first problem".
  static std::string Verdict(const Value::Map& out) {
    if (!out.at("ok").as_bool()) {
      const Value& errors = out.at("errors");
      return "failed: " +
             (errors.as_list().empty() ? std::string("see errors") : errors.as_list()[0].ToText());
    }
    int64_t rows = 0;
    for (const auto& [table, n] : out.at("rows").as_map()) rows += n.as_int();
    return "ok: 100 % (" + std::to_string(out.at("rows").as_map().size()) + " tables, " +
           std::to_string(rows) + " rows)";
  }

  static AttemptResult RunSqlite(StepContext& ctx) {
    const Value& p = ctx.params;
    std::string source = p.Find("source")->ToText(), workspace = p.Find("workspace")->ToText();
    if (!std::filesystem::exists(source)) return AttemptResult::Failure("no file " + source);
    for (const char* side : {"-wal", "-journal"}) {
      if (std::filesystem::exists(workspace + side))
        return AttemptResult::Failure("a stray " + workspace + side +
                                      " is beside the workspace; SQLite would mix it into the "
                                      "copy. Remove it: it is not part of the backup");
    }
    std::error_code ec;
    std::filesystem::create_directories(DirName(workspace), ec);
    auto unpacked = Unpack(source, workspace);
    if (!unpacked.ok()) return AttemptResult::Failure(unpacked.status().message());
    AttemptResult r = Check(ctx, workspace, source, unpacked.value());
    if (!p.Find("keep")->as_bool() || r.status != AttemptStatus::kSuccess) {
      for (const char* side : {"", "-wal", "-shm"}) std::remove((workspace + side).c_str());
    } else {
      r.outputs["workspace"] = Value(workspace);
    }
    return r;
  }

  static AttemptResult Check(StepContext& ctx, const std::string& workspace,
                             const std::string& source, const GzipResult& unpacked) {
    const Value& p = ctx.params;
    auto started = std::chrono::steady_clock::now();
    std::vector<std::string> problems;
    if (auto meta = LoadMeta(MetaPathFor(source)); meta.ok() && meta.value().count("raw_sha256")) {
      std::string want = meta.value().at("raw_sha256").ToText();
      if (want != unpacked.out_sha256)
        problems.push_back("raw sha256 mismatch: expected " + want + " (metadata), actual " +
                           unpacked.out_sha256);
    }
    size_t max = static_cast<size_t>(p.Find("max_errors")->as_int());
    DatabaseInfo info;
    auto db = Db::OpenReadOnly(workspace, 5000);
    Status s = db.ok() ? Status::Ok() : db.status();
    // Reads through a 256 MiB mmap window and a 128 MiB page cache: the check walks every
    // b-tree and index checks revisit table pages. Peak memory stays under 512 MiB.
    if (s.ok()) s = db.value()->Exec("PRAGMA mmap_size=268435456; PRAGMA cache_size=-131072");
    if (s.ok()) {
      auto found = IntegrityProblems(*db.value(), p.Find("mode")->ToText() == "quick", max);
      if (found.ok()) {
        problems.insert(problems.end(), found.value().begin(), found.value().end());
        auto fk = ForeignKeyProblems(*db.value(), max);
        if (fk.ok()) problems.insert(problems.end(), fk.value().begin(), fk.value().end());
        auto i = ReadDatabaseInfo(*db.value());
        if (i.ok()) info = i.value();
      } else {
        s = found.status();
      }
    }
    if (!s.ok()) problems.push_back("not a readable SQLite database: " + s.message());
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    Value::List errors, tables;
    for (const std::string& e : problems) errors.push_back(Value(e));
    for (const auto& [name, rows] : info.tables) tables.push_back(Value(name));
    AttemptResult r = problems.empty() ? AttemptResult::Success()
                                       : AttemptResult::Failure("integrity check of " + source +
                                                                " failed: " + problems.front());
    std::error_code ec;
    r.outputs = {
        {"ok", Value(problems.empty())},
        {"errors", Value(std::move(errors))},
        {"tables", Value(std::move(tables))},
        {"rows", Value(info.tables)},
        {"page_count", Value(info.page_count)},
        {"duration_ms", Value(static_cast<int64_t>(ms.count()))},
        {"source", Value(std::filesystem::absolute(source, ec).lexically_normal().string())},
        {"sha256", Value(unpacked.in_sha256)}};
    ctx.log(problems.empty() ? "integrity ok: " + std::to_string(info.tables.size()) + " tables, " +
                                   std::to_string(info.page_count) + " pages"
                             : "integrity FAILED: " + problems.front());
    return r;
  }

  StepSpec spec_ = MakeSpec();
};

const RegisterStep kRegistration([]() -> std::unique_ptr<StepType> {
  return std::make_unique<IntegrityCheck>();
});

}  // namespace
}  // namespace runbook
