// Temporary files a later run can recognise as debris. A scratch name is
// `.<base>.tmp-<pid>-<start>-w<place>-<16 hex>` beside the file it becomes (start: the pid's
// start time, /proc/PID/stat field 22; place: WhereToken, the host and pid namespace; older
// names lack both); SQLite may add `-wal`, `-shm` or `-journal`. RemoveDebris deletes such
// files whose process no longer runs (the run that made them was killed) — a pid now used by
// a process started at another time counts as gone — never those of a live process (this
// one included). A pid means something only in its own place: another host's or container's
// file sharing the folder (NFS, one volume in two pods) is debris only once unchanged for 7
// days (breakH H13). docs/backup.md, "Debris".
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "engine/util/status.h"

namespace runbook {

// A fresh scratch name (a base name) for the file `name`, owned by this process. Fits
// NAME_MAX with room for SQLite's longest companion suffix ("-journal") for any legal
// `name`: a long name's base part is shortened (at a UTF-8 character boundary).
std::string ScratchName(const std::string& name);
// A fresh scratch path beside `path`, owned by this process.
std::string ScratchBeside(const std::string& path);
// The pid that made `name` (a base name), or 0 when it is not a scratch name.
long ScratchOwner(const std::string& name);
// `name` (a file in `dir`) is a scratch name whose process no longer runs: made here (this
// place) by a dead process, or made elsewhere and unchanged for 7 days.
bool ScratchOfDeadRun(const std::string& dir, const std::string& name);
// Removes the scratch files of dead processes in `dir` (not recursive) whose base name (the
// file they were to become) `owns` accepts (empty: every base); returns their paths.
std::vector<std::string> RemoveDebris(const std::string& dir,
                                      const std::function<bool(const std::string&)>& owns = {});
// Creates `path` (must not exist) with `data`, fsynced; on failure nothing stays.
Status WriteNewFile(const std::string& path, const std::string& data, int mode = 0644);
// Removes `path` and its SQLite companions (-wal, -shm, -journal), the companions first;
// missing ones are fine.
void RemoveWithCompanions(const std::string& path);

}  // namespace runbook
