#include "engine/audit/metrics.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <sstream>

#include "engine/util/file_access.h"
#include "engine/util/own_file.h"
#include "engine/util/private_file.h"

namespace runbook {

std::string PromLabel(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return "\"" + out + "\"";
}

namespace {

std::string Label(const std::string& v) { return PromLabel(v); }

double Seconds(Millis m) { return static_cast<double>(m.count()) / 1000.0; }

}  // namespace

std::string MetricsText(const Runbook& rb, const RunResult& r, int64_t finished_unix_ms) {
  std::ostringstream o;
  std::string rbl = "runbook=" + Label(rb.name);
  o << "# HELP runbook_last_run_success 1 when the last run succeeded and met its objectives\n"
    << "# TYPE runbook_last_run_success gauge\n"
    << "runbook_last_run_success{" << rbl << ",kind=" << Label(rb.kind) << "} "
    << (r.status == "success" && r.objectives_met() ? 1 : 0) << "\n"
    << "# HELP runbook_last_run_status the last run's status (one series set to 1)\n"
    << "# TYPE runbook_last_run_status gauge\n";
  for (const char* s : {"success", "failure", "cancelled"}) {
    o << "runbook_last_run_status{" << rbl << ",status=\"" << s << "\"} " << (r.status == s ? 1 : 0)
      << "\n";
  }
  o << "# HELP runbook_last_run_timestamp_seconds when the last run finished\n"
    << "# TYPE runbook_last_run_timestamp_seconds gauge\n"
    << "runbook_last_run_timestamp_seconds{" << rbl << "} " << finished_unix_ms / 1000 << "\n"
    << "# HELP runbook_last_run_duration_seconds how long the last run took\n"
    << "# TYPE runbook_last_run_duration_seconds gauge\n"
    << "runbook_last_run_duration_seconds{" << rbl << "} " << Seconds(r.duration) << "\n";
  if (r.rto.measured) {
    o << "# HELP runbook_last_run_rto_seconds the RTO measured by the last run\n"
      << "# TYPE runbook_last_run_rto_seconds gauge\n"
      << "runbook_last_run_rto_seconds{" << rbl << "} " << Seconds(r.rto.elapsed) << "\n";
  }
  if (r.rto.objective) {
    o << "# HELP runbook_rto_objective_seconds the runbook's RTO objective\n"
      << "# TYPE runbook_rto_objective_seconds gauge\n"
      << "runbook_rto_objective_seconds{" << rbl << "} " << Seconds(*r.rto.objective) << "\n";
  }
  o << "# HELP runbook_step_duration_seconds each step's duration in the last run\n"
    << "# TYPE runbook_step_duration_seconds gauge\n";
  for (size_t i = 0; i < r.steps.size() && i < rb.steps.size(); ++i) {
    o << "runbook_step_duration_seconds{" << rbl << ",step=" << Label(rb.steps[i].id)
      << ",outcome=\"" << OutcomeName(r.steps[i].outcome) << "\"} "
      << Seconds(r.steps[i].duration()) << "\n";
  }
  return o.str();
}

Status WriteMetricsFile(const std::string& path, const std::string& text) {
  if (Status own = CheckOwnFile(path); !own.ok()) return own;  // breakI I21: never a link
  // A new file under an unpredictable name, never through a link or over what is there.
  std::string tmp;
  auto created = CreateUnpredictableTemp(path, 0644, tmp);
  if (!created.ok()) return created.status();
  int fd = created.value();
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  int err = errno;
  ok = ::close(fd) == 0 && ok;
  // The file it replaces keeps its owner, group, mode and ACL (breakDD D3: a collector's file
  // owned by its account, or readable through an ACL, came back root's 0644). A new one is
  // 0644 less the umask: node_exporter reads it as another account.
  struct stat was {};
  Status kept = ok && ::lstat(path.c_str(), &was) == 0 ? ReplaceAccess(tmp, path, {path}, path)
                                                       : Status::Ok();
  if (!kept.ok()) {
    std::remove(tmp.c_str());
    return kept;
  }
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    if (ok) err = errno;
    std::remove(tmp.c_str());
    return Status::FromErrno("cannot write " + path, err);
  }
  return Status::Ok();
}

}  // namespace runbook
