// Finds what the docs show a user to type in one Markdown text, each with its line: runbook
// files (```yaml blocks) and command lines (```sh / ```console blocks, inline `runbook ...`
// and `--flag ...` spans). Pure text work; tests/docs/docs_check.h checks what it finds.
// A ```yaml block may carry one mark after the language: `fragment` (YAML, not a whole
// runbook) or `invalid` (a runbook that must be rejected).
#pragma once

#include <string>
#include <vector>

namespace runbook::test {

enum class SnippetKind {
  kRunbook,  // a ```yaml block: `text` is its content, `mark` its mark ("" for none)
  kCommand,  // a command line: `args` are the words after the program
  kFlags,    // an inline span of options, `--input a.b=c`: `args` are its words
};

struct Snippet {
  SnippetKind kind = SnippetKind::kCommand;
  int line = 0;              // 1-based line in the Markdown text where it starts
  bool inline_span = false;  // from a `code span` in prose, not a fenced block
  std::string mark;
  std::string text;               // the YAML (runbooks) or the line as written (others)
  std::vector<std::string> args;  // commands and flags
};

std::vector<Snippet> ExtractSnippets(const std::string& markdown);

// The words of one shell command line as sh splits plain words, quotes and backslashes,
// without expanding anything ($rb stays "$rb"). Stops at an unquoted comment, pipe, `;`, `&`
// or redirection: what follows is not the command's arguments.
std::vector<std::string> ShellWords(const std::string& line);

}  // namespace runbook::test
