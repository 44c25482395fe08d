// The `<dump>.meta.json` written by `backup` and checked by `hash`, `integrity-check` and
// `restore` (schema in docs/backup.md). The Ed25519 signature covers the canonical JSON
// (sorted keys, compact) of every field but `signature`.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/util/status.h"
#include "engine/util/value.h"

namespace runbook {

constexpr const char* kBackupFormat = "runbook-backup/1";

// The dump file name suffix of each engine of `backup`: ".sqlite.gz" (gzip of the database
// file), ".pgdump" (pg_dump's custom format, compressed by pg_dump), ".sql.gz" (mysqldump's
// SQL, gzip); every one of them, for
// retention and the recovery of a folder (retention.h).
const std::string& DumpSuffix(const std::string& engine);
const std::vector<std::string>& DumpSuffixes();

std::string MetaPathFor(const std::string& dump_path);
// The text the signature covers.
std::string MetaSigningText(const Value::Map& meta);
Result<Value::Map> LoadMeta(const std::string& meta_path);

// One read of a dump's metadata: what every later decision and output of a step uses (a
// second read could see another file).
struct LoadedMeta {
  Value::Map fields;
  std::string sha256;  // of the file's bytes: which metadata a step checked
};
// The metadata beside `dump_path`: nullopt when there is no such file; an error when one is
// there but cannot be read or parsed — that is never "no metadata".
Result<std::optional<LoadedMeta>> ReadMetaOf(const std::string& dump_path);
// The loaded metadata describes `dump_path` (name, size, sha256) and carries a valid
// signature of `public_key`.
Status CheckAuthentic(const LoadedMeta& meta, const std::string& dump_path, uint64_t size,
                      const std::string& sha256, const std::string& public_key);
// The metadata describes this file: name, size and sha256 agree; says which differs.
Status CheckMetaDescribes(const Value::Map& meta, const std::string& dump_path, uint64_t size,
                          const std::string& sha256);
// A signature is present and valid for `public_key` (PEM path or text).
Status CheckMetaSignature(const Value::Map& meta, const std::string& public_key);
// integrity-check's first look at a dump of a server engine: its metadata read once into
// `meta` (nullopt: none beside it); with `public_key` (PEM path or text; null: not asked) it
// must be signed with that key and describe `source` (name, size, `sha256`) before anything is
// done with the dump (`before`: "restoring", "decompressing"). "" when fine, else why not.
std::string ReadMetaForCheck(const std::string& source, const std::string& sha256,
                             const Value* public_key, const std::string& before,
                             std::optional<LoadedMeta>& meta);
// The `raw_size` (bytes of the decompressed dump) `meta` states; nullopt without metadata or
// without a non-negative integer `raw_size`.
std::optional<uint64_t> RawSizeOf(const LoadedMeta* meta);
}  // namespace runbook
