// How runbook serve passes a run its params: on the run's standard input, never on its
// command line, which every local user reads in /proc/PID/cmdline (breakTT TT3).
#pragma once

#include <string>
#include <vector>

#include "engine/util/status.h"

namespace runbook {

// Reads standard input whole (at most 16 MiB): a JSON list of [NAME, VALUE] pairs of strings,
// as serve/launcher.cpp writes it, and appends each as "NAME=VALUE" to `sets` (the --set
// form, checked the same way afterwards). Standard input is then /dev/null, so no step the
// run starts can read the values. Errors (no value in them): unreadable, too long, not such
// a list; `sets` is then unchanged.
Status TakeSetsFromStdin(std::vector<std::string>& sets);

}  // namespace runbook
