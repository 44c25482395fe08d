// s3-sync: a local folder to an S3 prefix, back, or to another local folder (a mirror),
// deciding by content, never deleting after an incomplete listing, guarded against mass
// deletes. The rules are in docs/s3-sync.md.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <thread>

#include "engine/plugin/parallel.h"
#include "engine/plugin/registry.h"
#include "engine/util/duration.h"
#include "engine/util/strings.h"
#include "engine/util/time_format.h"
#include "steps/common/etag_proof.h"
#include "steps/common/files.h"
#include "steps/common/folder_overlap.h"
#include "steps/common/inventory.h"
#include "steps/common/net.h"
#include "steps/common/progress.h"
#include "steps/common/s3_endpoint.h"
#include "steps/common/safe_path.h"
#include "steps/common/spec_builder.h"
#include "steps/common/stop.h"
#include "steps/common/sync_sides.h"

namespace runbook {
namespace {

StepSpec MakeSpec() {
  StepSpec s;
  s.type = "s3-sync";
  s.summary = "sync a folder with S3-compatible storage (or a local mirror), by content";
  s.description =
      "Makes `dest` hold what `source` holds: a local folder and `s3://bucket/prefix` in "
      "either direction, or two local folders. A file is transferred when it is missing or "
      "its size or content differs (MD5 ETag, the sha256 kept as `x-amz-meta-sha256`, or "
      "hashing both local sides); equal size alone never counts as equal. With `delete: "
      "true`, destination objects absent from the source are removed — only after complete "
      "listings and successful transfers, and never more than `max_delete` unless "
      "`force_delete`. `mode: verify` changes nothing and fails when the destination "
      "differs. Credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, "
      "or the access_key / secret_key parameters (declare them as secrets).";
  s.params = {
      Param("source", ParamType::kString, "a folder or s3://bucket/prefix")
          .Path(PathRole::kReads)
          .Remote("s3://")
          .Required(),
      Param("dest", ParamType::kString, "a folder or s3://bucket/prefix")
          .Path(PathRole::kWritesInside)
          .Remote("s3://", "endpoint", S3ServiceKey)
          .Required(),
      Param("delete", ParamType::kBoolean, "remove what the source no longer has")
          .Default(Value(false)),
      Param("max_delete", ParamType::kString, "most deletions allowed: a count or a percent")
          .Default(Value("50%")),
      Param("force_delete", ParamType::kBoolean, "delete beyond max_delete").Default(Value(false)),
      Param("endpoint", ParamType::kString, "S3 endpoint URL (default AWS for the region)"),
      Param("region", ParamType::kString, "region (default $AWS_REGION, else us-east-1)"),
      Param("path_style", ParamType::kBoolean,
            "bucket in the path (default: yes with an endpoint, no for AWS)"),
      Param("sse", ParamType::kString, "server-side encryption").Enum({"AES256", "aws:kms"}),
      Param("kms_key_id", ParamType::kString, "KMS key for sse: aws:kms"),
      Param("require_encryption", ParamType::kBoolean,
            "fail an upload the server does not confirm as encrypted at rest")
          .Default(Value(false)),
      Param("request_timeout", ParamType::kDuration,
            "one request's limit; a request that stalls past it is retried")
          .Default(Value("2m"))
          .DurationRange("1ms"),
      Param("concurrency", ParamType::kInteger, "transfers (and parts) at once")
          .Default(Value(8))
          .Min(1)
          .Max(256),
      Param("multipart_threshold", ParamType::kString, "files this big go up in parts")
          .Default(Value("8MiB")),
      Param("part_size", ParamType::kString, "size of each part").Default(Value("8MiB")),
      Param("include", ParamType::kStringList, "globs of relative paths to include"),
      Param("exclude", ParamType::kStringList, "globs of relative paths to leave alone"),
      Param("follow_symlinks", ParamType::kBoolean,
            "a local source's links are followed (their content, under the link's own name); "
            "false skips and reports them")
          .Default(Value(true)),
      Param("allow_outside_links", ParamType::kBoolean,
            "follow a local source's link whose target is outside the source folder")
          .Default(Value(false)),
      Param("require_verified", ParamType::kBoolean,
            "a download that nothing can verify (a multipart or SSE-KMS ETag of no part size "
            "tried, and no sha256 metadata) fails; false keeps it, counted in `unverified`")
          .Default(Value(true)),
      Param("mode", ParamType::kString, "sync, or verify (change nothing)")
          .Default(Value("sync"))
          .Enum({"sync", "verify"}),
      Param("access_key", ParamType::kString, "access key id (default $AWS_ACCESS_KEY_ID)"),
      Param("secret_key", ParamType::kString, "secret key (default $AWS_SECRET_ACCESS_KEY)"),
      Param("inventory", ParamType::kString,
            "inventory to append each object to; '' for none (the default is the seed "
            "procedure's place, relative to the run's base: set it in a project whose docs/ is "
            "something else)")
          .Path(PathRole::kWritesFile)
          .Beside({".lock"})  // breakY Y1: its lock file is a name it writes too
          .SharedAs("inventory")
          .EmptyMeansNone()
          .Default(Value("docs/inventory.json")),
  };
  s.outputs = {
      Output("uploaded", ParamType::kInteger, "files sent to S3"),
      Output("downloaded", ParamType::kInteger, "objects brought back"),
      Output("copied", ParamType::kInteger, "files copied between local folders"),
      Output("skipped", ParamType::kInteger, "already equal"),
      Output("deleted", ParamType::kInteger, "removed from the destination"),
      Output("bytes", ParamType::kInteger, "bytes transferred"),
      Output("unverified", ParamType::kInteger,
             "downloads kept though nothing could verify them (require_verified: false)"),
      WithRole(Output("objects", ParamType::kList,
                      "every source object: key, location (where it is now: "
                      "s3://bucket/key or the local path), size, etag, sha256"),
               OutputRole::kCopiedObjects),
  };
  s.side_effects = SideEffects::kDestructive;
  s.idempotent = true;
  return s;
}

std::vector<std::string> Strings(const StepParams& p, const char* key) {
  std::vector<std::string> out;
  if (const Value* v = p.Opt(key); v && v->is_list())
    for (const Value& x : v->as_list()) out.push_back(x.ToText());
  return out;
}

// The parameter `param` when given, else the environment's `env` (only it when `param` is
// null: session_token is no parameter).
std::string EnvOr(const StepContext& ctx, const char* param, const char* env) {
  std::optional<std::string> v = param ? ctx.params.OptStr(param) : std::nullopt;
  if (v) return *v;
  auto it = ctx.env.find(env);
  return it == ctx.env.end() ? std::string() : it->second;
}

// [profile] keys from the shared credentials file ($AWS_SHARED_CREDENTIALS_FILE, else
// ~/.aws/credentials), profile $AWS_PROFILE or "default".
SigV4Credentials FromProfile(const StepContext& ctx) {
  auto env = [&](const char* k) {
    auto it = ctx.env.find(k);
    return it == ctx.env.end() ? std::string() : it->second;
  };
  std::string file = env("AWS_SHARED_CREDENTIALS_FILE");
  if (file.empty()) file = env("HOME") + "/.aws/credentials";
  std::string profile = env("AWS_PROFILE").empty() ? "default" : env("AWS_PROFILE");
  std::ifstream in(file);
  SigV4Credentials c;
  std::string line, section;
  while (std::getline(in, line)) {
    line = Trim(line);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      section = Trim(line.substr(1, line.size() - 2));
      continue;
    }
    size_t eq = line.find('=');
    if (section != profile || eq == std::string::npos) continue;
    std::string key = Trim(line.substr(0, eq)), value = Trim(line.substr(eq + 1));
    if (key == "aws_access_key_id") c.access_key = value;
    if (key == "aws_secret_access_key") c.secret_key = value;
    if (key == "aws_session_token") c.session_token = value;
  }
  return c;
}

S3Config ConfigFor(const StepContext& ctx, const SyncSide& side) {
  S3Config c;
  c.bucket = side.bucket;
  c.region = EnvOr(ctx, "region", "AWS_REGION");
  if (c.region.empty()) c.region = "us-east-1";
  const Value* endpoint = ctx.params.Opt("endpoint");
  c.endpoint = endpoint ? endpoint->ToText() : "https://s3." + c.region + ".amazonaws.com";
  const Value* path_style = ctx.params.Opt("path_style");
  c.path_style = path_style ? path_style->as_bool() : endpoint != nullptr;
  c.creds = {EnvOr(ctx, "access_key", "AWS_ACCESS_KEY_ID"),
             EnvOr(ctx, "secret_key", "AWS_SECRET_ACCESS_KEY"),
             EnvOr(ctx, nullptr, "AWS_SESSION_TOKEN")};
  if (c.creds.access_key.empty()) c.creds = FromProfile(ctx);
  c.request_timeout = ctx.params.Duration("request_timeout");
  if (const Value* sse = ctx.params.Opt("sse")) c.sse = sse->ToText();
  if (const Value* kms = ctx.params.Opt("kms_key_id")) c.kms_key_id = kms->ToText();
  return c;
}

struct Job {
  SyncSide src, dst;
  S3Config s3;
  std::vector<SyncEntry> source, dest;
  std::vector<std::string> refused;  // names left out as unsafe: the step fails at the end
  std::vector<std::string> skipped;  // source links left out: never deleted at the destination
  std::vector<std::string> debris;   // a local destination's scratch files of dead runs
  SyncDecision decision;
};

class S3Sync final : public StepType {
 public:
  const StepSpec& spec() const override { return spec_; }

  void Configure(const ConfigureView& with, ConfigureReport& report) const override {
    const ConfigParam* src = with.Find("source");
    const ConfigParam* dst = with.Find("dest");
    // S3's multipart limits: a part is 5MiB to 5GiB (the last may be smaller), and one PUT
    // takes at most 5GiB; a threshold below 5MiB would send small (even empty) files in parts.
    for (const char* size : {"multipart_threshold", "part_size"}) {
      const ConfigParam* p = with.Find(size);
      if (!p || !p->value || !p->value->is_string()) continue;
      auto n = ParseSize(p->value->ToText());
      if (!n)
        report.Error(p->loc, std::string(size) + " must be a size such as '8MiB' or '16MB'");
      else if (*n < (5ull << 20) || *n > (5ull << 30))
        report.Error(p->loc, std::string(size) +
                                 " must be from 5MiB to 5GiB (S3's part limits), not '" +
                                 Printable(p->value->ToText()) + "'");
    }
    CheckPortAtLoad(with, "endpoint", true, report);
    for (const ConfigParam* side : {src, dst})  // a literal; a resolved value as the step starts
      if (side && side->value && side->value->is_string())
        if (std::string why = S3SideProblem(side->value->as_string()); !why.empty())
          report.Error(side->loc, why);
    const ConfigParam* max_delete = with.Find("max_delete");
    if (max_delete && max_delete->value && !DeleteLimit(max_delete->value->ToText(), 0))
      report.Error(max_delete->loc,
                   "max_delete must be a count or a percent from 0% to 100% (digits only, "
                   "such as '10' or '50%'), not '" +
                       Printable(max_delete->value->ToText()) + "'");
    if (src && dst && src->value && dst->value && src->value->ToText().rfind("s3://", 0) == 0 &&
        dst->value->ToText().rfind("s3://", 0) == 0)
      report.Error(dst->loc, "s3-sync goes between a folder and S3 or two folders; not S3 to S3");
  }

  std::vector<std::string> Describe(const StepParams& p) const override {
    std::string what = p.Str("mode") == "verify" ? "verify that " : "sync ";
    return {what + p.Str("source") + " -> " + p.Str("dest") +
            (p.Bool("delete") ? " (with delete, at most " + p.Str("max_delete") + ")" : "")};
  }

  // Lists both sides and says what a sync would transfer and delete, like
  // `aws s3 sync --dryrun`; changes nothing.
  DryLook DryRun(StepContext& ctx) const override {
    Job job;
    std::string why = Prepare(ctx, job);
    if (!why.empty()) return {true, {why}};
    const char* verb = job.dst.is_s3 ? "upload" : job.src.is_s3 ? "download" : "copy";
    for (const std::string& rel : job.decision.transfer)
      ctx.log(std::string("would ") + verb + " " + Printable(rel));
    bool deleting = ctx.params.Bool("delete");
    Status guard = Guard(ctx, job);
    for (const std::string& rel : job.decision.remove)
      ctx.log((deleting && guard.ok() ? "would delete " : "would keep (no delete) ") +
              Printable(rel));
    ctx.log("would " + std::string(verb) + " " + std::to_string(job.decision.transfer.size()) +
            ", skip " + std::to_string(job.decision.skip.size()) + ", delete " +
            std::to_string(deleting && guard.ok() ? job.decision.remove.size() : 0));
    DryLook look{true, job.refused};
    if (!guard.ok()) look.would_fail.insert(look.would_fail.begin(), guard.message());
    return look;
  }

  AttemptResult Run(StepContext& ctx) const override {
    Job job;
    std::string why = Prepare(ctx, job);
    if (auto stopped = StoppedResult(ctx)) return *stopped;  // never a success past the end
    if (!why.empty()) return AttemptResult::Failure(why);
    if (ctx.params.Str("mode") == "verify") return Verified(job);
    Status s = Guard(ctx, job);
    // The inventory is replaced last: what would refuse it is known before any copy or delete
    // (breakDD D1: the whole mirror was changed, then the inventory's owner refused).
    std::string inventory = ctx.params.Str("inventory");
    if (std::string refused = inventory.empty() ? "" : ReplaceProblem(inventory);
        s.ok() && !refused.empty())
      s = Status::Error(refused + "; nothing was changed");
    if (s.ok()) s = RunbookFilesAmong(job.dst, job.decision.transfer, "replace");  // breakJ J22
    if (s.ok() && ctx.params.Bool("delete"))
      s = RunbookFilesAmong(job.dst, job.decision.remove, "delete");
    if (!s.ok()) return AttemptResult::Failure(s.message());
    RemoveDeadScratch(ctx, job);
    return Transfer(ctx, job);
  }

 private:
  // Sides, credentials, listings and the decision; "" or why it cannot go on.
  static std::string Prepare(StepContext& ctx, Job& job) {
    for (const char* side : {"source", "dest"})
      if (std::string why = S3SideProblem(ctx.params.Str(side)); !why.empty())
        return std::string(side) + " " + why + "; nothing was changed";
    job.src = ParseSide(ctx.params.Str("source"));
    job.dst = ParseSide(ctx.params.Str("dest"));
    if (!job.src.is_s3 && !job.dst.is_s3) {  // refused before anything is listed
      std::string overlap = TreesOverlap(job.src.root, job.dst.root);
      if (!overlap.empty())
        return "the source and the destination overlap: " + overlap +
               "; a local mirror needs two separate folders; nothing was changed";
    }
    const SyncSide& remote = job.src.is_s3 ? job.src : job.dst;
    job.s3 = ConfigFor(ctx, remote);
    if ((job.src.is_s3 || job.dst.is_s3) && job.s3.creds.access_key.empty())
      return "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE "
             "(~/.aws/credentials), or access_key and secret_key";
    S3Client s3(job.s3);
    Status s = List(ctx, s3, job);
    if (!s.ok()) return s.message() + "; nothing was changed";
    s = Decide(ctx, s3, job);
    return s.ok() ? "" : s.message();
  }

  static Status List(StepContext& ctx, S3Client& s3, Job& job) {
    auto inc = Strings(ctx.params, "include"), exc = Strings(ctx.params, "exclude");
    LinkRules links{ctx.params.Bool("follow_symlinks"), ctx.params.Bool("allow_outside_links")};
    auto list = [&](const SyncSide& side, bool is_dest) {
      const SyncSide& other = is_dest ? job.src : job.dst;
      return side.is_s3 ? ListS3(s3, side, inc, exc, ctx.cancel)
                        : ListLocal(side, inc, exc, is_dest, links, other.is_s3 ? "" : other.root);
    };
    auto source = list(job.src, false);
    if (!source.ok()) return source.status();
    auto dest = list(job.dst, true);
    if (!dest.ok()) return dest.status();
    if (!job.dst.is_s3) RefuseScratchNames(source.value());
    for (const Listing* l : {&source.value(), &dest.value()}) {
      for (const std::string& why : l->refused) ctx.log("error: " + why);
      job.refused.insert(job.refused.end(), l->refused.begin(), l->refused.end());
    }
    for (const std::string& rel : source.value().skipped)
      ctx.log("skipped the link '" + Printable(rel) + "' (follow_symlinks: false)");
    job.skipped = source.value().skipped;
    for (const std::string& what : source.value().special)
      ctx.log("skipped " + what + ": not a regular file; its copy at the destination is kept");
    job.skipped.insert(job.skipped.end(), source.value().special_rel.begin(),
                       source.value().special_rel.end());
    job.debris = dest.value().debris;
    job.source = std::move(source.value().entries);
    job.dest = std::move(dest.value().entries);
    ctx.log("listed " + std::to_string(job.source.size()) + " at the source, " +
            std::to_string(job.dest.size()) + " at the destination");
    return Status::Ok();
  }

  static Status Decide(StepContext& ctx, S3Client& s3, Job& job) {
    Status problem = Status::Ok();
    StopCheck stop = StopFor(ctx);  // hashing a large tree must not outlive the timeout
    auto same = [&](const SyncEntry& a, const SyncEntry& b) {
      SyncEntry src = a, dst = b;
      const SyncEntry& remote = job.src.is_s3 ? src : dst;
      SyncEntry& local = job.src.is_s3 ? dst : src;
      Status d = DigestLocal(job.src.is_s3 ? job.dst : job.src, local, stop);
      if (!job.src.is_s3 && !job.dst.is_s3) d = d.ok() ? DigestLocal(job.dst, dst, stop) : d;
      if (!d.ok()) {
        problem = d;
        return false;
      }
      if (!job.src.is_s3 && !job.dst.is_s3) return src.sha256 == dst.sha256;
      if (IsMd5Etag(remote.etag)) return remote.etag == local.md5;
      if (IsMultipartEtag(remote.etag)) {  // the part sizes tools use (etag_proof.h)
        auto part = ParseSize(ctx.params.Str("part_size"));
        const SyncSide& side = job.src.is_s3 ? job.dst : job.src;
        if (LocalMultipartPartSize(side, local, remote.etag, part.value_or(8u << 20))) return true;
      }
      auto head = s3.Head((job.src.is_s3 ? job.src : job.dst).root + remote.rel, ctx.cancel);
      return head.ok() && !head.value().sha256.empty() && head.value().sha256 == local.sha256;
    };
    job.decision = DecideSync(job.source, job.dest, same);
    KeepSkipped(job);
    return problem;
  }

  // Removes the scratch files dead runs left in a local destination (a download killed
  // mid-way), beneath its folder; a file that cannot be removed is only logged.
  static void RemoveDeadScratch(StepContext& ctx, const Job& job) {
    for (const std::string& rel : job.debris) {
      Status s = RemoveLocal(job.dst, {rel});
      ctx.log(s.ok() ? "removed debris of a dead run: '" + Printable(rel) + "'"
                     : "warning: " + s.message());
    }
  }

  // What a skipped source link's name (or folder) holds at the destination is never deleted.
  static void KeepSkipped(Job& job) {
    auto skipped = [&](const std::string& rel) {
      for (const std::string& link : job.skipped)
        if (rel == link || rel.compare(0, link.size() + 1, link + "/") == 0) return true;
      return false;
    };
    auto& remove = job.decision.remove;
    remove.erase(std::remove_if(remove.begin(), remove.end(), skipped), remove.end());
  }

  static AttemptResult Verified(const Job& job) {
    if (!job.refused.empty()) return AttemptResult::Failure(Problems(job.refused, "not verified"));
    if (job.decision.transfer.empty()) {
      return AttemptResult::Success({{"skipped", Value(static_cast<int64_t>(job.source.size()))}});
    }
    std::string list;
    for (size_t i = 0; i < job.decision.transfer.size() && i < 10; ++i)
      list += (i ? ", " : "") + Printable(job.decision.transfer[i]);
    return AttemptResult::Failure(std::to_string(job.decision.transfer.size()) + " of " +
                                  std::to_string(job.source.size()) + " missing or different at " +
                                  job.dst.Describe() + ": " + list);
  }

  static Status Guard(StepContext& ctx, const Job& job) {
    if (!ctx.params.Bool("delete") || job.decision.remove.empty()) return Status::Ok();
    std::string spec = ctx.params.Str("max_delete");
    auto limit = DeleteLimit(spec, job.dest.size());
    if (!limit) return Status::Error("max_delete '" + spec + "' is not a count or a percent");
    if (job.decision.remove.size() <= *limit || ctx.params.Bool("force_delete"))
      return Status::Ok();
    return Status::Error("refusing to delete " + std::to_string(job.decision.remove.size()) +
                         " of " + std::to_string(job.dest.size()) + " objects at " +
                         job.dst.Describe() + " (max_delete " + spec +
                         "); nothing was changed. Set force_delete: true if this is intended");
  }

  static AttemptResult Transfer(StepContext& ctx, Job& job) {
    if (!job.dst.is_s3 && !job.decision.transfer.empty()) {  // a local destination: said
      Status made = MakeFolderSaying(job.dst.root, ctx.log);
      if (!made.ok()) return AttemptResult::Failure(made.message());
    }
    std::map<std::string, SyncEntry*> by_rel;
    for (SyncEntry& e : job.source) by_rel[e.rel] = &e;
    std::vector<SyncEntry> done(job.decision.transfer.size());
    std::vector<std::string> errors;
    std::mutex mu;
    std::atomic<size_t> next{0};
    std::atomic<uint64_t> bytes{0};
    uint64_t total = 0;
    for (const std::string& rel : job.decision.transfer) total += by_rel[rel]->size;
    ProgressMeter meter(ctx,
                        job.dst.is_s3   ? "uploading"
                        : job.src.is_s3 ? "downloading"
                                        : "copying",
                        total);
    meter.CountItems(job.dst.is_s3 || job.src.is_s3 ? "objects" : "files",
                     job.decision.transfer.size());
    UploadOptions up;
    up.multipart_threshold = ParseSize(ctx.params.Str("multipart_threshold")).value_or(8u << 20);
    up.part_size = ParseSize(ctx.params.Str("part_size")).value_or(8u << 20);
    up.parallel = static_cast<int>(ctx.params.Int("concurrency"));
    up.require_encryption = ctx.params.Bool("require_encryption");
    DownloadOptions down{up.part_size, ctx.params.Bool("require_verified")};
    auto work = [&] {
      S3Client s3(job.s3);  // one connection per worker
      // Bytes count as they move, so one large object shows progress within it; a local
      // copy counts when it is done.
      s3.ReportBytes([&meter](uint64_t n) { meter.Add(n); });
      for (size_t i; (i = next++) < job.decision.transfer.size() && !ctx.cancel.cancelled();) {
        SyncEntry& e = *by_rel[job.decision.transfer[i]];
        Status s = job.dst.is_s3   ? Upload(s3, job.src, job.dst, e, up, ctx.cancel, done[i])
                   : job.src.is_s3 ? Download(s3, job.src, job.dst, e, down, ctx.cancel, done[i])
                                   : CopyLocal(job.src, job.dst, e, done[i]);
        if (s.ok() && job.dst.is_s3 && e.size >= up.multipart_threshold) {
          ctx.log(Printable(e.rel) + ": sent in " +
                  std::to_string((e.size + up.part_size - 1) / up.part_size) + " parts");
        }
        if (s.ok() && !done[i].unverified.empty())
          ctx.log("warning: " + Printable(e.rel) + " kept NOT verified: " + done[i].unverified);
        if (s.ok()) {  // a failed object is not done (breakK K21)
          bytes += e.size;
          if (!job.dst.is_s3 && !job.src.is_s3) meter.Add(e.size);
          meter.ItemDone();
        }
        std::lock_guard<std::mutex> lock(mu);
        if (!s.ok()) errors.push_back(s.message());
      }
    };
    int workers = static_cast<int>(std::min<int64_t>(
        ctx.params.Int("concurrency"), std::max<size_t>(1, job.decision.transfer.size())));
    RunParallel(workers, work);
    if (ctx.cancel.cancelled()) errors.push_back("cancelled");
    errors.insert(errors.begin(), job.refused.begin(), job.refused.end());
    if (!errors.empty()) return AttemptResult::Failure(Problems(errors, "nothing deleted"));
    return Finish(ctx, job, done, bytes);
  }

  // "N problem(s), <consequence>: first; second; ..." naming up to ten.
  static std::string Problems(const std::vector<std::string>& errors, const std::string& then) {
    std::string text = std::to_string(errors.size()) + " problem(s), " + then + ": ";
    for (size_t i = 0; i < errors.size() && i < 10; ++i) text += (i ? "; " : "") + errors[i];
    return errors.size() > 10 ? text + "; ..." : text;
  }

  static AttemptResult Finish(StepContext& ctx, Job& job, const std::vector<SyncEntry>& done,
                              uint64_t bytes) {
    int64_t deleted = 0;
    if (ctx.params.Bool("delete") && !job.decision.remove.empty()) {
      deleted = static_cast<int64_t>(job.decision.remove.size());
      Status s = Remove(ctx, job, deleted);
      if (!s.ok()) return AttemptResult::Failure(s.message());
    }
    std::map<std::string, const SyncEntry*> now;
    for (const SyncEntry& e : job.dest) now[e.rel] = &e;
    for (const SyncEntry& e : done) now[e.rel] = &e;
    Value::List objects, inventory;
    std::string at = FormatUtc(ctx.clock.WallNow());
    for (const SyncEntry& e : job.source) {
      const SyncEntry* d = now.count(e.rel) ? now[e.rel] : &e;
      std::string key = job.dst.KeyOf(e.rel);
      std::string sha = !d->sha256.empty() ? d->sha256 : e.sha256;
      objects.push_back(Value(Value::Map{{"key", Value(key)},
                                         {"location", Value(job.dst.Locate(e.rel))},
                                         {"size", Value(static_cast<int64_t>(e.size))},
                                         {"etag", Value(d->etag)},
                                         {"sha256", Value(sha)}}));
      Value::Map entry{{"date", Value(at.substr(0, 10))},
                       {"recorded_at", Value(at)},
                       {"file", Value(ctx.Redact(InventoryFileName(job.dst.Locate(e.rel))))},
                       {"size", Value(static_cast<int64_t>(e.size))},
                       {"sha256", Value(sha)},
                       {"etag", Value(d->etag)},
                       {"verified", Value(d->unverified.empty())},
                       {"run_id", Value(ctx.run_id)},
                       {"step", Value(ctx.step_id)}};
      // Which S3 service holds it: two sites with one bucket name are two copies (breakCC C11).
      if (job.dst.is_s3) entry["endpoint"] = Value(job.s3.endpoint);
      inventory.push_back(Value(std::move(entry)));
    }
    std::string inv = ctx.params.Str("inventory");
    if (!inv.empty()) {
      Status s = MakeFolderSaying(DirName(inv), ctx.log);
      if (s.ok()) s = AppendInventory(inv, inventory);
      if (!s.ok()) return AttemptResult::Failure(s.message());
    }
    int64_t n = static_cast<int64_t>(done.size());
    int64_t unverified = std::count_if(done.begin(), done.end(),
                                       [](const SyncEntry& e) { return !e.unverified.empty(); });
    ctx.log(std::to_string(n) + " transferred (" + std::to_string(bytes) + " bytes), " +
            std::to_string(job.decision.skip.size()) + " unchanged, " + std::to_string(deleted) +
            " deleted" + (unverified ? ", " + std::to_string(unverified) + " NOT verified" : ""));
    return AttemptResult::Success(
        {{"uploaded", Value(job.dst.is_s3 ? n : 0)},
         {"downloaded", Value(job.src.is_s3 ? n : 0)},
         {"copied", Value(!job.src.is_s3 && !job.dst.is_s3 ? n : 0)},
         {"skipped", Value(static_cast<int64_t>(job.decision.skip.size()))},
         {"deleted", Value(deleted)},
         {"bytes", Value(static_cast<int64_t>(bytes))},
         {"unverified", Value(unverified)},
         {"objects", Value(std::move(objects))}});
  }

  // `deleted`: for S3, what the server's DeleteResult confirms.
  static Status Remove(StepContext& ctx, const Job& job, int64_t& deleted) {
    if (job.dst.is_s3) {
      std::vector<std::string> keys;
      for (const std::string& rel : job.decision.remove) keys.push_back(job.dst.root + rel);
      S3Client s3(job.s3);
      S3DeleteOutcome out = s3.Delete(keys, ctx.cancel);
      deleted = static_cast<int64_t>(out.deleted.size());
      return out.Check(keys.size(), job.dst.Describe());
    }
    return RemoveLocal(job.dst, job.decision.remove);
  }

  StepSpec spec_ = MakeSpec();
};

const RegisterStep kRegistration([]() -> std::unique_ptr<StepType> {
  return std::make_unique<S3Sync>();
});

}  // namespace
}  // namespace runbook
