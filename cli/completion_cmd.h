// `runbook completion bash|zsh`: prints a shell completion script generated from the CLI11
// command definitions in main.cpp (subcommands, options, the choices of IsMember checks), so
// the completions cannot drift from the parser. The build installs both scripts (CMake).
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace runbook {

// Writes the script for `shell` ("bash" or "zsh") to stdout; returns the exit code (0).
// Hidden subcommands (an empty group) are left out.
int CmdCompletion(const CLI::App& app, const std::string& shell);

}  // namespace runbook
