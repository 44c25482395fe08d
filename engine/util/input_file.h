// Opening a step's input file (a dump, its metadata, a report, a flags file, a log) so that
// what is not a regular file can never block the run: a FIFO would wait in open() or read()
// for a writer, past the step's timeout and ^C. Every reader of a step input goes through here.
#pragma once

#include <cstdio>
#include <string>

#include "engine/util/status.h"

namespace runbook {

// Opens `path` read-only (following links) with O_NONBLOCK|O_CLOEXEC, so opening a FIFO
// returns at once, checks the opened file with fstat and refuses anything but a regular file
// ("<path> is a FIFO, not a regular file"); O_NONBLOCK is then cleared. Returns an fd the
// caller closes. Errors name the path and strerror.
Result<int> OpenInputFile(const std::string& path);
// The same, as a stdio stream ("rb") the caller fcloses.
Result<FILE*> OpenInputStream(const std::string& path);
// For inputs another library opens by name (SQLite): an existing `path` must be a regular
// file (links followed). A missing path is fine here (the opener reports it).
Status CheckInputPath(const std::string& path);
// "a FIFO", "a folder", "a character device", ... for an st_mode that is not a regular file.
std::string FileKindName(unsigned mode);

}  // namespace runbook
