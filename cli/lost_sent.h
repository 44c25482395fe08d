// The journal of what a lost run's helper (cli/run_lost.h) has sent: one line per `notify:`
// entry whose failure was delivered, its index in decimal. serve names the file
// (`<log_dir>/<run id>.sent`, Launcher::SentOf) and removes it once nothing is owed. It
// outlives what the audit store can hold: a run refused before it started is not in the
// store, so its deliveries were said only, and a serve restarted while its helper sent had
// every entry sent again (breakPP PP2). A line is appended and synced before the next entry
// is tried, so a helper killed at any point resends at most the entry it was sending (as
// Alertmanager's notifier: at least once, never all again).
#pragma once

#include <cstddef>
#include <set>
#include <string>

#include "engine/util/status.h"

namespace runbook {

// The indexes `path` records; empty when it does not exist or is a symlink. A line that is not a
// whole decimal index ended by a newline (a write cut short by a kill) is ignored: that entry is
// sent again.
std::set<size_t> ReadSentJournal(const std::string& path);

// Appends `index` to `path` (made 0600, never through a symlink) and syncs it. Errors: the
// file cannot be opened or written (the entry may then be sent again later).
Status AppendSent(const std::string& path, size_t index);

}  // namespace runbook
