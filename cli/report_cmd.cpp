// runbook report RUN [--format md|json|html|pdf] [--output FILE]: without --format, the
// format comes from the output file's extension (.html, .json, .pdf, else Markdown).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <utility>

#include "cli/audit_open.h"
#include "cli/commands.h"
#include "engine/audit/report.h"
#include "engine/util/fd_io.h"
#include "engine/util/own_file.h"
#include "engine/util/private_file.h"
#include "engine/util/strings.h"

namespace runbook {

int CmdReport(const AuditCliOptions& o) {
  int exit_code = kExitOk;
  auto loaded = LoadRunAndStore(o.audit_db, o.run_id, StoreUse::kRead, exit_code);
  if (!loaded) return exit_code;
  auto& store = loaded->store;
  auto& rec = loaded->record;
  if (Status s = LoadRunChain(*store, rec); !s.ok()) {
    std::cerr << "runbook: error: " << s.message() << "\n";
    return kExitEnvironment;
  }
  std::string format = ReportFormatFor(o.format, o.output);
  if (format.empty()) {
    std::cerr << "runbook: error: --output " << Printable(o.output)
              << ": runbook writes md, json, html or pdf, and cannot tell which from its "
                 "extension; give --format\n";
    return kExitInvalid;
  }
  // A PDF is bytes a terminal would show as noise and may read as control sequences: it goes
  // to a file or a pipe, as curl refuses binary output to a terminal.
  if (format == "pdf" && o.output.empty() && ::isatty(STDOUT_FILENO)) {
    std::cerr << "runbook: error: a PDF is not written to a terminal: give --output FILE.pdf "
                 "or redirect stdout\n";
    return kExitInvalid;
  }
  // A report of altered events is written (it shows what the store holds) and fails: exit 1
  // as `audit verify` on a broken chain, so no script files it as evidence unread.
  int done = CheckEvidence(*store, rec);
  std::string text;
  if (format == "pdf") {
    auto pdf = ReportPdf(rec);
    if (!pdf.ok()) {
      std::cerr << "runbook: error: " << pdf.status().message() << "\n";
      return kExitEnvironment;
    }
    text = std::move(pdf).value();
  } else {
    text = format == "json"   ? ReportJson(rec)
           : format == "html" ? ReportHtml(rec)
                              : ReportMarkdown(rec);
  }
  // A report of altered events is written (it shows what the store holds) and fails: exit 1
  // and a word on stderr, so no script files it as evidence unread (breakFF F6).
  if (o.output.empty()) {
    std::cout << text;
    return done;
  }
  // Never through a link at the name (breakI I21): engine/util/own_file.h's rule. Written
  // beside it and renamed over it: a write that fails (a full disk, a file size limit) leaves
  // the report that was there, not a part of the new one (breakHH HH7).
  Status own = CheckOwnFile(o.output);
  std::string tmp;
  Result<int> fd = own.ok() ? CreateUnpredictableTemp(o.output, 0644, tmp) : Result<int>(own);
  bool ok = fd.ok() && WriteAll(fd.value(), text.data(), text.size());
  int err = ok ? 0 : errno;  // why, for the message (a full disk, a file size limit)
  if (fd.ok() && ::close(fd.value()) != 0 && ok) ok = false, err = errno;
  if (ok && ::rename(tmp.c_str(), o.output.c_str()) != 0) ok = false, err = errno;
  if (!ok) {
    if (!tmp.empty()) ::unlink(tmp.c_str());
    // Its folder is the caller's to make, as for a shell's `> reports/r.html` (newcomer N6).
    std::string folder = std::filesystem::path(o.output).parent_path().string();
    std::error_code ec;
    bool no_folder = !fd.ok() && !folder.empty() && !std::filesystem::exists(folder, ec);
    std::cerr << "runbook: error: "
              << (no_folder ? "--output " + Printable(o.output) + ": folder " + Printable(folder) +
                                  " does not exist (make it first)"
                  : fd.ok() ? "cannot write " + Printable(o.output) +
                                  (err ? std::string(": ") + std::strerror(err) : std::string())
                            : fd.status().message())
              << "\n";
    return kExitEnvironment;
  }
  return done;
}

}  // namespace runbook
