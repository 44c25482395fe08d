#include "steps/common/retention.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>

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

std::vector<Dump> DumpsOf(const std::string& dir, const DumpSource& source,
                          const std::string& verify_key) {
  std::vector<Dump> dumps;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string path = entry.path().string();
    if (!IsDump(path) || ScratchOwner(entry.path().filename().string())) continue;
    auto meta = LoadMeta(MetaPathFor(path));
    if (!meta.ok() || !Names(meta.value(), source)) continue;
    if (!verify_key.empty() && !Signed(meta.value(), path, verify_key)) continue;
    auto created = ParseUtc(meta.value().at("created_at").ToText());
    const Value::Map& m = meta.value();
    if (created)
      dumps.push_back({path, *created, m.count("run_id") ? m.at("run_id").ToText() : ""});
  }
  std::sort(dumps.begin(), dumps.end(),
            [](const Dump& a, const Dump& b) { return a.created > b.created; });
  return dumps;
}

// Unpublishes (metadata to a scratch name), then deletes the dump, then the scratch file.
bool Delete(const std::string& dump) {
  std::string pending = ScratchBeside(MetaPathFor(dump));
  if (!RenameDurable(MetaPathFor(dump), pending).ok()) return false;
  bool gone = ::unlink(dump.c_str()) == 0;
  if (gone) FsyncDir(DirName(dump));
  ::unlink(pending.c_str());
  return gone;
}

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

std::vector<std::string> ApplyRetention(const std::string& dir, const DumpSource& source,
                                        const std::string& keep, const RetentionPolicy& policy,
                                        Clock::Wall now) {
  std::vector<Dump> dumps = DumpsOf(dir, source, policy.verify_key);
  std::vector<std::string> removed;
  std::error_code ec;
  for (size_t i = 0; i < dumps.size(); ++i) {
    const Dump& d = dumps[i];
    if (std::filesystem::equivalent(d.path, keep, ec)) continue;
    if (!d.run_id.empty() && policy.own_run && policy.own_run(d.run_id)) continue;
    if (policy.still_read && policy.still_read(d.path)) continue;
    bool beyond_count = policy.keep_last && static_cast<int64_t>(i) >= *policy.keep_last;
    // At most 36,500 days of 24 h: 3.2e18 ns fits the clock's 64-bit count.
    bool too_old = policy.keep_days &&
                   now - d.created > std::chrono::hours(24) *
                                         std::clamp<int64_t>(*policy.keep_days, 1, kMaxKeepDays);
    if ((beyond_count || too_old) && Delete(d.path)) removed.push_back(d.path);
  }
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
