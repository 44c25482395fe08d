#include "cli/cli_errors.h"

#include <iostream>
#include <vector>

#include "engine/util/strings.h"

namespace runbook {
namespace {

// The innermost subcommand the parse reached (the app itself when none).
CLI::App* Innermost(CLI::App* app) {
  for (CLI::App* sub : app->get_subcommands())
    if (sub->parsed()) return Innermost(sub);
  return app;
}

std::vector<std::string> CommandNames(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands({})) names.push_back(sub->get_name());
  return names;
}

std::vector<std::string> OptionNames(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::Option* opt : app.get_options())
    for (const std::string& l : opt->get_lnames()) names.push_back("--" + l);
  return names;
}

// The closest candidate (ClosestName), else the one candidate `word` begins ("hist":
// "history", as git and Cobra suggest by prefix; breakFF F7).
std::string Suggestion(const std::string& word, const std::vector<std::string>& candidates) {
  std::string close = ClosestName(word, candidates);
  if (close.empty() && word.size() >= 2) {
    std::vector<std::string> starting;
    for (const std::string& c : candidates)
      if (StartsWith(c, word)) starting.push_back(c);
    if (starting.size() == 1) close = starting[0];
  }
  return close.empty() ? "" : "; did you mean '" + close + "'?";
}

std::string CommandPath(const CLI::App* app) {
  std::string path;
  for (; app != nullptr && app->get_parent() != nullptr; app = app->get_parent())
    path = " " + app->get_name() + path;
  return "runbook" + path;
}

// The first word after the innermost command's own name that is no option: where a
// subcommand was expected ("runbook audit verfy": "verfy"), or "" when there is none.
std::string WordAfter(const CLI::App* at, const CLI::App* app, int argc, char** argv) {
  int i = 1;
  if (at != app)
    while (i < argc && argv[i] != at->get_name()) ++i;
  for (i = at != app ? i + 1 : 1; i < argc; ++i)
    if (argv[i][0] != '-') return argv[i];
  return "";
}

// An unknown word where a command was expected, or an option/argument not expected.
bool ExplainUnknown(CLI::App& app, int argc, char** argv) {
  CLI::App* at = Innermost(&app);
  std::vector<std::string> extras = at->remaining();
  std::string after = WordAfter(at, &app, argc, argv);
  if (extras.empty() && !at->get_subcommands({}).empty() && !after.empty()) extras = {after};
  if (extras.empty()) return false;
  for (const std::string& word : extras) {
    bool option = StartsWith(word, "-");
    std::string name = option ? word.substr(0, word.find('=')) : word;
    bool command_expected = !option && !at->get_subcommands({}).empty();
    std::string of = at == &app ? "" : " of '" + CommandPath(at) + "'";
    if (!option && !command_expected) {
      std::cerr << "runbook: error: unexpected argument '" << Printable(word) << "'" << of << "\n";
      continue;
    }
    std::cerr << "runbook: error: unknown " << (option ? "option '" : "command '")
              << Printable(name) << "'" << of
              << Suggestion(name, option ? OptionNames(*at) : CommandNames(*at)) << "\n";
    // What follows an unknown command is its arguments, not more mistakes ("runbook rnu
    // a.yaml" said 'a.yaml' was an unknown command too: breakFF F7).
    if (command_expected) break;
  }
  std::cerr << "see '" << CommandPath(at) << " --help'\n";
  return true;
}

}  // namespace

int ReportParseError(CLI::App& app, const CLI::ParseError& error, int argc, char** argv) {
  if (error.get_exit_code() == 0) return app.exit(error);  // --help, --version
  bool extras = dynamic_cast<const CLI::ExtrasError*>(&error) != nullptr;
  bool no_command = dynamic_cast<const CLI::RequiredError*>(&error) != nullptr &&
                    !Innermost(&app)->get_subcommands({}).empty();
  if ((extras || no_command) && ExplainUnknown(app, argc, argv)) return 2;
  if (no_command) {  // "runbook audit": CLI11 said "A subcommand is required" (breakFF F7)
    CLI::App* at = Innermost(&app);
    std::cerr << "runbook: error: '" << CommandPath(at)
              << "' needs a command: " << Join(CommandNames(*at), ", ") << "\nsee '"
              << CommandPath(at) << " --help'\n";
    return 2;
  }
  std::cerr << "runbook: error: " << error.what() << "\nsee '" << CommandPath(Innermost(&app))
            << " --help'\n";
  return 2;
}

CLI::Validator CountFrom1To(long long max) {
  std::string range = "a whole number from 1 to " + std::to_string(max);
  return CLI::Validator(
      [max, range](std::string& text) -> std::string {
        size_t used = 0;
        long long n = 0;
        try {
          n = std::stoll(text, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used == text.size() && used > 0 && n >= 1 && n <= max) return "";
        return "expects " + range + ", found '" + Printable(text) + "'";
      },
      range);
}

}  // namespace runbook
