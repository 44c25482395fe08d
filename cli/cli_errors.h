// What the command line's parse errors say, and the checks of its numeric options. CLI11
// parses; these turn its errors into messages that name the mistake and the closest valid
// word, as git does ("did you mean 'run'?"), and keep its numeric checks readable.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace runbook {

// Prints a parse error of `app` (after app.parse threw `error`) on stderr, with a
// suggestion for an unknown command or option when one is close (engine/util/strings.h's
// ClosestName). Returns the exit code: 0 for --help/--version, else 2 (docs/cli.md).
int ReportParseError(CLI::App& app, const CLI::ParseError& error, int argc, char** argv);

// A whole number from 1 to `max`; the message names the option and what it found, never
// CLI11's floating-point range.
CLI::Validator CountFrom1To(long long max);

}  // namespace runbook
