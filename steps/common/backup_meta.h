// The `<dump>.meta.json` written by `backup` and checked by `hash`, `integrity-check` and
// `restore` (schema in docs/backup.md). The Ed25519 signature covers the canonical JSON
// (sorted keys, compact) of every field but `signature`.
#pragma once

#include <string>

#include "engine/util/status.h"
#include "engine/util/value.h"

namespace runbook {

constexpr const char* kBackupFormat = "runbook-backup/1";

std::string MetaPathFor(const std::string& dump_path);
// The text the signature covers.
std::string MetaSigningText(const Value::Map& meta);
Result<Value::Map> LoadMeta(const std::string& meta_path);
// The metadata describes this file: name, size and sha256 agree; says which differs.
Status CheckMetaDescribes(const Value::Map& meta, const std::string& dump_path, uint64_t size,
                          const std::string& sha256);
// A signature is present and valid for `public_key` (PEM path or text).
Status CheckMetaSignature(const Value::Map& meta, const std::string& public_key);
// The dump at `dump_path` is what its signed metadata describes: the metadata loads, names
// this file with this size and sha256 (hex), and carries a valid signature for
// `public_key`. Only then is the rest of the metadata (manifest, raw_sha256, created_at)
// the backup job's word rather than anyone's who can write beside the dump.
Status CheckMetaAuthentic(const std::string& dump_path, uint64_t size, const std::string& sha256,
                          const std::string& public_key);

}  // namespace runbook
