// runbook report RUN --format md|json|html [--output FILE]
#include <fstream>
#include <iostream>

#include "cli/audit_open.h"
#include "cli/commands.h"
#include "engine/audit/report.h"

namespace runbook {

int CmdReport(const AuditCliOptions& o) {
  int exit_code = kExitOk;
  auto rec = LoadRunForCommand(o.audit_db, o.run_id, StoreUse::kRead, exit_code);
  if (!rec) return exit_code;
  std::string text = o.format == "json"   ? ReportJson(*rec)
                     : o.format == "html" ? ReportHtml(*rec)
                                          : ReportMarkdown(*rec);
  if (o.output.empty()) {
    std::cout << text;
    return kExitOk;
  }
  std::ofstream out(o.output, std::ios::binary);
  out << text;
  out.close();
  if (!out) {
    std::cerr << "runbook: error: cannot write " << o.output << "\n";
    return kExitEnvironment;
  }
  return kExitOk;
}

}  // namespace runbook
