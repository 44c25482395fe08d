// Checks what the docs show a user to type with the real binary: a runbook snippet with
// `runbook validate`, a command line with the real CLI parser (RUNBOOK_PARSE_ONLY=1: parsed,
// never run). Each problem is one line, "FILE:LINE: what: why", so a reader can jump to it.
// Runs child processes; not thread-safe (help texts are cached).
#pragma once

#include <string>
#include <vector>

namespace runbook::test {

// README.md and docs/*.md, relative to the repository's root (RUNBOOK_SOURCE_DIR), sorted.
std::vector<std::string> DocFiles();

// The problems of every snippet in one Markdown text; `name` is the file as reported.
std::vector<std::string> CheckMarkdown(const std::string& name, const std::string& markdown);

// Runs the binary with RUNBOOK_PARSE_ONLY=1 and these arguments: the exit code and stderr.
struct Parsed {
  int exit_code = -1;
  std::string out;
  std::string err;
};
Parsed ParseOnly(const std::vector<std::string>& args);

}  // namespace runbook::test
