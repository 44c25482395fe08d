// Loading a runbook for a command: diagnostics printed compiler-style to stderr.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/loader.h"
#include "engine/redact.h"
#include "engine/source/diagnostics.h"

namespace runbook {

bool UseColor(int fd);

// Whether a person can be asked on standard input: it is a terminal, and this process is in
// that terminal's foreground process group. A run started in the background of a shell
// (`runbook run x > log &`) reading its terminal would be stopped by SIGTTIN, holding its
// lock until someone types `fg` (breakN N24); it is treated as having no terminal instead.
// A terminal that is not this process's controlling terminal (`setsid runbook run` from a
// shell: the shell reads the same keys) is none either (breakHH HH12: the answer never came).
bool CanAskOnTerminal();
// Whether standard input is this process's controlling terminal, in the foreground or not: a
// background job may be brought to the foreground before a question; a run with none (cron,
// CI, `</dev/null`, `setsid`) can never be asked.
bool HasOwnTerminal();
// Drops what was typed on the terminal before a question is shown (tcflush TCIFLUSH), as sudo
// and apt do before a confirmation: keys pressed during a long step, or in the wrong pane,
// never answer a question the operator has not seen (breakFF F5: "INC-1⏎y⏎" typed 10 s
// before approved "Swap production? (irreversible)" in 1 ms). Nothing when stdin is no
// terminal (a pipe's answers are given on purpose).
void DropTypedAhead();

// Prints diagnostics as text to stderr, at most kMaxShownDiagnostics and a count, masked with
// the secrets of `about` (the runbook they are about, loaded or rejected; nullptr: none could
// be read) and the environment's credentials (engine/runbook_place.h MaskForRunbook).
void PrintDiagnostics(const Diagnostics& diags, const SourceText* source, const Runbook* about);
// The same with the redactor already made (RunbookRedactor(about)), for a caller that masks
// more of the same file's output with it.
void PrintDiagnostics(const Diagnostics& diags, const SourceText* source, const Redactor& redactor);

// Loads and validates; diagnostics go to stderr. nullptr when invalid.
std::unique_ptr<Runbook> LoadForCommand(const StepRegistry& registry, const std::string& path);
// LoadForCommand, with the text read from `copy` instead: the runbook as serve copied it when
// a run started (serve/launcher.h CopyOf), though `path` was edited since. It is still the
// runbook of `path`: its paths resolve from path's folder, and diagnostics name it. `path`
// itself when `copy` is empty or cannot be read (a resume then finds the change and says so).
std::unique_ptr<Runbook> LoadCopyAs(const StepRegistry& registry, const std::string& path,
                                    const std::string& copy);
// The same, handing the diagnostics and source back instead of printing them; `rejected` as
// LoadRunbookText's.
std::unique_ptr<Runbook> LoadQuiet(const StepRegistry& registry, const std::string& path,
                                   Diagnostics& diags, SourceText& source,
                                   std::unique_ptr<Runbook>* rejected = nullptr);

// "k=v" pairs from --set; false with a message on stderr when one has no '=' (the argument
// is not shown: a secret pasted without its name would be).
bool SplitSets(const std::vector<std::string>& sets,
               std::vector<std::pair<std::string, std::string>>& out);

}  // namespace runbook
