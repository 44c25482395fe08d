#include "steps/common/sync_plan.h"

#include <fnmatch.h>

#include <cctype>
#include <charconv>
#include <map>

namespace runbook {

SyncDecision DecideSync(const std::vector<SyncEntry>& source, const std::vector<SyncEntry>& dest,
                        const std::function<bool(const SyncEntry&, const SyncEntry&)>& same) {
  std::map<std::string, const SyncEntry*> at_dest;
  for (const SyncEntry& d : dest) at_dest[d.rel] = &d;
  SyncDecision out;
  for (const SyncEntry& s : source) {
    auto it = at_dest.find(s.rel);
    if (it == at_dest.end() || it->second->size != s.size || !same(s, *it->second)) {
      out.transfer.push_back(s.rel);
    } else {
      out.skip.push_back(s.rel);
    }
    if (it != at_dest.end()) at_dest.erase(it);
  }
  for (const auto& [rel, entry] : at_dest) out.remove.push_back(rel);
  return out;
}

bool IsMd5Etag(const std::string& etag) {
  if (etag.size() != 32) return false;
  for (char c : etag)
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

std::optional<uint64_t> DeleteLimit(const std::string& spec, uint64_t total) {
  bool percent = !spec.empty() && spec.back() == '%';
  std::string digits = percent ? spec.substr(0, spec.size() - 1) : spec;
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  if (!percent) return n;
  if (n > 100) return std::nullopt;
  return total / 100 * n + total % 100 * n / 100;  // total * n / 100 without overflow
}

bool Selected(const std::string& rel, const std::vector<std::string>& include,
              const std::vector<std::string>& exclude) {
  bool in = include.empty();
  for (const std::string& g : include) in = in || fnmatch(g.c_str(), rel.c_str(), 0) == 0;
  for (const std::string& g : exclude)
    if (fnmatch(g.c_str(), rel.c_str(), 0) == 0) return false;
  return in;
}

}  // namespace runbook
