// archive: packs files into a zip for the ticket (reports, logs, trace, metrics, sbom) with
// a manifest of every member's sha256; written beside the output and renamed when whole.
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "engine/plugin/registry.h"
#include "engine/util/crypto.h"
#include "engine/util/input_file.h"
#include "engine/util/own_file.h"
#include "steps/common/files.h"
#include "steps/common/progress.h"
#include "steps/common/safe_path.h"
#include "steps/common/scratch.h"
#include "steps/common/spec_builder.h"
#include "steps/common/stop.h"
#include "steps/common/sums_format.h"
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
      "must match a regular file, links followed) and by `optional` (may match nothing), "
      "under its path as given, plus "
      "`MANIFEST.sha256` (sha256sum format) listing every member. Written under a temporary "
      "name and renamed when complete. A path given as is may lead anywhere, but must be a "
      "regular file: a FIFO, a folder, a device or a dangling link fails the step, naming it "
      "(a wildcard's such matches are left out); a file matched by "
      "a wildcard must resolve inside the folder the pattern walks (a link out is refused) and "
      "is opened once, beneath that folder, and packed from what was opened. Two inputs that "
      "would be the same member, one named `MANIFEST.sha256`, or a name that is not UTF-8 or "
      "holds a control character (extractors change those) are refused; names are stored as "
      "UTF-8 with the zip's UTF-8 flag. The output and "
      "scratch files beside it are never packed, and a link (symbolic or hard) at `output` "
      "is refused (docs/backup.md, \"Files a step writes\"). Stops at its "
      "timeout or ^C; a killed run's temporary file is removed by the next run.";
  s.params = {
      Param("output", ParamType::kString, "the zip to write")
          .Path(PathRole::kWritesFile)
          .Required(),
      Param("files", ParamType::kStringList, "paths and globs that must exist")
          .Path(PathRole::kReads)  // kept from retention by name (breakEE E1)
          .Required(),
      Param("optional", ParamType::kStringList, "paths and globs that may match nothing")
          .Path(PathRole::kReads),
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

// One input: the path matched, the folder its pattern walks ("" for a path given as is) and
// its member name.
struct Input {
  std::string path, base, name;
};

// The archive's access (file_access.h): as readable as its least readable input (a 0600
// dump among 0644 logs makes a 0600 zip), and no more than the output it replaces (breakZ
// Z8: secrets written over a 0644 file were world-readable), whose owner, group and ACL it
// keeps (breakBB2 F9); 0600 without inputs.
Status GiveAccess(const std::string& tmp, const std::string& output,
                  const std::vector<Input>& inputs) {
  std::vector<std::string> sources;
  for (const Input& in : inputs) sources.push_back(in.path);
  return ReplaceAccess(tmp, output, sources);
}

// Adds `f` as a member unless it is the same file as one already there; two inputs that
// would be the same member, or one named like the manifest, are refused naming both.
Status AddInput(Input in, std::vector<Input>& inputs) {
  // Not UTF-8 (surrogates and code points past U+10FFFF included), a control character (C0,
  // DEL, C1) or an invisible character (bidi formatting, zero-width, U+FEFF...): extractors
  // drop or change such names, or refuse the whole zip, and two names look the same (breakT
  // T3, breakU U2, breakX X8). Printable escapes exactly those.
  if (Printable(in.name) != in.name) {
    bool not_utf8 = FindInvalidUtf8(in.name) != std::string::npos;
    return Status::Error(
        "refused input '" + Printable(in.path) + "': its member name holds " +
        (not_utf8 ? "bytes that are not UTF-8" : "a control or invisible character") +
        ", which unzip and other extractors change or drop, so "
        "MANIFEST.sha256 could not be checked against the extracted files; "
        "rename it, or leave it out with a narrower pattern");
  }
  if (in.name == kManifest)
    return Status::Error("refused input '" + Printable(in.path) + "': its member name '" +
                         std::string(kManifest) + "' is the manifest the archive writes");
  for (const Input& other : inputs) {
    if (other.name != in.name) continue;
    std::error_code ec;
    if (std::filesystem::equivalent(other.path, in.path, ec)) return Status::Ok();
    return Status::Error("inputs '" + Printable(other.path) + "' and '" + Printable(in.path) +
                         "' would both be the member '" + Printable(in.name) + "'");
  }
  inputs.push_back(std::move(in));
  return Status::Ok();
}

// `f` is the archive's own output, or a scratch file in its folder (one of its temporaries,
// or another step's): never an input of itself (docs/backup.md, "Files a step writes").
bool IsOwnOutput(const std::string& f, const std::string& output) {
  namespace fs = std::filesystem;
  std::error_code ec, ec2;
  if (fs::equivalent(f, output, ec)) return true;
  fs::path file = fs::weakly_canonical(f, ec), out = fs::weakly_canonical(output, ec2);
  if (ec || ec2) return false;
  return file == out ||
         (file.parent_path() == out.parent_path() && ScratchOwner(file.filename().string()) != 0);
}

// Why the path `f`, given as is, cannot be packed: "" for a regular file (links followed).
std::string NotPackable(const std::string& f) {
  struct stat st {};
  if (::stat(f.c_str(), &st) != 0)
    return "input '" + Printable(f) + "' is a link that leads to nothing (" + std::strerror(errno) +
           ")";
  if (S_ISREG(st.st_mode)) return "";
  return "input '" + Printable(f) + "' is " + FileKindName(st.st_mode) + ", not a regular file" +
         (S_ISDIR(st.st_mode) ? "; name its files with a glob such as '" + Printable(f) + "/*'"
                              : "");
}

// Expands one pattern into `inputs` (regular files, links resolved), leaving out the
// archive's own output and scratch files. A match found by a wildcard must stay in the
// folder the pattern walks (docs/s3-sync.md, the link rule); it is checked again on the
// file opened (OpenInput). A path given as is that is the output is refused, as is one that
// is not a regular file (a FIFO, a folder, a device, a dangling link); a wildcard's other
// matches are left out, but a required pattern must match a file to pack (breakR R5: each
// of those passed as "wrote a.zip with 0 members", the evidence missing a declared file).
Status Expand(const std::string& pattern, bool required, const std::string& output,
              std::vector<Input>& inputs) {
  auto found = ExpandGlobs({pattern});
  if (!found.ok())
    return required ? Status::Error("a required input is missing: " + found.status().message())
                    : Status::Ok();
  std::string base = GlobBase(pattern);
  size_t packable = 0;
  for (const std::string& f : found.value()) {
    if (std::string why = NotPackable(f); !why.empty()) {
      if (base.empty()) return Status::Error(why);
      continue;
    }
    if (IsOwnOutput(f, output) && base.empty())
      return Status::Error("refused input '" + Printable(f) + "': it is the archive's output");
    if (IsOwnOutput(f, output)) continue;
    ++packable;
    if (!base.empty() && !InsideTree(base, f))
      return Status::Error("refused input '" + f + "' (matched by '" + pattern +
                           "'): it is a link that leads outside '" + base + "'");
    Status s = AddInput({f, base, MemberName(f)}, inputs);
    if (!s.ok()) return s;
  }
  if (required && packable == 0)
    return Status::Error("a required input matched no file to pack: '" + Printable(pattern) +
                         "' (its matches are not regular files, or are the archive's output)");
  return Status::Ok();
}

Result<std::vector<Input>> Inputs(const StepParams& p) {
  std::vector<Input> inputs;
  std::string output = p.Str("output");
  for (const Value& v : p.Get("files").as_list()) {
    Status s = Expand(v.ToText(), true, output, inputs);
    if (!s.ok()) return s;
  }
  if (const Value* opt = p.Opt("optional"))
    for (const Value& v : opt->as_list()) {
      Status s = Expand(v.ToText(), false, output, inputs);
      if (!s.ok()) return s;
    }
  return inputs;
}

// Opens an input once; everything packed is read from this descriptor. A wildcard's match
// is opened beneath its folder, links followed only to a file inside it (a link swapped
// in after Expand's check is refused, not read).
Result<UniqueFd> OpenInput(const Input& in) {
  if (in.base.empty()) {
    UniqueFd fd(::open(in.path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
    struct stat st {};
    if (fd.get() < 0 || ::fstat(fd.get(), &st) != 0)
      return Status::FromErrno("cannot read " + in.path, errno);
    if (!S_ISREG(st.st_mode)) return Status::Error(in.path + " is no longer a regular file");
    return fd;
  }
  auto root = SafeRoot::OpenSource(in.base);
  if (!root.ok()) return root.status();
  std::string rel = std::filesystem::path(in.path).lexically_relative(in.base).generic_string();
  return root.value().OpenRead(rel, Reach::kLinksInside, nullptr);
}

class Archive final : public StepType {
 public:
  const StepSpec& spec() const override { return spec_; }
  void Configure(const ConfigureView&, ConfigureReport&) const override {}

  std::vector<std::string> Describe(const StepParams& p) const override {
    return {"pack " + p.Get("files").ToText() + " into " + p.Str("output") +
            " with a sha256 manifest"};
  }

  // Removes what killed runs left beside the output, writes the zip under a scratch name
  // (removed whatever happens) and renames it over the output when whole.
  AttemptResult Run(StepContext& ctx) const override {
    std::string output = ctx.params.Str("output");
    auto inputs = Inputs(ctx.params);
    if (!inputs.ok()) return AttemptResult::Failure(inputs.status().message());
    if (Status own = CheckOwnFile(output); !own.ok())  // before any byte is written (J22)
      return AttemptResult::Failure(own.message());
    auto made = MakeFolders(DirName(output));
    if (!made.ok()) return AttemptResult::Failure(made.status().message());
    NoteCreated(made.value(), ctx.log);
    for (const std::string& gone : RemoveDebris(
             DirName(output), [&](const std::string& base) { return base == BaseName(output); }))
      ctx.log("removed debris of a dead run: " + gone);
    std::string tmp = ScratchBeside(output);
    if (Status made_tmp = WriteNewFile(tmp, "", 0600); !made_tmp.ok())  // 0600 while written
      return AttemptResult::Failure(made_tmp.message());
    Value::List members;
    uint64_t total = 0;
    for (const Input& in : inputs.value()) total += FileSizeOf(in.path).value_or(0);
    ProgressMeter meter(ctx, "packing", total);
    meter.CountItems("members", inputs.value().size());
    Status s = Write(tmp, inputs.value(), members, meter);
    if (s.ok()) s = GiveAccess(tmp, output, inputs.value());
    if (s.ok()) s = FsyncFile(tmp);
    if (s.ok()) s = PublishDurable(tmp, output);  // a link at `output` is refused
    if (!s.ok()) std::remove(tmp.c_str());
    if (auto stopped = StoppedResult(ctx)) return *stopped;
    if (!s.ok()) return AttemptResult::Failure(s.message());
    auto sha = Sha256File(output);
    ctx.log("wrote " + output + " with " + std::to_string(members.size()) + " members");
    return AttemptResult::Success({{"path", Value(output)},
                                   {"sha256", Value(sha.ok() ? sha.value() : "")},
                                   {"members", Value(std::move(members))}});
  }

 private:
  static Status Write(const std::string& zip, const std::vector<Input>& inputs,
                      Value::List& members, ProgressMeter& meter) {
    auto w = ZipWriter::Create(zip);
    if (!w.ok()) return w.status();
    std::string manifest;
    for (const Input& in : inputs) {
      auto fd = OpenInput(in);
      if (!fd.ok()) return fd.status();
      auto added = w.value()->AddFd(in.name, fd.value().get(), in.path, meter.ForWork());
      if (!added.ok()) return added.status();
      meter.ItemDone();
      manifest += SumsLine(added.value().sha256, in.name);
      members.push_back(Value(Value::Map{{"name", Value(in.name)},
                                         {"size", Value(static_cast<int64_t>(added.value().size))},
                                         {"sha256", Value(added.value().sha256)}}));
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
