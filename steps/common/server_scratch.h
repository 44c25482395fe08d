// The scratch folders the server engines make beside `workspace` (integrity-check's
// `<workspace>.mysql-XXXXXX` with its scratch server, restore's `<workspace>.restore-XXXXXX`
// with the decompressed dump and the client's option file): marked with the run that made
// them, and swept by the next run on this host once that run's process is gone (kill -9,
// power loss), its scratch server stopped first.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "engine/util/status.h"

namespace runbook {

// Writes `<dir>/owner` (server_restore.h InProgressMarker of `run_id`: this host, this
// process). Errors: it cannot be written.
Status MarkScratchFolder(const std::string& dir, const std::string& run_id);

// Removes each folder `<workspace><suffix>XXXXXX` whose owner file names a process of this host
// that is gone (a folder without one, or another host's, stays), after ending the scratch
// server whose pid `<folder>/server.pid` names when that process is a server started on that
// folder. Says each through `log`.
void SweepScratchFolders(const std::string& workspace, const std::string& suffix,
                         const std::function<void(std::string_view)>& log);

}  // namespace runbook
