// The log of a run under runbook serve (`<log_dir>/<run id>.log`, Launcher::LogOf): the run's
// own output, then, for a run that may have died (Launcher::StartLostHelper), each of its
// lost-run helpers' after a line serve writes first (HelperHeader). What the run itself said
// (why it refused, whether it refused at all) is read from the part before the first such
// line: a helper's own errors (a store it could not write yet) are never taken for the run's
// (found reviewing breakDD DD1's fix: a helper trying again read its earlier errors in the
// log as the run's refusal).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace runbook {

// The start of the line serve writes to a run's log before a lost-run helper's output.
inline constexpr std::string_view kHelperLine = "runbook serve: the lost-run helper of this run";

// The whole line for a helper started for a run that ended with `exit_code` (kDiedWithServe:
// it died with a serve before this one), "\n" ended.
std::string HelperHeader(int exit_code);

// Appends HelperHeader(exit_code) to the log at `path` (O_APPEND, never following a symlink).
// Best effort: a log that cannot be written is left as it is.
void AppendHelperHeader(const std::string& path, int exit_code);

// The run's own output in the log at `path`: the text before the first kHelperLine line, at
// most its first `max_bytes`. Nullopt when the log cannot be read (missing).
std::optional<std::string> RunOwnOutput(const std::string& path, size_t max_bytes);

}  // namespace runbook
