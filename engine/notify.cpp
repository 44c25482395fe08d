#include "engine/notify.h"

namespace runbook {

std::vector<std::string> RaisedEvents(const RunResult& result, const std::string& previous_status) {
  std::vector<std::string> out;
  if (result.status == "failure") out.push_back("failure");
  if (result.status == "success" && !result.objectives_met()) out.push_back("objective_missed");
  if (result.status == "success") out.push_back("success");
  if (result.status == "success" && !previous_status.empty() && previous_status != "success")
    out.push_back("recovered");
  return out;
}

std::string UrlOrigin(const std::string& url) {
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) return "";
  std::string name = url.substr(0, scheme);
  if (name != "http" && name != "https" && name != "smtp" && name != "smtps") return "";
  size_t end = url.find_first_of("/?#", scheme + 3);
  std::string authority = url.substr(scheme + 3, end == std::string::npos ? end : end - scheme - 3);
  size_t at = authority.rfind('@');  // user:password@ never shown
  if (at != std::string::npos) authority = authority.substr(at + 1);
  return name + "://" + authority;
}

}  // namespace runbook
