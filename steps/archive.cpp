// archive: packs files into a zip for the ticket (reports, logs, trace, metrics, sbom) with
// a manifest of every member's sha256; written beside the output and renamed when whole.
#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "engine/plugin/registry.h"
#include "engine/util/crypto.h"
#include "steps/common/files.h"
#include "steps/common/safe_path.h"
#include "steps/common/spec_builder.h"
#include "steps/common/zip_writer.h"

namespace runbook {
namespace {

constexpr const char* kManifest = "MANIFEST.sha256";

StepSpec MakeSpec() {
  StepSpec s;
  s.type = "archive";
  s.summary = "pack files into a zip for the ticket, with a sha256 manifest";
  s.description =
      "Writes `output` (a zip, deflate) holding every file matched by `files` (each pattern "
      "must match) and by `optional` (may match nothing), under its path as given, plus "
      "`MANIFEST.sha256` (sha256sum format) listing every member. Written under a temporary "
      "name and renamed when complete. A path given as is may be anything; a file matched by "
      "a wildcard must resolve inside the folder the pattern walks (a link out is refused).";
  s.params = {
      Param("output", ParamType::kString, "the zip to write").Required(),
      Param("files", ParamType::kStringList, "paths and globs that must exist").Required(),
      Param("optional", ParamType::kStringList, "paths and globs that may match nothing"),
  };
  s.outputs = {Output("path", ParamType::kString, "the zip"),
               Output("sha256", ParamType::kString, "sha256 of the zip"),
               Output("members", ParamType::kList, "name, size and sha256 of each member")};
  s.side_effects = SideEffects::kWrite;
  s.idempotent = true;
  return s;
}

std::string MemberName(const std::string& path) {
  std::string name = std::filesystem::path(path).lexically_normal().generic_string();
  while (name.rfind("../", 0) == 0) name = name.substr(3);
  while (!name.empty() && name.front() == '/') name.erase(0, 1);
  return name;
}

// The folder a glob pattern walks: its path up to the first component with a wildcard;
// "" for a plain path (the runbook named it: it may be anything, a link included).
std::string GlobBase(const std::string& pattern) {
  size_t wild = pattern.find_first_of("*?[{");
  if (wild == std::string::npos) return "";
  size_t slash = pattern.rfind('/', wild);
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : pattern.substr(0, slash);
}

// Expands one pattern into `files` (regular files, links resolved). A match found by a
// wildcard must stay in the folder the pattern walks (docs/s3-sync.md, the link rule).
Status Expand(const std::string& pattern, bool required, std::vector<std::string>& files) {
  auto found = ExpandGlobs({pattern});
  if (!found.ok())
    return required ? Status::Error("a required input is missing: " + found.status().message())
                    : Status::Ok();
  std::string base = GlobBase(pattern);
  for (const std::string& f : found.value()) {
    if (std::find(files.begin(), files.end(), f) != files.end()) continue;
    if (!std::filesystem::is_regular_file(f)) continue;
    if (!base.empty() && !InsideTree(base, f))
      return Status::Error("refused input '" + f + "' (matched by '" + pattern +
                           "'): it is a link that leads outside '" + base + "'");
    files.push_back(f);
  }
  return Status::Ok();
}

Result<std::vector<std::string>> Inputs(const Value& p) {
  std::vector<std::string> files;
  for (const Value& v : p.Find("files")->as_list()) {
    Status s = Expand(v.ToText(), true, files);
    if (!s.ok()) return s;
  }
  if (const Value* opt = p.Find("optional"))
    for (const Value& v : opt->as_list()) {
      Status s = Expand(v.ToText(), false, files);
      if (!s.ok()) return s;
    }
  return files;
}

class Archive final : public StepType {
 public:
  const StepSpec& spec() const override { return spec_; }
  void Configure(const ConfigureView&, ConfigureReport&) const override {}

  std::vector<std::string> Describe(const Value& p) const override {
    return {"pack " + p.Find("files")->ToText() + " into " + p.Find("output")->ToText() +
            " with a sha256 manifest"};
  }

  AttemptResult Run(StepContext& ctx) const override {
    std::string output = ctx.params.Find("output")->ToText();
    auto files = Inputs(ctx.params);
    if (!files.ok()) return AttemptResult::Failure(files.status().message());
    std::error_code ec;
    std::filesystem::create_directories(DirName(output), ec);
    std::string tmp = TempBeside(output);
    Value::List members;
    Status s = Write(tmp, files.value(), members);
    if (s.ok()) s = FsyncFile(tmp);
    if (s.ok()) s = RenameDurable(tmp, output);
    if (!s.ok()) {
      std::remove(tmp.c_str());
      return AttemptResult::Failure(s.message());
    }
    auto sha = Sha256File(output);
    ctx.log("wrote " + output + " with " + std::to_string(members.size()) + " members");
    return AttemptResult::Success({{"path", Value(output)},
                                   {"sha256", Value(sha.ok() ? sha.value() : "")},
                                   {"members", Value(std::move(members))}});
  }

 private:
  static Status Write(const std::string& zip, const std::vector<std::string>& files,
                      Value::List& members) {
    auto w = ZipWriter::Create(zip);
    if (!w.ok()) return w.status();
    std::string manifest;
    for (const std::string& f : files) {
      auto d = DigestFile(f);
      if (!d.ok()) return d.status();
      std::string name = MemberName(f);
      Status s = w.value()->AddFile(name, f);
      if (!s.ok()) return s;
      manifest += d.value().sha256 + "  " + name + "\n";
      members.push_back(Value(Value::Map{{"name", Value(name)},
                                         {"size", Value(static_cast<int64_t>(d.value().size))},
                                         {"sha256", Value(d.value().sha256)}}));
    }
    Status s = w.value()->AddText(kManifest, manifest);
    return s.ok() ? w.value()->Close() : s;
  }

  StepSpec spec_ = MakeSpec();
};

const RegisterStep kRegistration([]() -> std::unique_ptr<StepType> {
  return std::make_unique<Archive>();
});

}  // namespace
}  // namespace runbook
