// runbook report RUN --format md|json|html [--output FILE]
#include <fstream>
#include <iostream>

#include "cli/audit_open.h"
#include "cli/commands.h"
#include "engine/audit/report.h"

namespace runbook {

int CmdReport(const AuditCliOptions& o) {
  auto store = OpenAuditForCommand(o.audit_db);
  if (!store) return kExitEnvironment;
  auto rec = LoadRunRecord(*store, o.run_id);
  if (!rec.ok()) {
    std::cerr << "runbook: error: " << rec.status().message() << "\n";
    return kExitInvalid;
  }
  std::string text = o.format == "json"   ? ReportJson(rec.value())
                     : o.format == "html" ? ReportHtml(rec.value())
                                          : ReportMarkdown(rec.value());
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
