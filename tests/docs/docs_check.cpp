#include "tests/docs/docs_check.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <sstream>

#include "engine/source/yaml_reader.h"
#include "tests/docs/markdown_snippets.h"
#include "tests/support/support.h"

namespace runbook::test {
namespace {

// Where an inline span of options may belong: each command with the arguments it requires.
const std::vector<std::vector<std::string>> kContexts = {{"validate", "F.yaml"},
                                                         {"plan", "F.yaml"},
                                                         {"graph", "F.yaml"},
                                                         {"test", "F.yaml"},
                                                         {"schedule", "F.yaml"},
                                                         {"serve", "--runbooks", "D"},
                                                         {"token", "add", "N"},
                                                         {"run", "F.yaml"},
                                                         {"resume", "RUN_ID"},
                                                         {"history"},
                                                         {"show", "RUN_ID"},
                                                         {"report", "RUN_ID"},
                                                         {"audit", "verify"},
                                                         {"audit", "export"},
                                                         {"audit", "sign", "--sign-key", "KEY"},
                                                         {"steps"},
                                                         {"schema"}};

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string Joined(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

std::vector<std::string> Plus(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// The first `n` non-empty lines of a message, joined by " | ".
std::string Lines(const std::string& text, int n) {
  std::istringstream in(text);
  std::string out;
  for (std::string line; n > 0 && std::getline(in, line);) {
    if (line.empty()) continue;
    out += (out.empty() ? "" : " | ") + line;
    --n;
  }
  return out;
}

// Each command's --help, as CLI11 prints it from the definitions (kContexts' order).
const std::vector<std::string>& Helps() {
  static const std::vector<std::string> helps = [] {
    std::vector<std::string> out;
    for (const auto& context : kContexts) out.push_back(ParseOnly(Plus(context, {"--help"})).out);
    return out;
  }();
  return helps;
}

// Whether a help text lists the option `flag` ("  --yes ", "-h,--help").
bool Lists(const std::string& help, const std::string& flag) {
  for (size_t at = help.find(flag); at != std::string::npos; at = help.find(flag, at + 1)) {
    size_t end = at + flag.size();
    bool starts = at > 0 && (help[at - 1] == ' ' || help[at - 1] == ',');
    if (starts && (end == help.size() || help[end] == ' ' || help[end] == '\n')) return true;
  }
  return false;
}

// A span like `runbook validate` names a command: it exists when its --help is its own.
bool NamesCommand(const Snippet& s) {
  if (!s.inline_span || s.args.empty()) return false;
  for (const std::string& w : s.args) {
    if (w.find_first_not_of("abcdefghijklmnopqrstuvwxyz-") != std::string::npos) return false;
  }
  Parsed help = ParseOnly(Plus(s.args, {"--help"}));
  return help.exit_code == 0 &&
         help.out.find(" " + Joined(s.args) + " [OPTIONS]") != std::string::npos;
}

std::string CheckCommand(const Snippet& s) {
  Parsed p = ParseOnly(s.args);
  if (p.exit_code == 0 || NamesCommand(s)) return "";
  return "the CLI rejects it (exit " + std::to_string(p.exit_code) +
         "): " + Lines(p.err + p.out, 1);
}

// Options in prose: they must parse after some command; one bare name must be listed by one.
std::string CheckFlags(const Snippet& s) {
  std::string why;
  for (size_t i = 0; i < kContexts.size(); ++i) {
    bool listed = Lists(Helps()[i], s.args[0]);
    if (s.args.size() == 1 && listed) return "";
    if (s.args.size() == 1) continue;
    Parsed p = ParseOnly(Plus(kContexts[i], s.args));
    if (p.exit_code == 0) return "";
    if (listed && why.empty()) why = kContexts[i][0] + ": " + Lines(p.err + p.out, 1);
  }
  return "no command accepts it" +
         (why.empty() ? std::string(" (no command has ") + s.args[0] + ")" : ": " + why);
}

std::string CheckRunbook(const Snippet& s) {
  if (s.mark == "fragment") {
    SourceText source("snippet.yaml", s.text);
    Diagnostics diags;
    ReadYaml(source, diags);
    if (!diags.has_errors()) return "";
    return "marked fragment, but it is not YAML: " + diags.all().front().message;
  }
  if (!s.mark.empty() && s.mark != "invalid") {
    return "unknown mark '" + s.mark + "' (a ```yaml block may be marked fragment or invalid)";
  }
  static const std::string dir = TempDir();
  std::string file = WriteFile(dir, "snippet.yaml", s.text);
  // From the repository's root, as the docs' commands are run (examples/... exists there).
  Command c = Shell("cd " + Quote(RUNBOOK_SOURCE_DIR) + " && " + Quote(Binary()) + " validate " +
                    Quote(file));
  if (s.mark == "invalid") {
    return c.exit_code == 2 ? ""
                            : "marked invalid, but validate exits " + std::to_string(c.exit_code);
  }
  if (c.exit_code == 0) return "";
  return "runbook validate exits " + std::to_string(c.exit_code) + ": " + Lines(c.err, 3);
}

std::string Problem(const Snippet& s) {
  switch (s.kind) {
    case SnippetKind::kRunbook:
      return CheckRunbook(s);
    case SnippetKind::kCommand:
      return CheckCommand(s);
    case SnippetKind::kFlags:
      return CheckFlags(s);
  }
  return "unknown snippet kind";
}

}  // namespace

std::vector<std::string> DocFiles() {
  std::vector<std::string> files = {"README.md"};
  for (const auto& e :
       std::filesystem::directory_iterator(std::string(RUNBOOK_SOURCE_DIR) + "/docs")) {
    if (e.path().extension() == ".md") files.push_back("docs/" + e.path().filename().string());
  }
  std::sort(files.begin() + 1, files.end());
  return files;
}

Parsed ParseOnly(const std::vector<std::string>& args) {
  // Remembered: the docs repeat their options and commands, and each answer is the binary's
  // start (the docs test was CI's longest, 96 s, most of it asking the same again).
  static std::map<std::vector<std::string>, Parsed> answers;
  if (auto known = answers.find(args); known != answers.end()) return known->second;
  std::string line = "RUNBOOK_PARSE_ONLY=1 " + Quote(Binary());
  for (const std::string& a : args) line += " " + Quote(a);
  Command c = Shell(line);
  return answers[args] = Parsed{c.exit_code, c.out, c.err};
}

std::vector<std::string> CheckMarkdown(const std::string& name, const std::string& markdown) {
  std::vector<std::string> problems;
  for (const Snippet& s : ExtractSnippets(markdown)) {
    std::string why = Problem(s);
    if (why.empty()) continue;
    std::string what = s.kind == SnippetKind::kRunbook ? "runbook" : "`" + s.text + "`";
    problems.push_back(name + ":" + std::to_string(s.line) + ": " + what + ": " + why);
  }
  return problems;
}

}  // namespace runbook::test
