#include "steps/common/retention.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "engine/util/time_format.h"
#include "steps/common/backup_meta.h"

namespace runbook {

std::vector<std::string> ApplyRetention(const std::string& dir, const std::string& source,
                                        const std::string& keep, const RetentionPolicy& policy,
                                        Clock::Wall now) {
  struct Dump {
    std::string path;
    Clock::Wall created;
  };
  std::vector<Dump> dumps;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string path = entry.path().string();
    if (path.size() < 10 || path.substr(path.size() - 10) != ".sqlite.gz") continue;
    auto meta = LoadMeta(MetaPathFor(path));
    if (!meta.ok() || !meta.value().count("source") || meta.value().at("source").ToText() != source)
      continue;
    auto created = ParseUtc(meta.value().at("created_at").ToText());
    if (created) dumps.push_back({path, *created});
  }
  std::sort(dumps.begin(), dumps.end(),
            [](const Dump& a, const Dump& b) { return a.created > b.created; });
  std::vector<std::string> removed;
  for (size_t i = 0; i < dumps.size(); ++i) {
    const Dump& d = dumps[i];
    if (std::filesystem::equivalent(d.path, keep, ec)) continue;
    bool beyond_count = policy.keep_last && static_cast<int>(i) >= *policy.keep_last;
    bool too_old = policy.keep_days && now - d.created > std::chrono::hours(24 * *policy.keep_days);
    if (!beyond_count && !too_old) continue;
    std::remove(MetaPathFor(d.path).c_str());
    std::remove(d.path.c_str());
    removed.push_back(d.path);
  }
  return removed;
}

}  // namespace runbook
