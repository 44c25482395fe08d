#include "steps/common/server_check.h"

#include <filesystem>

#include "engine/util/crypto.h"
#include "engine/util/strings.h"
#include "steps/common/files.h"
#include "steps/common/sqlite_info.h"
#include "steps/common/stop.h"

namespace runbook {

std::string FirstLook(const StepContext& ctx, const std::string& source, const std::string& before,
                      std::string& sha256, std::optional<LoadedMeta>& meta) {
  if (std::string no = NotThere(source, "file"); !no.empty()) return no;
  auto sha = Sha256File(source, StopFor(ctx));
  if (!sha.ok()) return sha.status().message();
  sha256 = sha.value();
  return ReadMetaForCheck(source, sha256, ctx.params.Opt("public_key"), before, meta);
}

AttemptResult ServerCheckResult(StepContext& ctx, const std::string& engine,
                                const std::string& source, const std::string& sha256,
                                const std::optional<LoadedMeta>& meta, ScratchFindings found) {
  std::vector<std::string>& problems = found.problems;
  std::string manifest = "none";  // what the backup counted against what was restored
  if (meta && meta->fields.count("tables")) {
    std::vector<std::string> diff = CompareManifest(meta->fields.at("tables"), found.rows);
    manifest = diff.empty() && problems.empty() ? "matched" : "not matched";
    problems.insert(problems.end(), diff.begin(), diff.end());
  }
  Value::List errors, tables;
  for (const std::string& e : problems) errors.push_back(Value(e));
  for (const auto& [name, n] : found.rows) tables.push_back(Value(name));
  AttemptResult r =
      problems.empty()
          ? AttemptResult::Success()
          : AttemptResult::Failure("integrity check of " + source + " failed: " + problems.front());
  std::error_code ec;
  r.outputs = {{"ok", Value(problems.empty())},
               {"errors", Value(std::move(errors))},
               {"tables", Value(std::move(tables))},
               {"rows", Value(found.rows)},
               {"page_count", Value(int64_t{0})},
               {"duration_ms", Value(static_cast<int64_t>(found.took.count()))},
               {"source", Value(std::filesystem::absolute(source, ec).lexically_normal().string())},
               {"sha256", Value(sha256)},
               {"manifest", Value(manifest)},
               {"authenticated", Value(ctx.params.Opt("public_key") != nullptr)},
               {"meta_sha256", Value(meta ? meta->sha256 : std::string())}};
  ctx.log(problems.empty() ? engine + " integrity ok: " +
                                 CountOf(static_cast<int64_t>(found.rows.size()), "table") +
                                 (manifest == "matched" ? ", row counts as the manifest says" : "")
                           : engine + " integrity FAILED: " + problems.front());
  return r;
}

}  // namespace runbook
