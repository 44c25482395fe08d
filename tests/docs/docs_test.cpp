// The docs say only what the binary accepts: every runbook snippet and command line in
// README.md and docs/*.md is checked with the real binary (tests/docs/docs_check.h), and the
// step descriptions docs/steps.md is generated from name the values a parameter takes.
#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <regex>
#include <set>

#include "engine/util/json.h"
#include "tests/docs/docs_check.h"
#include "tests/docs/markdown_snippets.h"
#include "tests/support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

std::string Join(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) out += l + "\n";
  return out;
}

// The alternatives a description names: both sides of each "A or B" ("A (note), or B").
std::set<std::string> Alternatives(const std::string& doc) {
  static const std::regex kOr(R"((\w[\w-]*(?::\w+)?)(?: \([^)]*\))?,? or (\w[\w-]*(?::\w+)?))");
  std::set<std::string> out;
  for (std::sregex_iterator it(doc.begin(), doc.end(), kOr), end; it != end; ++it) {
    out.insert((*it)[1]);
    out.insert((*it)[2]);
  }
  return out;
}

}  // namespace

TEST_CASE("every runbook snippet and command line in README and docs is accepted by the binary",
          "[docs]") {
  std::vector<std::string> problems;
  size_t runbooks = 0, commands = 0;
  for (const std::string& file : DocFiles()) {
    std::string text = ReadFile(std::string(RUNBOOK_SOURCE_DIR) + "/" + file);
    for (const Snippet& s : ExtractSnippets(text)) {
      (s.kind == SnippetKind::kRunbook ? runbooks : commands)++;
    }
    std::vector<std::string> found = CheckMarkdown(file, text);
    problems.insert(problems.end(), found.begin(), found.end());
  }
  INFO(Join(problems));
  CHECK(problems.empty());
  CHECK(runbooks > 0);
  CHECK(commands > 0);
}

TEST_CASE("the docs check names the file and line of each snippet the binary rejects", "[docs]") {
  const std::string markdown =
      "# t\n"
      "pass `--approve declare` and `--input ticket=INC-1234` without a terminal\n"
      "```sh\n"
      "runbook history [--runbook restore]     # a synopsis is not a command line\n"
      "$rb run x.yaml --dryrun\n"
      "build/runbook run x.yaml \\\n"
      "    --input declare.ticket=INC-1 | tee out   # continued, then piped\n"
      "```\n"
      "```yaml\n"
      "version: 1\n"
      "name: bad\n"
      "steps:\n"
      "  - {id: a, uses: hsah}\n"
      "```\n"
      "```yaml fragment\n"
      "a: [1,\n"
      "```\n"
      "```yaml invalid\n"
      "version: 1\n"
      "name: fine\n"
      "steps: [{id: a, uses: log, with: {message: hi}}]\n"
      "```\n"
      "`runbook rnu`, `runbook validate`, `--dryrun`, `--wait` and `$ runbook plan FILE`\n";
  std::vector<std::string> problems = CheckMarkdown("t.md", markdown);
  INFO(Join(problems));
  std::vector<std::string> where;
  for (const std::string& p : problems) where.push_back(p.substr(0, p.find(": ")));
  CHECK(where == std::vector<std::string>{"t.md:2", "t.md:4", "t.md:5", "t.md:10", "t.md:16",
                                          "t.md:19", "t.md:23", "t.md:23"});
  REQUIRE(problems.size() == 8);
  CHECK(problems[0].find("expected STEP.NAME=VALUE") != std::string::npos);
  CHECK(problems[2].find("--dryrun") != std::string::npos);
  CHECK(problems[3].find("unknown step type 'hsah'") != std::string::npos);
  CHECK(problems[4].find("marked fragment, but it is not YAML") != std::string::npos);
  CHECK(problems[5].find("marked invalid, but validate exits 0") != std::string::npos);
  CHECK(problems[6].find("`runbook rnu`") != std::string::npos);
  CHECK(problems[7].find("`--dryrun`: no command accepts it") != std::string::npos);
}

TEST_CASE("shell words of a documented command line are split as sh splits them", "[docs]") {
  CHECK(ShellWords("$rb run 'a b.yaml' --set \"x=it's\" --set y=\\$z # note") ==
        std::vector<std::string>{"$rb", "run", "a b.yaml", "--set", "x=it's", "--set", "y=$z"});
  CHECK(ShellWords("runbook show RUN_ID > out.txt") ==
        std::vector<std::string>{"runbook", "show", "RUN_ID"});
  CHECK(ShellWords("runbook run f#1.yaml ''") ==
        std::vector<std::string>{"runbook", "run", "f#1.yaml", ""});
}

TEST_CASE("RUNBOOK_PARSE_ONLY parses the command line with the real parser and runs nothing",
          "[docs]") {
  std::string dir = TempDir();
  Command ok = Shell("cd " + dir + " && RUNBOOK_PARSE_ONLY=1 " + Binary() +
                     " run missing.yaml --audit-db " + dir + "/a.db --set x=1");
  CHECK(ok.exit_code == 0);
  // Said, so that the variable left set never makes commands silently do nothing (breakN N26).
  CHECK(ok.out + ok.err ==
        "runbook: RUNBOOK_PARSE_ONLY=1: the command line parsed; nothing was run\n");
  CHECK_FALSE(std::filesystem::exists(dir + "/a.db"));
  CHECK_FALSE(std::filesystem::exists(dir + "/.runbook"));

  Parsed bad = ParseOnly({"run", "x.yaml", "--dryrun"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("--dryrun") != std::string::npos);

  CHECK(Shell(Binary() + " --help").out.find("PARSE_ONLY") == std::string::npos);
}

TEST_CASE("an approval input without its step is a usage error before the runbook is read",
          "[docs]") {
  for (const char* cmd : {"run missing.yaml", "resume RUN_ID"}) {
    Command c = Shell(Binary() + " " + cmd + " --input ticket=INC-1234");
    INFO(cmd << ": " << c.err);
    CHECK(c.exit_code == 2);
    CHECK(c.err.find("expected STEP.NAME=VALUE") != std::string::npos);
    CHECK(c.err.find("'ticket=...'") != std::string::npos);  // the value unquoted (breakN N8)
  }
  CHECK(ParseOnly({"run", "x.yaml", "--input", "declare.ticket=INC-1234"}).exit_code == 0);
}

TEST_CASE("a closed-set step parameter whose description names alternatives names its values",
          "[docs]") {
  std::vector<std::string> problems;
  int checked = 0;
  for (const std::string& name : Builtins().Names()) {
    for (const ParamSpec& p : Builtins().Find(name)->spec().params) {
      std::set<std::string> named = Alternatives(p.doc);
      if (p.enum_values.empty() || named.empty()) continue;
      ++checked;
      std::set<std::string> values(p.enum_values.begin(), p.enum_values.end());
      if (named != values) problems.push_back(name + "." + p.name + ": '" + p.doc + "'");
    }
  }
  INFO(Join(problems));
  CHECK(problems.empty());
  CHECK(checked > 0);
}

TEST_CASE("an approval on a terminal asks in the order operator.md and format.md give", "[docs]") {
  std::string file =
      WriteFile(TempDir(), "gate.yaml",
                "version: 1\n"
                "name: gate\n"
                "steps:\n"
                "  - id: declare\n"
                "    uses: approval\n"
                "    with:\n"
                "      prompt: Declare the incident?\n"
                "      inputs: {ticket: {type: string, description: the ticket}}\n"
                "  - id: after\n"
                "    uses: log\n"
                "    needs: [declare]\n"
                "    with: {message: \"ticket ${{ steps.declare.outputs.ticket }}\"}\n");
  // A pseudo-terminal; each answer typed once its question shows (what was typed before a
  // question is dropped: breakFF F5).
  Command c =
      Shell("TERM=xterm NO_COLOR=1 " + PtyRun() +
            " --send-on 'ticket (the ticket): ' 'INC-7\\n' --send-on 'approve?' 'y\\n' -- " +
            Binary() + " run " + file);
  INFO(c.out << c.err);
  CHECK(c.exit_code == 0);
  size_t prompt = c.out.find("Declare the incident?");
  size_t input = c.out.find("ticket (the ticket)");
  size_t approve = c.out.find("approve? [y/N]");
  REQUIRE(approve != std::string::npos);
  CHECK(prompt < input);
  CHECK(input < approve);
  for (const char* doc : {"/docs/operator.md", "/docs/format.md"}) {
    std::string text = ReadFile(std::string(RUNBOOK_SOURCE_DIR) + doc);
    size_t says_input = text.find("asks for each input");
    INFO(doc);
    REQUIRE(says_input != std::string::npos);
    CHECK(text.find("then asks `approve? [y/N]`", says_input) != std::string::npos);
  }
}

TEST_CASE("docs/cli.md's table names every option each command's --help gives (breakL L24)",
          "[docs]") {
  std::string table = ReadFile(std::string(RUNBOOK_SOURCE_DIR) + "/docs/cli.md");
  static const std::regex kOption("--[a-z][a-z-]*");
  for (const char* command : {"validate", "plan", "graph", "run", "resume", "history", "show",
                              "report", "steps", "schedule", "serve", "token add"}) {
    CAPTURE(command);
    size_t row = table.find("| `" + std::string(command) + " ");
    if (row == std::string::npos) row = table.find("| `" + std::string(command) + "`");
    REQUIRE(row != std::string::npos);
    std::string line = table.substr(row, table.find('\n', row) - row);
    std::string help = Shell(Binary() + " " + command + " --help").out;
    for (std::sregex_iterator it(help.begin(), help.end(), kOption), end; it != end; ++it) {
      std::string option = it->str();
      if (option == "--help" || option == "--audit-db") continue;  // the text below the table
      CAPTURE(option);
      CHECK(line.find(option) != std::string::npos);
    }
  }
}

namespace {

// The keys of the `{...}` brace list at `at` in `text` (nested braces and brackets skipped):
// name -> whether it is marked optional ("if?").
std::map<std::string, bool> DocumentedKeys(const std::string& text, size_t at) {
  std::map<std::string, bool> keys;
  int depth = 0;
  std::string word;
  for (size_t i = text.find('{', at) + 1; i < text.size(); ++i) {
    char c = text[i];
    if (depth == 0 && (c == ',' || c == '}')) {
      word.erase(0, word.find_first_not_of(" \n"));
      size_t end = word.find_first_of("{[:? \n");
      std::string name = word.substr(0, end);
      if (!name.empty()) keys[name] = end != std::string::npos && word[end] == '?';
      word.clear();
      if (c == '}') break;
      continue;
    }
    if (c == '{' || c == '[' || c == '}' || c == ']') {
      depth += c == '{' || c == '[' ? 1 : -1;
      continue;
    }
    if (depth == 0) word += c;
  }
  return keys;
}

}  // namespace

TEST_CASE("docs/cli.md's plan JSON shape is the binary's (breakN N15)", "[docs]") {
  std::string cli = ReadFile(std::string(RUNBOOK_SOURCE_DIR) + "/docs/cli.md");
  size_t section = cli.find("## Plan JSON");
  REQUIRE(section != std::string::npos);
  size_t top_at = cli.find('`', section);
  size_t step_at = cli.find("where each step is", top_at);
  REQUIRE(step_at != std::string::npos);
  auto top = DocumentedKeys(cli, top_at), step = DocumentedKeys(cli, step_at);
  REQUIRE(top.count("waves") == 1);
  REQUIRE(step.count("actions") == 1);
  // A runbook that sets every optional key but `error`, `skipped` and `values_not_shown` (a
  // plan past 64 MiB of values: tests/cli/plan_test.cpp), and a step it skips.
  std::string dir = TempDir();
  WriteFile(dir, "p.yaml",
            "version: 1\nname: p\nkind: drill\nlock: nightly\nobjectives: {rto: 2h, rpo: 24h}\n"
            "params:\n  db: {type: string, default: x}\nsteps:\n"
            "  - {id: a, uses: exec, timeout: 5s, rto: start, if: \"${{ params.db != '' }}\", "
            "with: {run: ['true']}}\n"
            "  - {id: b, uses: approval, needs: [a], with: {prompt: go}}\n"
            "  - {id: c, uses: log, needs: [b], for_each: [x], with: {message: m}}\n"
            "  - {id: d, uses: log, if: \"${{ params.db == '' }}\", with: {message: m}}\n");
  Command plan = Shell(Binary() + " plan " + dir + "/p.yaml --format json");
  REQUIRE(plan.exit_code == 0);
  auto parsed = ParseJson(plan.out);
  REQUIRE(parsed.ok());
  const Value& v = parsed.value();
  auto check = [](const Value::Map& actual, const std::map<std::string, bool>& documented,
                  bool all_optional_set) {
    for (const auto& [key, value] : actual) {
      CAPTURE(key);
      CHECK(documented.count(key) == 1);  // nothing undocumented
    }
    for (const auto& [key, optional] : documented) {
      CAPTURE(key);
      // `loop` excludes `rto` (a loop cannot mark the RTO clock): step c has it.
      if (!optional || (all_optional_set && key != "error" && key != "loop" && key != "skipped" &&
                        key != "values_not_shown"))
        CHECK(actual.count(key) == 1);
    }
  };
  check(v.as_map(), top, true);
  check(v.Find("waves")->as_list()[0].as_list()[0].as_map(), step, true);   // a: all set
  check(v.Find("waves")->as_list()[1].as_list()[0].as_map(), step, false);  // b: none
  const Value& c = v.Find("waves")->as_list()[2].as_list()[0];
  check(c.as_map(), step, false);
  REQUIRE(c.Find("loop") != nullptr);
  CHECK(ToJson(*c.Find("loop")) == "{\"fail_fast\":true,\"index\":0,\"of\":\"c\"}");
  int skipped = 0;
  for (const Value& d : v.Find("waves")->as_list()[0].as_list()) {
    if (d.Find("id")->as_string() != "d") continue;
    check(d.as_map(), step, false);
    skipped += d.Find("skipped") != nullptr;
  }
  CHECK(skipped == 1);
}
