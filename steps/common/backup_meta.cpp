#include "steps/common/backup_meta.h"

#include <filesystem>

#include "engine/util/crypto.h"
#include "engine/util/json.h"
#include "engine/util/strings.h"
#include "steps/common/files.h"

namespace runbook {
namespace {

std::string Text(const Value::Map& m, const char* key) {
  auto it = m.find(key);
  return it == m.end() ? std::string() : it->second.ToText();
}

}  // namespace

const std::string& DumpSuffix(const std::string& engine) {
  return DumpSuffixes()[engine == "postgres" ? 1 : engine == "mysql" ? 2 : 0];
}

const std::vector<std::string>& DumpSuffixes() {
  static const std::vector<std::string> kSuffixes = {".sqlite.gz", ".pgdump", ".sql.gz"};
  return kSuffixes;
}

std::string MetaPathFor(const std::string& dump_path) { return dump_path + ".meta.json"; }

std::string MetaSigningText(const Value::Map& meta) {
  Value::Map copy = meta;
  copy.erase("signature");
  return ToJson(Value(std::move(copy)));
}

namespace {

Result<Value::Map> ParseMeta(const std::string& meta_path, const std::string& text) {
  auto v = ParseJson(text);
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

}  // namespace

Result<Value::Map> LoadMeta(const std::string& meta_path) {
  auto text = ReadWholeFile(meta_path, 16u << 20);
  if (!text.ok())
    return Status::Error("metadata " + meta_path + " is missing or unreadable (" +
                         text.status().message() + ")");
  return ParseMeta(meta_path, text.value());
}

Result<std::optional<LoadedMeta>> ReadMetaOf(const std::string& dump_path) {
  std::string path = MetaPathFor(dump_path);
  std::error_code ec;
  if (!std::filesystem::exists(std::filesystem::symlink_status(path, ec)))
    return std::optional<LoadedMeta>();
  auto text = ReadWholeFile(path, 16u << 20);
  if (!text.ok())
    return Status::Error("metadata " + path + " cannot be read: " + text.status().message());
  auto fields = ParseMeta(path, text.value());
  if (!fields.ok()) return fields.status();
  return std::optional<LoadedMeta>(LoadedMeta{fields.value(), Sha256Hex(text.value())});
}

Status CheckAuthentic(const LoadedMeta& meta, const std::string& dump_path, uint64_t size,
                      const std::string& sha256, const std::string& public_key) {
  Status s = CheckMetaDescribes(meta.fields, dump_path, size, sha256);
  return s.ok() ? CheckMetaSignature(meta.fields, public_key) : s;
}

Status CheckMetaDescribes(const Value::Map& meta, const std::string& dump_path, uint64_t size,
                          const std::string& sha256) {
  std::string file = Text(meta, "file");
  if (file != BaseName(dump_path)) {
    return Status::Error("metadata describes '" + file + "', not '" + BaseName(dump_path) + "'");
  }
  if (CanonicalSha256(Text(meta, "sha256")) != sha256) {
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
  if (public_key.empty())
    return Status::Error("public_key is empty: name the key, or leave the parameter out");
  auto it = meta.find("signature");
  if (it == meta.end() || it->second.ToText().empty()) {
    return Status::Error("the metadata is not signed, and a public key is configured");
  }
  Status s = Ed25519Verify(public_key, MetaSigningText(meta), it->second.ToText());
  if (s.ok()) return Status::Ok();
  // Signed with another key (a rotation, the wrong key file) reads apart from a forged or
  // edited dump, as `audit verify` says of a head (newcomer N19). The key id recorded is only
  // a hint: the signature is what failed.
  auto given = KeyId(public_key);
  std::string recorded = Text(meta, "key_id");
  if (given.ok() && !recorded.empty() && recorded != given.value())
    return Status::Error("bad signature on the metadata: it says it was signed with key " +
                         Printable(recorded) + ", not with the key given (" + public_key +
                         ", key " + given.value() + ")");
  return Status::Error("bad signature on the metadata: " + s.message() +
                       (given.ok() && recorded == given.value()
                            ? ": the dump or its metadata changed after it was signed"
                            : ""));
}

std::string ReadMetaForCheck(const std::string& source, const std::string& sha256,
                             const Value* public_key, const std::string& before,
                             std::optional<LoadedMeta>& meta) {
  auto read = ReadMetaOf(source);
  if (!read.ok()) return read.status().message();
  meta = std::move(read).value();
  if (public_key == nullptr) return "";
  if (!meta) return "not authentic: there is no " + MetaPathFor(source);
  std::error_code ec;
  uint64_t size = std::filesystem::file_size(source, ec);
  if (ec) return "cannot read the size of " + source + ": " + ec.message();
  Status s = CheckAuthentic(*meta, source, size, sha256, public_key->ToText());
  return s.ok() ? "" : "not authentic: " + s.message() + " (checked before " + before + ")";
}

std::optional<uint64_t> RawSizeOf(const LoadedMeta* meta) {
  if (meta == nullptr) return std::nullopt;
  auto it = meta->fields.find("raw_size");
  if (it == meta->fields.end() || !it->second.is_int() || it->second.as_int() < 0)
    return std::nullopt;
  return static_cast<uint64_t>(it->second.as_int());
}

}  // namespace runbook
