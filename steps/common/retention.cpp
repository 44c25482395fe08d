#include "steps/common/retention.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iterator>
#include <map>

#include "engine/util/crypto.h"
#include "engine/util/time_format.h"
#include "steps/common/backup_meta.h"
#include "steps/common/files.h"
#include "steps/common/scratch.h"

namespace runbook {
namespace {

struct Dump {
  std::string path;
  Clock::Wall created;
  std::string run_id;  // the run that made it ("" in older metadata)
  std::string sha256;  // of the dump, as its metadata says
};

bool EndsWith(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// A dump of any engine of `backup` (DumpSuffixes).
bool IsDump(const std::string& name) {
  for (const std::string& suffix : DumpSuffixes())
    if (EndsWith(name, suffix)) return true;
  return false;
}

// The backup job's own word on `dump`: signed with `key`, naming this file with its size.
// (Its sha256 is not recomputed: a genuine metadata beside other bytes deletes nothing
// but that dump.)
bool Signed(const Value::Map& meta, const std::string& dump, const std::string& key) {
  std::error_code ec;
  uint64_t size = std::filesystem::file_size(dump, ec);
  return !ec && meta.count("file") && meta.at("file").ToText() == BaseName(dump) &&
         meta.count("size") && meta.at("size").ToText() == std::to_string(size) &&
         CheckMetaSignature(meta, key).ok();
}

// The metadata names `source`: its path, and its instance when it records one.
bool Names(const Value::Map& meta, const DumpSource& source) {
  auto text = [&meta](const char* k) { return meta.count(k) ? meta.at(k).ToText() : ""; };
  return meta.count("source") && text("source") == source.path &&
         (!meta.count("instance") || text("instance") == source.instance);
}

// The dumps of `source` in `dir` with genuine metadata, newest first; those whose metadata's
// created_at cannot be read go to `undated` (never deleted, and said: breakMM MM9).
std::vector<Dump> DumpsOf(const std::string& dir, const DumpSource& source,
                          const std::string& verify_key, std::vector<std::string>& undated) {
  std::vector<Dump> dumps;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string path = entry.path().string();
    if (!IsDump(path) || ScratchOwner(entry.path().filename().string())) continue;
    // A dump is a file runbook wrote: a folder or a link so named is none (break18 R6: a dry
    // run listed a folder `x.pgdump` to delete, which the run then could not, silently).
    std::error_code kind;
    if (entry.symlink_status(kind).type() != std::filesystem::file_type::regular) continue;
    auto meta = LoadMeta(MetaPathFor(path));
    if (!meta.ok() || !Names(meta.value(), source)) continue;
    if (!verify_key.empty() && !Signed(meta.value(), path, verify_key)) continue;
    auto created = ParseUtc(meta.value().at("created_at").ToText());
    const Value::Map& m = meta.value();
    if (created)
      dumps.push_back({path, *created, m.count("run_id") ? m.at("run_id").ToText() : "",
                       m.count("sha256") ? m.at("sha256").ToText() : ""});
    else
      undated.push_back(path);
  }
  std::sort(dumps.begin(), dumps.end(),
            [](const Dump& a, const Dump& b) { return a.created > b.created; });
  return dumps;
}

}  // namespace

bool DeleteDump(const std::string& dump) {
  std::string pending = ScratchBeside(MetaPathFor(dump));
  if (!RenameDurable(MetaPathFor(dump), pending).ok()) return false;
  bool gone = ::unlink(dump.c_str()) == 0;
  if (gone) FsyncDir(DirName(dump));
  ::unlink(pending.c_str());
  return gone;
}

namespace {

// The dump a pending metadata file of a dead run describes, when it lacks its .meta.json.
std::string HalfPublished(const std::string& dir, const std::string& name) {
  size_t tmp = name.rfind(".tmp-");
  if (tmp == std::string::npos || name.size() < 2) return "";
  std::string meta_name = name.substr(1, tmp - 1);
  if (!EndsWith(meta_name, ".meta.json")) return "";
  std::string dump = dir + "/" + meta_name.substr(0, meta_name.size() - 10);
  std::error_code ec;
  if (!std::filesystem::exists(dump, ec) || std::filesystem::exists(MetaPathFor(dump), ec))
    return "";
  auto meta = LoadMeta(dir + "/" + name);
  auto sha = Sha256File(dump);
  uint64_t size = std::filesystem::file_size(dump, ec);
  if (!meta.ok() || !sha.ok() || ec) return "";
  return CheckMetaDescribes(meta.value(), dump, size, sha.value()).ok() ? dump : "";
}

}  // namespace

namespace {

// The calendar bucket of `t` for a tier (UTC): "2026-12-04", ISO week "2026-W49", "2026-12".
std::string Bucket(const std::string& tier, Clock::Wall t) {
  using namespace std::chrono;
  const sys_days day = floor<days>(t);
  char buf[16];
  if (tier == "weekly") {  // ISO 8601: the week's Thursday decides its year
    const unsigned iso_weekday = weekday(day).iso_encoding();  // Monday 1 .. Sunday 7
    const sys_days thursday = day - days(iso_weekday - 1) + days(3);
    const year y = year_month_day(thursday).year();
    const auto week = (thursday - sys_days(y / January / 1)).count() / 7 + 1;
    std::snprintf(buf, sizeof buf, "%04d-W%02d", static_cast<int>(y), static_cast<int>(week));
    return buf;
  }
  const year_month_day ymd(day);
  if (tier == "monthly")
    std::snprintf(buf, sizeof buf, "%04d-%02u", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()));
  else
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

// Marks what each tier keeps (`why`), and what each spans (`spans[tier]`: indexes into
// `dumps`, newest first) for the verified rule.
void KeepByTiers(const std::vector<Dump>& dumps, const KeepTiers& tiers,
                 std::vector<std::string>& why, std::map<std::string, std::vector<size_t>>& spans) {
  for (size_t i = 0; i < dumps.size(); ++i) {
    if (tiers.last && static_cast<int64_t>(i) < *tiers.last) {
      if (why[i].empty()) why[i] = "last " + std::to_string(*tiers.last);
      spans["last"].push_back(i);
    }
  }
  const std::pair<const char*, std::optional<int64_t>> calendar[] = {
      {"daily", tiers.daily}, {"weekly", tiers.weekly}, {"monthly", tiers.monthly}};
  for (const auto& [tier, count] : calendar) {
    if (!count) continue;
    std::string last_bucket;
    int64_t buckets = 0;
    for (size_t i = 0; i < dumps.size(); ++i) {
      std::string b = Bucket(tier, dumps[i].created);
      if (b != last_bucket) {
        if (buckets == *count) break;
        ++buckets;
        last_bucket = b;
        if (why[i].empty()) why[i] = std::string(tier) + " " + b;  // its bucket's newest
      }
      spans[tier].push_back(i);
    }
  }
}

}  // namespace

Result<KeepTiers> ParseKeepTiers(const Value& keep) {
  if (!keep.is_map() || keep.as_map().empty())
    return Status::Error("keep: expected a mapping of last, daily, weekly, monthly to counts");
  KeepTiers tiers;
  for (const auto& [name, count] : keep.as_map()) {
    std::optional<int64_t>* slot = name == "last"      ? &tiers.last
                                   : name == "daily"   ? &tiers.daily
                                   : name == "weekly"  ? &tiers.weekly
                                   : name == "monthly" ? &tiers.monthly
                                                       : nullptr;
    if (slot == nullptr)
      return Status::Error("keep: unknown tier '" + name +
                           "' (expected last, daily, weekly or monthly)");
    if (!count.is_int() || count.as_int() < 1 || count.as_int() > kMaxKeepLast)
      return Status::Error("keep." + name + ": expected a whole number from 1 to " +
                           std::to_string(kMaxKeepLast) + ", found " + count.ToText());
    *slot = count.as_int();
  }
  return tiers;
}

std::vector<RetentionDecision> PlanRetention(const std::string& dir, const DumpSource& source,
                                             const std::string& keep, const RetentionPolicy& policy,
                                             Clock::Wall now) {
  if (!policy.keep_last && !policy.keep_days && !policy.tiers) return {};
  std::vector<std::string> undated;
  std::vector<Dump> dumps = DumpsOf(dir, source, policy.verify_key, undated);
  // A dump dated in the future (a host whose clock ran ahead) would be the newest for years
  // and push genuine ones out (breakMM MM6): it neither counts nor is deleted.
  std::vector<Dump> future;
  auto ahead = [&](const Dump& d) { return d.created > now + std::chrono::minutes(5); };
  std::copy_if(dumps.begin(), dumps.end(), std::back_inserter(future), ahead);
  dumps.erase(std::remove_if(dumps.begin(), dumps.end(), ahead), dumps.end());
  if (policy.count_one_more) dumps.insert(dumps.begin(), Dump{"", now, "", ""});
  std::vector<std::string> why(dumps.size());
  std::error_code ec;
  auto verified = [&](size_t i) {
    return policy.verified_by && !dumps[i].sha256.empty() ? policy.verified_by(dumps[i].sha256)
                                                          : std::string();
  };
  std::map<std::string, std::vector<size_t>> spans;
  if (policy.tiers) {
    KeepByTiers(dumps, *policy.tiers, why, spans);
  } else {
    for (size_t i = 0; i < dumps.size(); ++i) {
      bool beyond_count = policy.keep_last && static_cast<int64_t>(i) >= *policy.keep_last;
      // At most 36,500 days of 24 h: 3.2e18 ns fits the clock's 64-bit count.
      bool too_old =
          policy.keep_days &&
          now - dumps[i].created >
              std::chrono::hours(24) * std::clamp<int64_t>(*policy.keep_days, 1, kMaxKeepDays);
      if (!beyond_count && !too_old)
        why[i] = policy.keep_last ? "among the newest " + std::to_string(*policy.keep_last)
                                  : "younger than " + std::to_string(*policy.keep_days) + " days";
    }
  }
  // The newest verified dump, and the newest verified of what each tier spans.
  spans["all"].resize(dumps.size());
  for (size_t i = 0; i < dumps.size(); ++i) spans["all"][i] = i;
  std::map<size_t, bool> holds;  // verified dumps hashed: their bytes still the verified ones
  auto still_holds = [&](size_t i) {
    if (!holds.count(i)) {
      auto now_sha = Sha256File(dumps[i].path);
      holds[i] = now_sha.ok() && now_sha.value() == dumps[i].sha256;
    }
    return holds[i];
  };
  bool any_verified = false;
  for (const auto& [tier, indexes] : spans) {
    for (size_t i : indexes) {
      std::string by = verified(i);
      if (by.empty()) continue;
      any_verified = true;
      if (!still_holds(i)) continue;  // changed since it was verified: not the proof (MM1)
      if (why[i].empty())
        why[i] = (tier == "all" ? std::string("the newest verified")
                                : "the newest verified of the " + tier + " tier") +
                 " (by " + by + ")";
      break;
    }
  }
  std::vector<RetentionDecision> out;
  for (size_t i = policy.count_one_more ? 1 : 0; i < dumps.size(); ++i) {
    const Dump& d = dumps[i];
    if (!keep.empty() && std::filesystem::equivalent(d.path, keep, ec))
      why[i] = "the dump just written";
    else if (!d.run_id.empty() && policy.own_run && policy.own_run(d.run_id))
      why[i] = "made by this run";
    else if (policy.still_read && policy.still_read(d.path))
      why[i] = "read by another step of this run";
    if (policy.verified_state.hold)
      why[i] = "retention deletes nothing: " + policy.verified_state.unknown;
    bool kept = !why[i].empty();
    std::string gone = policy.tiers ? "not kept by any tier, nor the newest verified"
                       : policy.keep_last && static_cast<int64_t>(i) >= *policy.keep_last
                           ? "beyond keep_last " + std::to_string(*policy.keep_last)
                           : "older than keep_days " + std::to_string(policy.keep_days.value_or(0));
    if (!any_verified && !policy.verified_state.unknown.empty())
      gone += "; nothing is known verified: " + policy.verified_state.unknown;
    else if (holds.count(i) && !holds[i])
      gone += "; its bytes changed since it was verified";
    out.push_back({d.path, kept, kept ? why[i] : gone});
  }
  for (const Dump& d : future)
    out.push_back({d.path, true,
                   "its created_at is in the future (a clock is wrong): never counted, never "
                   "deleted"});
  for (const std::string& path : undated)
    out.push_back({path, true, "its metadata's created_at cannot be read: never deleted"});
  return out;
}

std::vector<std::string> ApplyRetention(const std::string& dir, const DumpSource& source,
                                        const std::string& keep, const RetentionPolicy& policy,
                                        Clock::Wall now) {
  std::vector<std::string> removed;
  for (const RetentionDecision& d : PlanRetention(dir, source, keep, policy, now))
    if (!d.keep && DeleteDump(d.path)) removed.push_back(d.path);
  return removed;
}

std::vector<std::string> RecoverDumps(const std::string& dir) {
  std::vector<std::string> lines;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (!ScratchOfDeadRun(dir, name)) continue;
    std::string dump = HalfPublished(dir, name);
    if (dump.empty() || ::unlink(dump.c_str()) != 0) continue;
    FsyncDir(dir);
    lines.push_back("rolled back " + dump + ": a killed run left it without its .meta.json");
  }
  auto owns = [](const std::string& base) {  // what a backup writes: dump, metadata, raw copy
    // ... and a MySQL backup's option file (breakKK KK7: a kill left the password there).
    auto minus = [&](size_t n) { return base.substr(0, base.size() - n); };
    return EndsWith(base, ".sqlite") || IsDump(base) ||
           (EndsWith(base, ".meta.json") && IsDump(minus(10))) ||
           (EndsWith(base, ".cnf") && IsDump(minus(4)));
  };
  for (const std::string& gone : RemoveDebris(dir, owns))
    lines.push_back("removed " + gone + ", left by a killed run");
  return lines;
}

}  // namespace runbook
