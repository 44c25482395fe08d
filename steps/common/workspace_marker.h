// The marker beside a copy integrity-check kept (`<workspace>.integrity-check`): which file
// it placed there (device, inode, size, mtime), so a later run replaces or removes only its
// own copy, and restore adopts only that very copy (docs/backup.md, Integrity).
//
// The marker's own name is written by no one else (breakW W2: a live database at that name
// was replaced by a marker): an existing file there is the step's only when it reads as a
// marker (one line "DEV INO SIZE SEC.NSEC", at most 128 bytes); anything else is refused,
// never replaced or removed.
#pragma once

#include <string>

#include "engine/util/status.h"

namespace runbook {

// "<workspace>.integrity-check".
std::string MarkerPath(const std::string& workspace);
// The marker line for the regular file at `path` ("DEV INO SIZE SEC.NSEC\n"), "" when there
// is none (missing, a link, not a regular file).
std::string MarkerLine(const std::string& path);
// What the marker of `workspace` says: its line, or "" when there is no marker. Errors when
// a file at the marker's name is not a marker (it is not ours).
Result<std::string> ReadMarker(const std::string& workspace);
// Writes the marker of `workspace` naming `copy` (atomic, fsynced); refused as ReadMarker.
Status WriteMarker(const std::string& workspace, const std::string& copy);
// Removes the marker of `workspace` when there is one; a file there that is not a marker
// stays.
void RemoveMarker(const std::string& workspace);

}  // namespace runbook
