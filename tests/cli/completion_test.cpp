// `runbook completion bash|zsh` (issue 14 item 18): the scripts offer exactly what the
// binary's own --help lists (every subcommand, nested ones too, and every option), and the
// choices of an option after it. bash runs the real completion function; zsh runs it with
// stand-ins for its completion builtins (compadd, _describe, _files) that print their words.
#include <catch2/catch.hpp>
#include <set>
#include <sstream>

#include "support/support.h"

using namespace runbook::test;

namespace {

std::set<std::string> Lines(const std::string& text) {
  std::set<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.insert(line);
  }
  return out;
}

// The names in the "Subcommands:" list of `runbook ARGS --help`.
std::set<std::string> HelpSubcommands(const std::string& args) {
  Command help = Shell(Binary() + " " + args +
                       " --help | awk '/^Subcommands:/ {on = 1; next} "
                       "/^[^ ]/ {on = 0} on && /^  [a-z]/ {print $1}'");
  REQUIRE(help.exit_code == 0);
  return Lines(help.out);
}

// Every --long option named in `runbook ARGS --help`.
std::set<std::string> HelpOptions(const std::string& args) {
  Command help = Shell(Binary() + " " + args + " --help | grep -oE -- '--[a-z][a-z-]*' | sort -u");
  REQUIRE(help.exit_code == 0);
  return Lines(help.out);
}

std::string Script(const std::string& shell) {
  std::string dir = TempDir();
  Command c = Shell(Binary() + " completion " + shell + " > " + dir + "/script");
  REQUIRE(c.exit_code == 0);
  return dir + "/script";
}

// What bash offers for the command line `words` (the last one is completed).
std::set<std::string> Bash(const std::string& script, const std::string& words) {
  std::string dir = TempDir();
  WriteFile(dir, "complete.sh",
            "source " + script + "\nCOMP_WORDS=(runbook " + words +
                ")\nCOMP_CWORD=$((${#COMP_WORDS[@]} - 1))\n_runbook\n"
                "printf '%s\\n' \"${COMPREPLY[@]}\"\n");
  Command c = Shell("bash " + dir + "/complete.sh");
  REQUIRE(c.exit_code == 0);
  return Lines(c.out);
}

// What zsh offers for `words`; "FILES" when it falls back to file names.
std::set<std::string> Zsh(const std::string& script, const std::string& words) {
  std::string dir = TempDir();
  WriteFile(dir, "complete.zsh",
            "compdef() { :; }\n"
            "compadd() { shift; print -l -- \"$@\"; }\n"
            "_describe() { local item; for item in \"${(@P)4}\"; do print -- \"${item%%:*}\"; "
            "done; }\n"
            "_files() { print FILES; }\n"
            "source " +
                script + "\nwords=(runbook " + words + ")\nCURRENT=${#words}\n_runbook\n");
  Command c = Shell("zsh -f " + dir + "/complete.zsh");
  REQUIRE(c.exit_code == 0);
  return Lines(c.out);
}

// The --long names among `offered` (zsh offers every option; it filters by prefix itself).
std::set<std::string> LongOptions(const std::set<std::string>& offered) {
  std::set<std::string> out;
  for (const std::string& o : offered) {
    if (o.rfind("--", 0) == 0) out.insert(o);
  }
  return out;
}

}  // namespace

TEST_CASE("completion bash: every subcommand and option of --help is offered", "[completion]") {
  std::string script = Script("bash");
  std::set<std::string> top = HelpSubcommands("");
  REQUIRE(top.count("validate") == 1);
  CHECK(Bash(script, "''") == top);
  CHECK(Bash(script, "val") == std::set<std::string>{"validate"});
  for (const std::string& sub : top) {
    CAPTURE(sub);
    CHECK(Bash(script, sub + " --") == HelpOptions(sub));
  }
  std::set<std::string> audit = HelpSubcommands("audit");
  REQUIRE(audit.count("verify") == 1);
  CHECK(Bash(script, "audit ''") == audit);
  CHECK(Bash(script, "audit verify --") == HelpOptions("audit verify"));
}

TEST_CASE("completion bash: an option's choices after it, file names after a free value",
          "[completion]") {
  std::string script = Script("bash");
  CHECK(Bash(script, "validate --format ''") == std::set<std::string>{"text", "json", "github"});
  CHECK(Bash(script, "report RUN --format h") == std::set<std::string>{"html"});
  CHECK(Bash(script, "history --audit-db ''").empty());  // -o default: file names
  // A value after an option is not taken for a subcommand.
  CHECK(Bash(script, "plan --format json --") == HelpOptions("plan"));
}

TEST_CASE("completion bash: the script loads in a plain bash and registers runbook",
          "[completion]") {
  std::string script = Script("bash");
  Command c = Shell("bash -c 'source " + script + " && complete -p runbook'");
  CHECK(c.exit_code == 0);
  CHECK_THAT(c.out, Catch::Contains("-F _runbook") && Catch::Contains("runbook"));
}

TEST_CASE("completion zsh: subcommands, options and choices as --help lists them", "[completion]") {
  if (Shell("command -v zsh").exit_code != 0) {
    WARN("zsh is not installed (scripts/setup.sh installs it): not checked");
    return;
  }
  std::string script = Script("zsh");
  CHECK(Shell("zsh -n " + script).exit_code == 0);
  CHECK(Zsh(script, "''") == HelpSubcommands(""));
  CHECK(Zsh(script, "audit ''") == HelpSubcommands("audit"));
  CHECK(LongOptions(Zsh(script, "resume --")) == HelpOptions("resume"));
  CHECK(Zsh(script, "resume --").count("-h") == 1);
  CHECK(Zsh(script, "steps --format ''") == std::set<std::string>{"text", "json", "md"});
  CHECK(Zsh(script, "validate ''") == std::set<std::string>{"FILES"});
}

TEST_CASE("completion: the subcommand is hidden and refuses an unknown shell", "[completion]") {
  CHECK(HelpSubcommands("").count("completion") == 0);
  Command c = Shell(Binary() + " completion fish");
  CHECK(c.exit_code == 2);
}
