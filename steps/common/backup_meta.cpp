#include "steps/common/backup_meta.h"

#include "engine/util/crypto.h"
#include "engine/util/json.h"
#include "steps/common/files.h"

namespace runbook {
namespace {

std::string Text(const Value::Map& m, const char* key) {
  auto it = m.find(key);
  return it == m.end() ? std::string() : it->second.ToText();
}

}  // namespace

std::string MetaPathFor(const std::string& dump_path) { return dump_path + ".meta.json"; }

std::string MetaSigningText(const Value::Map& meta) {
  Value::Map copy = meta;
  copy.erase("signature");
  return ToJson(Value(std::move(copy)));
}

Result<Value::Map> LoadMeta(const std::string& meta_path) {
  auto text = ReadWholeFile(meta_path, 16u << 20);
  if (!text.ok())
    return Status::Error("metadata " + meta_path + " is missing or unreadable (" +
                         text.status().message() + ")");
  auto v = ParseJson(text.value());
  if (!v.ok() || !v.value().is_map()) {
    return Status::Error("metadata " + meta_path + " is not valid JSON" +
                         (v.ok() ? " (expected an object)" : ": " + v.status().message()));
  }
  const Value::Map& m = v.value().as_map();
  for (const char* key : {"file", "size", "sha256", "created_at"}) {
    if (!m.count(key)) return Status::Error("metadata " + meta_path + " has no '" + key + "'");
  }
  return m;
}

Status CheckMetaDescribes(const Value::Map& meta, const std::string& dump_path, uint64_t size,
                          const std::string& sha256) {
  std::string file = Text(meta, "file");
  if (file != BaseName(dump_path)) {
    return Status::Error("metadata describes '" + file + "', not '" + BaseName(dump_path) + "'");
  }
  if (Text(meta, "sha256") != sha256) {
    return Status::Error("sha256 mismatch for " + dump_path + ": expected " + Text(meta, "sha256") +
                         " (metadata), actual " + sha256);
  }
  if (Text(meta, "size") != std::to_string(size)) {
    return Status::Error("size mismatch for " + dump_path + ": expected " + Text(meta, "size") +
                         " bytes (metadata), actual " + std::to_string(size));
  }
  return Status::Ok();
}

Status CheckMetaSignature(const Value::Map& meta, const std::string& public_key) {
  auto it = meta.find("signature");
  if (it == meta.end() || it->second.ToText().empty()) {
    return Status::Error("the metadata is not signed, and a public key is configured");
  }
  Status s = Ed25519Verify(public_key, MetaSigningText(meta), it->second.ToText());
  if (!s.ok()) return Status::Error("bad signature on the metadata: " + s.message());
  return Status::Ok();
}

Status CheckMetaAuthentic(const std::string& dump_path, uint64_t size, const std::string& sha256,
                          const std::string& public_key) {
  auto meta = LoadMeta(MetaPathFor(dump_path));
  if (!meta.ok()) return meta.status();
  Status s = CheckMetaDescribes(meta.value(), dump_path, size, sha256);
  return s.ok() ? CheckMetaSignature(meta.value(), public_key) : s;
}

}  // namespace runbook
