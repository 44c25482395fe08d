// `runbook completion bash|zsh`: walks CLI::App (main.cpp's definitions) into a small model
// of commands and options, then prints it as a bash or zsh completion function.
#include "cli/completion_cmd.h"

#include <CLI/CLI.hpp>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"

namespace runbook {
namespace {

struct CompletionOption {
  std::string name;  // "--format" or "-h"
  std::string help;
  bool takes_value = false;
  std::vector<std::string> choices;  // from an IsMember check: "TEXT:{text,json}"
};

struct CompletionCommand {
  std::string path;  // "" for runbook itself, "audit verify" for a nested one
  std::vector<std::pair<std::string, std::string>> subcommands;  // name, help
  std::vector<CompletionOption> options;
};

// A word the scripts may print unquoted: names of commands, options and choices are all so;
// anything else is left out rather than risk shell syntax.
bool PlainWord(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

// CLI11 appends a validator's description to the type name: IsMember gives "{a,b,c}".
std::vector<std::string> Choices(const CLI::Option& o) {
  std::string type = o.get_type_name();
  size_t open = type.find('{'), close = type.rfind('}');
  if (open == std::string::npos || close == std::string::npos || close < open) return {};
  std::vector<std::string> out;
  std::stringstream list(type.substr(open + 1, close - open - 1));
  for (std::string item; std::getline(list, item, ',');) {
    if (PlainWord(item)) out.push_back(item);
  }
  return out;
}

void AddOption(const CLI::Option& o, CompletionCommand& cmd) {
  std::vector<std::string> names;
  for (const std::string& l : o.get_lnames()) names.push_back("--" + l);
  for (const std::string& s : o.get_snames()) names.push_back("-" + s);
  for (const std::string& name : names) {
    if (!PlainWord(name)) continue;
    cmd.options.push_back({name, o.get_description(), o.get_items_expected_max() > 0, Choices(o)});
  }
}

void Collect(const CLI::App& app, const std::string& path, std::vector<CompletionCommand>& out) {
  CompletionCommand cmd;
  cmd.path = path;
  for (const CLI::Option* o : app.get_options()) {
    if (o->nonpositional() && !o->get_group().empty()) AddOption(*o, cmd);  // hidden: no group
  }
  auto visible = [](const CLI::App* sub) { return !sub->get_group().empty(); };
  std::vector<const CLI::App*> subs = app.get_subcommands(visible);
  for (const CLI::App* sub : subs) {
    if (PlainWord(sub->get_name()))
      cmd.subcommands.push_back({sub->get_name(), sub->get_description()});
  }
  out.push_back(cmd);
  for (const CLI::App* sub : subs) {
    if (!PlainWord(sub->get_name())) continue;
    Collect(*sub, path.empty() ? sub->get_name() : path + " " + sub->get_name(), out);
  }
}

// The loop both shells share: the words before the cursor that name subcommands, in order,
// make $cmd ("audit verify"). `word` is the shell's expression for the i-th word.
void PrintCommandWalk(const std::vector<CompletionCommand>& cmds, const std::string& word,
                      std::ostream& out) {
  out << "    case \"$cmd/" << word << "\" in\n      ";
  const char* sep = "";
  for (const CompletionCommand& c : cmds) {
    for (const auto& sub : c.subcommands) {
      out << sep << "\"" << c.path << "/" << sub.first << "\"";
      sep = "|";
    }
  }
  out << ") cmd=\"${cmd:+$cmd }" << word << "\" ;;\n    esac\n";
}

// After an option that takes a value: its choices (`offer` words `offer_end`), else `other`
// (file names).
struct ValueCompletion {
  const char* offer;
  const char* offer_end;
  const char* other;
};
void PrintValueCases(const std::vector<CompletionCommand>& cmds, const ValueCompletion& how,
                     std::ostream& out) {
  std::string others;
  for (const CompletionCommand& c : cmds) {
    for (const CompletionOption& o : c.options) {
      if (!o.takes_value) continue;
      std::string key = "\"" + c.path + "/" + o.name + "\"";
      if (o.choices.empty()) {
        others += (others.empty() ? "" : "|") + key;
        continue;
      }
      out << "    " << key << ") " << how.offer;
      for (const std::string& choice : o.choices) out << " " << choice;
      out << how.offer_end << "; return ;;\n";
    }
  }
  if (!others.empty()) out << "    " << others << ") " << how.other << "; return ;;\n";
}

// zsh's _describe item "name:help" inside single quotes.
std::string ZshItem(const std::string& name, const std::string& help) {
  std::string item = name + ":" + help;
  std::string quoted = "'";
  for (char c : item) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

// What differs between the shells; the scripts have the same shape.
struct Dialect {
  const char* head;  // up to the `do` of the loop over the words before the cursor
  const char* word;  // the i-th word
  const char* prev;  // the word before the cursor
  ValueCompletion values;
  const char* list_open;   // the list of what can come next: `words="` or `items=(`
  const char* list_close;  // `"` or `)`
  bool described;          // zsh's items carry their help
  const char* offer_options;
  const char* offer_subcommands;
  const char* tail;
};

// For each command: its options (`options`) or its subcommands, into the dialect's list.
void PrintLists(const std::vector<CompletionCommand>& cmds, bool options, const Dialect& d,
                std::ostream& out) {
  auto item = [&d](const std::string& name, const std::string& help) {
    return d.described ? ZshItem(name, help) : name;
  };
  out << "    case \"$cmd\" in\n";
  for (const CompletionCommand& c : cmds) {
    out << "      \"" << c.path << "\") " << d.list_open;
    const char* sep = "";
    if (options) {
      for (const CompletionOption& o : c.options) out << sep << item(o.name, o.help), sep = " ";
    } else {
      for (const auto& sub : c.subcommands) out << sep << item(sub.first, sub.second), sep = " ";
    }
    out << d.list_close << " ;;\n";
  }
  out << "    esac\n";
}

void PrintScript(const std::vector<CompletionCommand>& cmds, const Dialect& d, std::ostream& out) {
  out << d.head;
  PrintCommandWalk(cmds, d.word, out);
  out << "  done\n  case \"$cmd/" << d.prev << "\" in\n";
  PrintValueCases(cmds, d.values, out);
  out << "  esac\n  if [[ \"$cur\" == -* ]]; then\n";
  PrintLists(cmds, true, d, out);
  out << d.offer_options << "  else\n";
  PrintLists(cmds, false, d, out);
  out << d.offer_subcommands << "  fi\n}\n" << d.tail;
}

const Dialect kBash = {
    "# bash completion for runbook (share/bash-completion/completions/runbook).\n"
    "# Generated by `runbook completion bash` from runbook's command definitions.\n"
    "_runbook() {\n"
    "  local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n"
    "  local cmd=\"\" words=\"\" i\n"
    "  for ((i = 1; i < COMP_CWORD; i++)); do\n",
    "${COMP_WORDS[i]}",
    "$prev",
    {"COMPREPLY=($(compgen -W \"", "\" -- \"$cur\"))", "COMPREPLY=()"},
    "words=\"",
    "\"",
    false,
    "    COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n",
    // Nothing offered (a positional): -o default completes file names.
    "    COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n",
    "complete -o default -F _runbook runbook\n"};

const Dialect kZsh = {
    "#compdef runbook\n"
    "# zsh completion for runbook (share/zsh/vendor-completions/_runbook).\n"
    "# Generated by `runbook completion zsh` from runbook's command definitions.\n"
    "_runbook() {\n"
    "  local cmd=\"\" cur=\"${words[CURRENT]}\" i\n"
    "  local -a items\n"
    "  for ((i = 2; i < CURRENT; i++)); do\n",
    "${words[i]}",
    "${words[CURRENT-1]}",
    {"compadd --", "", "_files"},
    "items=(",
    ")",
    true,
    "    _describe -t options option items\n",
    "    if (( ${#items} )); then _describe -t commands command items; else _files; fi\n",
    // Autoloaded from $fpath the file is the function's body; sourced, it registers it.
    "if [[ \"${funcstack[1]}\" == _runbook ]]; then _runbook \"$@\"; "
    "else compdef _runbook runbook; fi\n"};

}  // namespace

int CmdCompletion(const CLI::App& app, const std::string& shell) {
  std::vector<CompletionCommand> cmds;
  Collect(app, "", cmds);
  PrintScript(cmds, shell == "zsh" ? kZsh : kBash, std::cout);
  return kExitOk;
}

}  // namespace runbook
