// hash: sha256 of files (streamed, several at once), verified against their .meta.json,
// a `sha256sum -c` list or an expected value, signatures checked when a public key is
// set, and one entry per file appended to the day's inventory.
#include <algorithm>
#include <atomic>
#include <cctype>
#include <filesystem>
#include <map>
#include <sstream>
#include <thread>

#include "engine/plugin/parallel.h"
#include "engine/plugin/registry.h"
#include "engine/util/crypto.h"
#include "engine/util/time_format.h"
#include "steps/common/backup_meta.h"
#include "steps/common/files.h"
#include "steps/common/inventory.h"
#include "steps/common/ordered_pool.h"
#include "steps/common/progress.h"
#include "steps/common/safe_path.h"
#include "steps/common/spec_builder.h"
#include "steps/common/stop.h"
#include "steps/common/sums_format.h"

namespace runbook {
namespace {

StepSpec MakeSpec() {
  StepSpec s;
  s.type = "hash";
  s.summary = "sha256 of files, verified against .meta.json / sha256sum lists / a signature";
  s.description =
      "Hashes every file (paths and globs; a glob matching nothing fails) with OpenSSL, "
      "several at once. `verify: meta` checks each file against `<file>.meta.json` (name, "
      "size, sha256); `sums` against a `sha256sum -c` list; `none` against nothing. "
      "`expected:` adds, in any mode, a check of the one file against one sha256 (with "
      "`verify: none` it is the only check). "
      "With `public_key`, the metadata's Ed25519 signature must be present and valid. Each "
      "file is appended to the inventory (date, file, size, sha256, verified, signature), "
      "also when verification fails; then any failure fails the step.";
  s.params = {
      Param("files", ParamType::kStringList, "paths and globs")
          .Path(PathRole::kReads)  // a path named as is is kept from retention (breakCC C25)
          .Required(),
      Param("verify", ParamType::kString, "what to verify against")
          .Default(Value("meta"))
          .Enum({"meta", "sums", "none"}),
      Param("sums_file", ParamType::kString, "a sha256sum list (with verify: sums)"),
      Param("expected", ParamType::kString, "the sha256 a single file must have"),
      Param("public_key", ParamType::kString,
            "Ed25519 public key (PEM path or text): the metadata must carry a valid signature"),
      Param("inventory", ParamType::kString,
            "the inventory file; '' for none (the default is the seed procedure's place, "
            "relative to the run's base: set it in a project whose docs/ is something else)")
          .Path(PathRole::kWritesFile)
          .Beside({".lock"})  // breakY Y1: its lock file is a name it writes too
          .SharedAs("inventory")
          .EmptyMeansNone()
          .Default(Value("docs/inventory.json")),
      Param("parallel", ParamType::kInteger, "files hashed at once (default: cores)")
          .Min(1)
          .Max(256),
  };
  s.outputs = {
      Output("verified", ParamType::kBoolean, "every file verified"),
      Output("files", ParamType::kList,
             "per file: path, size, sha256, verified, signature, meta_sha256 (of the "
             ".meta.json read)"),
  };
  s.side_effects = SideEffects::kWrite;  // the inventory
  s.idempotent = true;
  return s;
}

struct FileResult {
  std::string path;
  uint64_t size = 0;
  std::string sha256;
  bool verified = false;
  std::string signature = "not checked";  // valid | invalid | unsigned | not checked
  std::string meta_sha256;                // of the metadata read, "" without one
  std::string problem;
};

using Sums = std::map<std::string, std::string>;  // name as listed -> sha256

// A sha256 as given (sha256sum accepts either case): lower case, or "" when it is not 64
// hex digits.
std::string Sha256Text(const std::string& hex) {
  std::string canonical = CanonicalSha256(hex);
  return canonical.find_first_not_of("0123456789abcdef") == std::string::npos &&
                 canonical.size() == 64
             ? canonical
             : "";
}

// The lines `sha256sum -c` reads (steps/common/sums_format.h: escaped names, binary and
// --tag lines too); others are skipped as it skips them. A name listed twice is refused naming both
// lines (breakI I31: the last line decided, where sha256sum checks every line and fails on the
// wrong one).
Result<Sums> ReadSums(const std::string& path) {
  auto text = ReadWholeFile(path);
  if (!text.ok()) return text.status();
  Sums sums;
  std::map<std::string, int> first_line;
  std::istringstream in(text.value());
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    auto entry = ParseSumsLine(line);
    if (!entry) continue;
    const std::string& name = entry->name;
    const std::string& sha = entry->sha256;
    // Keyed by the file the name means, not its spelling (breakJ J24: "f.txt" and
    // "./f.txt", or its absolute path, with contradicting sums passed).
    std::error_code ec;
    std::string file = std::filesystem::absolute(std::filesystem::path(DirName(path)) / name, ec)
                           .lexically_normal()
                           .string();
    if (auto [at, fresh] = first_line.emplace(ec ? name : file, n); !fresh)
      return Status::Error(path + " lists '" + Printable(name) + "' twice (lines " +
                           std::to_string(at->second) + " and " + std::to_string(n) + ")");
    sums[name] = sha;
  }
  return sums;
}

// `public_key`: nullptr when none is configured (an empty one is refused, never skipped).
void VerifyMeta(FileResult& f, const std::string* public_key) {
  auto read = ReadMetaOf(f.path);
  if (!read.ok() || !read.value()) {
    f.problem =
        read.ok() ? "metadata " + MetaPathFor(f.path) + " is missing" : read.status().message();
    return;
  }
  const Value::Map& meta = read.value()->fields;
  f.meta_sha256 = read.value()->sha256;
  Status s = CheckMetaDescribes(meta, f.path, f.size, f.sha256);
  if (!s.ok()) {
    f.problem = s.message();
    return;
  }
  f.signature = meta.count("signature") ? "present" : "unsigned";
  if (public_key != nullptr) {
    Status sig = CheckMetaSignature(meta, *public_key);
    f.signature = sig.ok() ? "valid" : f.signature == "unsigned" ? "unsigned" : "invalid";
    if (!sig.ok()) {
      f.problem = f.path + ": " + sig.message();
      return;
    }
  }
  f.verified = true;
}

void VerifySums(FileResult& f, const Sums& sums) {
  auto it = sums.find(f.path);
  if (it == sums.end()) it = sums.find(BaseName(f.path));
  if (it == sums.end()) {
    f.problem = f.path + " is not listed in the sums file";
  } else if (it->second != f.sha256) {
    f.problem = "sha256 mismatch for " + f.path + ": expected " + it->second +
                " (sums file), actual " + f.sha256;
  } else {
    f.verified = true;
  }
}

// Hashes every file, `parallel` at a time, until `meter`'s work says stop; the meter counts
// bytes and files.
void HashAll(std::vector<FileResult>& files, int parallel, ProgressMeter& meter) {
  std::atomic<size_t> next{0};
  const Work work = meter.ForWork();
  auto hash = [&] {
    for (size_t i; (i = next++) < files.size() && !work.Stopped();) {  // also between files
      auto h = Sha256File(files[i].path, work);
      meter.ItemDone();
      if (!h.ok()) {
        files[i].problem = h.status().message();
        continue;
      }
      files[i].sha256 = h.value();
      std::error_code ec;
      files[i].size = std::filesystem::file_size(files[i].path, ec);
    }
  };
  RunParallel(std::min<int>(parallel, static_cast<int>(files.size())), hash);
}

class Hash final : public StepType {
 public:
  const StepSpec& spec() const override { return spec_; }

  void Configure(const ConfigureView& with, ConfigureReport& report) const override {
    const ConfigParam* verify = with.Find("verify");
    std::string mode = verify && verify->value ? verify->value->ToText() : "meta";
    if (mode == "sums" && !with.Find("sums_file"))
      report.Error(verify->loc, "verify: sums needs 'sums_file'");
    if (const ConfigParam* pk = with.Find("public_key"); pk && mode != "meta")
      report.Error(pk->loc, "public_key checks the signature in .meta.json; it needs verify: meta");
  }

  std::vector<std::string> Describe(const StepParams& p) const override {
    std::string inv = p.Str("inventory");
    return {"hash " + p.Get("files").ToText() + " (sha256) and verify against " + p.Str("verify") +
                (p.Opt("expected") ? " and expected" : ""),
            inv.empty() ? "record nothing" : "append to " + inv};
  }

  AttemptResult Run(StepContext& ctx) const override {
    const StepParams& p = ctx.params;
    std::vector<std::string> patterns;
    for (const Value& v : p.Get("files").as_list()) patterns.push_back(v.ToText());
    auto paths = ExpandGlobs(patterns, StopFor(ctx));
    if (auto stopped = StoppedResult(ctx)) return *stopped;
    if (!paths.ok()) return AttemptResult::Failure(paths.status().message());
    const Value* expected = p.Opt("expected");
    if (expected && paths.value().size() != 1)
      return AttemptResult::Failure("expected applies to one file; " +
                                    std::to_string(paths.value().size()) + " matched");
    std::vector<FileResult> files;
    for (const std::string& path : paths.value()) {
      files.emplace_back();
      files.back().path = path;
    }
    int cores = OrderedPool::Cores();  // the CPUs this process may use (breakU U6)
    uint64_t total = 0;
    for (const FileResult& f : files) total += FileSizeOf(f.path).value_or(0);
    ProgressMeter meter(ctx, "hashing", total);
    meter.CountItems("files", files.size());
    HashAll(files, p.Opt("parallel") ? static_cast<int>(p.Int("parallel")) : cores, meter);
    if (auto stopped = StoppedResult(ctx)) return *stopped;  // nothing half-recorded
    Status verified = Verify(files, p, StopFor(ctx));
    if (auto stopped = StoppedResult(ctx)) return *stopped;
    if (!verified.ok()) return AttemptResult::Failure(verified.message());
    std::string inventory = p.Str("inventory");
    if (!inventory.empty()) {
      Status s = MakeFolderSaying(DirName(inventory), ctx.log);
      if (s.ok()) s = AppendInventory(inventory, Entries(files, ctx));
      if (!s.ok()) return AttemptResult::Failure(s.message());
    }
    return Report(files, ctx);
  }

 private:
  static Status Verify(std::vector<FileResult>& files, const StepParams& p, const StopCheck& stop) {
    std::string mode = p.Str("verify");
    std::string key = p.Opt("public_key") ? p.Str("public_key") : "";
    const std::string* keyed = p.Opt("public_key") ? &key : nullptr;
    Sums sums;
    if (mode == "sums") {  // checked at load too, unless `verify` was an expression
      if (!p.Has("sums_file")) return Status::Error("verify: sums needs 'sums_file'");
      auto s = ReadSums(p.Str("sums_file"));
      if (!s.ok()) return s.status();
      sums = s.value();
    }
    for (FileResult& f : files) {
      if (stop()) break;                 // the caller turns it into the result
      if (!f.problem.empty()) continue;  // could not be read
      if (mode == "meta") VerifyMeta(f, keyed);
      if (mode == "sums") VerifySums(f, sums);
      if (const Value* e = p.Opt("expected"); e && f.problem.empty()) {
        f.verified = Sha256Text(e->ToText()) == f.sha256;
        if (!f.verified)
          f.problem = "sha256 mismatch for " + f.path + ": expected " + e->ToText() + ", actual " +
                      f.sha256;
      }
    }
    return Status::Ok();
  }

  static Value::List Entries(const std::vector<FileResult>& files, const StepContext& ctx) {
    std::string now = FormatUtc(ctx.clock.WallNow());
    Value::List out;
    for (const FileResult& f : files) {
      out.push_back(Value(Value::Map{{"date", Value(now.substr(0, 10))},
                                     {"recorded_at", Value(now)},
                                     {"file", Value(ctx.Redact(InventoryFileName(f.path)))},
                                     {"size", Value(static_cast<int64_t>(f.size))},
                                     {"sha256", Value(f.sha256)},
                                     {"verified", Value(f.verified)},
                                     {"signature", Value(f.signature)},
                                     {"problem", Value(f.problem)},
                                     {"run_id", Value(ctx.run_id)},
                                     {"step", Value(ctx.step_id)}}));
    }
    return out;
  }

  static AttemptResult Report(const std::vector<FileResult>& files, StepContext& ctx) {
    Value::List list;
    std::string problems;
    bool all = true;
    for (const FileResult& f : files) {
      std::error_code ec;
      std::string abs = std::filesystem::absolute(f.path, ec).lexically_normal().string();
      list.push_back(Value(Value::Map{{"path", Value(abs)},
                                      {"size", Value(static_cast<int64_t>(f.size))},
                                      {"sha256", Value(f.sha256)},
                                      {"verified", Value(f.verified)},
                                      {"signature", Value(f.signature)},
                                      {"meta_sha256", Value(f.meta_sha256)}}));
      ctx.log((f.problem.empty() ? "ok  " : "BAD ") + f.path + "  " + f.sha256);
      if (!f.problem.empty()) problems += (problems.empty() ? "" : "; ") + f.problem;
      all = all && f.problem.empty();
    }
    AttemptResult r = all ? AttemptResult::Success() : AttemptResult::Failure(problems);
    bool verified = all && std::all_of(files.begin(), files.end(),
                                       [](const FileResult& f) { return f.verified; });
    r.outputs = {{"verified", Value(verified)}, {"files", Value(std::move(list))}};
    return r;
  }

  StepSpec spec_ = MakeSpec();
};

const RegisterStep kRegistration([]() -> std::unique_ptr<StepType> {
  return std::make_unique<Hash>();
});

}  // namespace
}  // namespace runbook
