#include "cli/load.h"

#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>

#include "cli/run_place.h"
#include "engine/runbook_place.h"
#include "engine/testing/scenario.h"
#include "engine/util/own_file.h"
#include "engine/util/strings.h"

namespace runbook {

bool UseColor(int fd) {
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color != nullptr && *no_color != '\0') return false;
  const char* term = std::getenv("TERM");
  return isatty(fd) && !(term && std::string(term) == "dumb");
}

bool CanAskOnTerminal() {
  if (!isatty(STDIN_FILENO)) return false;
  pid_t foreground = tcgetpgrp(STDIN_FILENO);  // -1 (ENOTTY): not our controlling terminal
  return foreground != -1 && foreground == getpgrp();
}

bool HasOwnTerminal() { return isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) != -1; }

void DropTypedAhead() {
  if (isatty(STDIN_FILENO)) tcflush(STDIN_FILENO, TCIFLUSH);
}

void PrintDiagnostics(const Diagnostics& diags, const SourceText* source, const Runbook* about) {
  if (!diags.all().empty()) PrintDiagnostics(diags, source, RunbookRedactor(about));
}

void PrintDiagnostics(const Diagnostics& diags, const SourceText* source,
                      const Redactor& redactor) {
  const LineMask mask = [&redactor](const std::string& text) { return redactor.Apply(text); };
  std::cerr << redactor.Apply(RenderTextAll(diags.all(), source, UseColor(2), &diags, mask));
}

std::unique_ptr<Runbook> LoadQuiet(const StepRegistry& registry, const std::string& path,
                                   Diagnostics& diags, SourceText& source,
                                   std::unique_ptr<Runbook>* rejected) {
  if (IsScenarioFile(path)) {  // docs/testing.md: beside the runbook it tests
    diags.Error(path, {},
                "is a scenario file, not a runbook: runbook test " + RunbookPathOf(path) +
                    " runs its scenarios");
    return nullptr;
  }
  if (!ReadRunbookSource(path, source, diags)) return nullptr;
  return LoadRunbookText(path, source.text, registry, diags, rejected);
}

std::unique_ptr<Runbook> LoadForCommand(const StepRegistry& registry, const std::string& path) {
  Diagnostics diags;
  SourceText source;
  std::unique_ptr<Runbook> rejected;
  auto rb = LoadQuiet(registry, path, diags, source, &rejected);
  PrintDiagnostics(diags, &source, rb ? rb.get() : rejected.get());
  if (rb) ClaimRunbookFile(path, "the runbook " + path, false);  // no step writes it (J22)
  return rb;
}

std::unique_ptr<Runbook> LoadCopyAs(const StepRegistry& registry, const std::string& path,
                                    const std::string& copy) {
  Diagnostics diags;
  SourceText source;
  if (copy.empty() || !ReadRunbookSource(copy, source, diags))
    return LoadForCommand(registry, path);
  std::unique_ptr<Runbook> rejected;
  auto rb = LoadRunbookText(path, source.text, registry, diags, &rejected);
  source.path = path;
  PrintDiagnostics(diags, &source, rb ? rb.get() : rejected.get());
  if (rb) ClaimRunbookFile(path, "the runbook " + path, false);  // no step writes it (J22)
  return rb;
}

bool SplitSets(const std::vector<std::string>& sets,
               std::vector<std::pair<std::string, std::string>>& out) {
  for (const std::string& s : sets) {
    size_t eq = s.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::cerr << "runbook: error: --set expects NAME=VALUE, found an argument "
                << (eq == 0 ? "with no name before '='" : "without '='")
                << " (not shown: it may hold a secret)\n";
      return false;
    }
    std::string name = s.substr(0, eq), value = s.substr(eq + 1);
    auto same = std::find_if(out.begin(), out.end(), [&](auto& p) { return p.first == name; });
    if (same == out.end()) {
      out.emplace_back(name, value);
    } else if (same->second != value) {  // the values unsaid: one may be a secret
      std::cerr << "runbook: error: --set " << Printable(name)
                << " is given twice with different values; give it once\n";
      return false;
    }
  }
  return true;
}

}  // namespace runbook
