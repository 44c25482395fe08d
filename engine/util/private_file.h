// Files only runbook's own account reads: what a run owes to tell (a notification outbox,
// serve's owed failures). Written whole or not at all, durable once written.
#pragma once

#include <optional>
#include <string>

#include "engine/util/status.h"

namespace runbook {

// Creates a new file beside `path` under an unpredictable name (`path`.tmp.<16 hex>), never
// through a link or over what is there (O_CREAT|O_EXCL|O_NOFOLLOW: breakO O20, a predictable
// FILE.tmp.PID in a shared folder let another user plant a link to any file), mode `mode`
// less the umask. Returns its fd (the caller closes it) and sets `tmp` to its name. Errors:
// no random name, the folder cannot be written.
Result<int> CreateUnpredictableTemp(const std::string& path, int mode, std::string& tmp);

// Replaces `path` with `text`: a 0600 file written, fsynced and renamed over it, and its
// folder fsynced, so a crash leaves the old content or the new, never a part. A symbolic link
// or anything but a regular file at `path` is refused and left as it is. Errors: said with
// the path (the file is then unchanged).
Status WritePrivateFile(const std::string& path, const std::string& text);

// Appends `line` (which ends with '\n') to `path`, made 0600 when missing, never through a
// symbolic link, a FIFO or anything but the file's own (OpenOwnFile), and syncs it: once this
// returns Ok the line survives a crash; a kill part-way leaves at most a last line without its
// '\n', which readers ignore. A journal of facts, one per line. Errors: said with the path.
Status AppendPrivateLine(const std::string& path, const std::string& line);

// The whole text of such a file; nullopt when it is missing, cannot be read, or is not the
// file's own (OpenOwnFile: a symbolic link, a FIFO, anything but a regular file with one
// link): a planted link is never read through (breakRR RR7), a planted FIFO never blocks.
std::optional<std::string> ReadPrivateFile(const std::string& path);

}  // namespace runbook
