#include "steps/common/dump_publish.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "engine/util/crypto.h"
#include "engine/util/json.h"
#include "engine/util/proc_identity.h"
#include "engine/util/strings.h"
#include "engine/util/time_format.h"
#include "steps/common/backup_meta.h"
#include "steps/common/files.h"
#include "steps/common/scratch.h"

namespace runbook {

std::string TimestampedStem(const std::string& base, const Clock::Wall& at) {
  std::string ts = FormatUtc(at);  // 2026-11-27T19:02:03.456Z -> 20261127T190203Z
  std::string compact;
  for (char c : ts.substr(0, 19))
    if (c != '-' && c != ':') compact += c;
  std::string safe = base;
  for (char& c : safe)
    if (c == '/' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '_';
  return safe + "-" + compact + "Z";
}

bool DumpTaken(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec) || std::filesystem::exists(MetaPathFor(path), ec);
}

std::string FreeStem(const std::string& dest, const std::string& stem, const std::string& suffix) {
  std::string name = stem;
  for (int n = 2; n < 1000; ++n) {
    if (!DumpTaken(dest + "/" + name + suffix)) break;
    name = stem + "-" + std::to_string(n);
  }
  return name;
}

std::string ScratchFiles::Add(std::string p) {
  paths.push_back(p);
  return p;
}

ScratchFiles::~ScratchFiles() {
  for (const std::string& p : paths) RemoveWithCompanions(p);
}

Status SignMeta(Value::Map& meta, const std::string& key) {
  auto id = KeyId(key);
  if (!id.ok()) return id.status();
  meta["key_id"] = Value(id.value());
  auto sig = Ed25519Sign(key, MetaSigningText(meta));
  if (!sig.ok()) return sig.status();
  meta["signature"] = Value(sig.value());
  return Status::Ok();
}

Result<Value::Map> PublishDump(
    const std::string& tmp, std::string& path, const std::string& stem, const std::string& suffix,
    const std::function<Result<Value::Map>(const std::string&)>& meta_for, ScratchFiles& temps) {
  int dir = ::open(DirName(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return Status::FromErrno("cannot open folder " + DirName(path), errno);
  ::flock(dir, LOCK_EX);
  struct Unlock {
    int fd;
    ~Unlock() { ::close(fd); }
  } unlock{dir};
  if (DumpTaken(path) && !stem.empty())
    path = DirName(path) + "/" + FreeStem(DirName(path), stem, suffix) + suffix;
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0 || DumpTaken(path))
    return Status::Error(path +
                         " already exists; a backup never overwrites one (another backup "
                         "of the same name published it a moment ago)");
  auto meta = meta_for(path);
  if (!meta.ok()) return meta.status();
  std::string meta_path = MetaPathFor(path), meta_tmp = temps.Add(ScratchBeside(meta_path));
  // The metadata is as readable as the dump (breakV V7, breakY Y6).
  Status s = WriteNewFile(meta_tmp, ToJson(Value(meta.value()), 2) + "\n", 0600);
  if (s.ok()) s = ShareAccess(meta_tmp, {tmp});
  if (s.ok()) s = RenameDurable(tmp, path);
  if (!s.ok()) return s;
  s = RenameDurable(meta_tmp, meta_path);
  if (!s.ok()) std::remove(path.c_str());
  if (!s.ok()) return s;
  return meta;
}

AttemptResult PublishedBackup(const std::string& path, const Value::Map& meta, Value deleted) {
  auto field = [&meta](const char* key) {
    auto it = meta.find(key);
    return it != meta.end() ? it->second : Value(std::string());
  };
  return AttemptResult::Success({{"path", Value(path)},
                                 {"meta", Value(MetaPathFor(path))},
                                 {"sha256", field("sha256")},
                                 {"size", field("size")},
                                 {"created_at", field("created_at")},
                                 {"raw_sha256", field("raw_sha256")},
                                 {"key_id", field("key_id")},
                                 {"deleted", std::move(deleted)}});
}

std::string InstanceOf(const StepParams& p) {
  const Value* v = p.Opt("instance");
  return v ? v->ToText() : HostName();
}

namespace {

// The step's retention policy (keep_last, keep_days, keep, sign_key; the run's own dumps,
// the reads of later steps, what drills verified); nullopt when it has none, or `keep` is
// not one (said in `error`).
std::optional<RetentionPolicy> PolicyOf(const StepParams& p, StepContext& ctx, std::string& error) {
  RetentionPolicy policy;
  if (const Value* n = p.Opt("keep_last")) policy.keep_last = n->as_int();
  if (const Value* d = p.Opt("keep_days")) policy.keep_days = d->as_int();
  if (const Value* key = p.Opt("sign_key")) policy.verify_key = key->ToText();
  if (const Value* keep_tiers = p.Opt("keep")) {
    auto tiers = ParseKeepTiers(*keep_tiers);  // checked at load unless from an expression
    if (!tiers.ok()) {
      error = tiers.status().message();
      return std::nullopt;
    }
    policy.tiers = tiers.value();
  }
  if (!policy.keep_last && !policy.keep_days && !policy.tiers) return std::nullopt;
  policy.own_run = [&ctx](const std::string& id) { return ctx.OwnRun(id); };
  policy.still_read = [&ctx](const std::string& path) { return ctx.ReadElsewhere(path); };
  policy.verified_by = ctx.verified_by;
  policy.verified_state =
      ctx.verified_state ? ctx.verified_state() : VerifiedState{"no audit store", false};
  return policy;
}

}  // namespace

Value RetainDumps(const StepParams& p, const std::string& dest, const DumpSource& source,
                  const std::string& keep, Clock::Wall now, StepContext& ctx) {
  Value::List deleted;
  std::string error;
  std::optional<RetentionPolicy> policy = PolicyOf(p, ctx, error);
  if (!error.empty()) ctx.log("retention: deleted nothing: " + error);
  if (!policy) return Value(std::move(deleted));
  // A step still to run reads a path not known yet: it may be any dump here (breakEE E4).
  if (ctx.reads_unknown != nullptr && !ctx.reads_unknown->empty()) {
    ctx.log("retention: deleted nothing this run: " + Join(*ctx.reads_unknown, ", ") +
            " will read a path not known yet, which may be a dump here; the next run prunes");
    return Value(std::move(deleted));
  }
  for (const RetentionDecision& d : PlanRetention(dest, source, keep, *policy, now)) {
    if (d.keep) {
      if (d.why.find("verified") != std::string::npos)  // kept past the counts: said
        ctx.log("retention: kept " + d.path + ": " + d.why);
      continue;
    }
    if (!DeleteDump(d.path)) continue;
    ctx.log("retention: removed " + d.path + " (" + d.why + ")");
    deleted.push_back(Value(d.path));
  }
  return Value(std::move(deleted));
}

void DescribeRetention(const StepParams& p, const std::string& dest, const DumpSource& source,
                       Clock::Wall now, StepContext& ctx) {
  std::string error;
  std::optional<RetentionPolicy> policy = PolicyOf(p, ctx, error);
  if (!error.empty()) ctx.log("retention: would delete nothing: " + error);
  if (!policy) return;
  policy->count_one_more = true;
  // As the run: a step still to run reads a path not known yet (breakMM MM4: the dry run
  // listed a deletion of the very dump that step then read).
  if (ctx.reads_unknown != nullptr && !ctx.reads_unknown->empty()) {
    ctx.log("retention: would delete nothing this run: " + Join(*ctx.reads_unknown, ", ") +
            " will read a path not known yet, which may be a dump here; the next run prunes");
    return;
  }
  std::vector<RetentionDecision> plan = PlanRetention(dest, source, "", *policy, now);
  if (plan.empty()) ctx.log("retention: no earlier dump of " + source.path + " in " + dest);
  for (const RetentionDecision& d : plan)
    ctx.log(std::string("retention: would ") + (d.keep ? "keep " : "delete ") + d.path + ": " +
            d.why);
}

}  // namespace runbook
