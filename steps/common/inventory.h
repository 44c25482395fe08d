// The backup inventory (default docs/inventory.json): one entry per hashed file, appended
// under an exclusive lock (flock on "<inventory>.lock") and written atomically, so
// concurrent runs never lose each other's entries and a reader never sees half a file.
// Format in docs/backup.md.
#pragma once

#include <string>

#include "engine/util/status.h"
#include "engine/util/value.h"

namespace runbook {

// Appends `entries` (maps) to the inventory, creating it (and its folder) when missing.
// A file that exists but is not an inventory is an error and is left untouched.
Status AppendInventory(const std::string& path, const Value::List& entries);
// The name an entry's `file` records for `path`: an S3 URL ("s3://...") as is; a local path
// absolute and normal, its links followed (where the kernel put the file), so one file has
// one name whatever the runbook's spelling ("m6//a.txt", "x/../m9/a.txt") or folder (breakBB2
// F6). A path that cannot be resolved is made absolute and normal as written. The steps mask
// the run's secrets in it (breakDD D15: a bucket or folder named by a secret was written
// in clear); the entry's sha256 still matches it to the file.
std::string InventoryFileName(const std::string& path);

}  // namespace runbook
