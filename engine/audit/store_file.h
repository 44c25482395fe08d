// The audit store's file as bytes on disk, read beside SQLite: its size and the fixed fields
// of its 100-byte header (https://www.sqlite.org/fileformat2.html#database_header). SQLite
// trusts that nobody writes its file behind its back; a store truncated or overwritten in
// place (`: > audit.db`, `cp other.db audit.db`: same inode) during a run would take our next
// checkpoint into foreign bytes. These facts let the store notice that before it commits.
#pragma once

#include <cstdint>
#include <string>

#include "engine/util/status.h"

namespace runbook {

class Db;

// PRAGMA application_id of a runbook audit store: "RBKA" (SQLite's field for naming a file
// format, https://www.sqlite.org/pragma.html#pragma_application_id).
constexpr int32_t kAuditApplicationId = 0x52424B41;

struct StoreFileFacts {
  int64_t size = 0;            // bytes; never shrinks for a store (no VACUUM, no auto_vacuum)
  bool sqlite = false;         // the header starts with "SQLite format 3\0"
  uint32_t page_size = 0;      // header bytes 16-17 (1 means 65536)
  int32_t application_id = 0;  // header bytes 68-71, big-endian; 0 until first checkpointed
};

// Reads the size and header of `db`'s main file through SQLite's own descriptor (the file
// opened, wherever its path now points). Errors: the file cannot be read. A file shorter than
// 100 bytes is read as not SQLite.
Result<StoreFileFacts> ReadStoreFile(Db& db);

// Ok when `now` can be the same store as `before` after other writers' checkpoints: at least
// as large, still SQLite with the same page size, and its application id unchanged unless it
// went from 0 (not yet checkpointed) to ours. Else an error in words: "truncated in place
// (from N to M bytes)" or "overwritten in place (...)".
Status SameStoreFile(const StoreFileFacts& before, const StoreFileFacts& now);

}  // namespace runbook
