// Hashes and signatures: SHA-256 (one-shot and streaming) and Ed25519 with PEM keys. The
// only file that includes OpenSSL. Keys are loaded per call; nothing is cached. Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/util/status.h"
#include "engine/util/work.h"

namespace runbook {

// Lowercase hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);
// A sha256 read from outside (S3 metadata, a dump's .meta.json, a sums file) in the form
// Sha256Hex gives: 64 hex digits in lower case. Upper or mixed case is the same value
// (sha256sum, PowerShell's Get-FileHash; breakJ J13); any other text is returned unchanged,
// so it still compares unequal to every digest.
std::string CanonicalSha256(std::string_view text);

// Incremental SHA-256 for streams (files of any size, memory bounded by the caller).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void Update(const void* data, size_t size);
  std::string FinishHex();  // once

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Incremental MD5 (S3's Content-MD5 and ETags only).
class Md5 {
 public:
  Md5();
  ~Md5();
  Md5(const Md5&) = delete;
  Md5& operator=(const Md5&) = delete;
  void Update(const void* data, size_t size);
  std::string FinishRaw();  // 16 bytes, once

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// SHA-256 of a whole file, streamed. Errors name the file.
Result<std::string> Sha256File(const std::string& path, const Work& work = {});

// SHA-256 and MD5 of a file in one pass (MD5 only where S3 needs it: ETags, Content-MD5).
// With `part_size` > 0 the same pass also digests each part of that many bytes (the last
// may be shorter): what an S3 multipart upload sends and signs, so the recorded sha256 and
// the parts the server checks come from one read of the file (breakH H4).
struct FileDigests {
  struct Part {
    std::string sha256;   // hex
    std::string md5_raw;  // 16 bytes
  };
  uint64_t size = 0;
  std::string sha256;       // hex
  std::string md5;          // hex
  std::string md5_raw;      // 16 bytes
  std::vector<Part> parts;  // only with part_size > 0
};
Result<FileDigests> DigestFile(const std::string& path, const Work& work = {},
                               uint64_t part_size = 0);
std::string Md5Raw(std::string_view data);
// SHA-1 of `data`: the raw 20 bytes (MySQL's native password hash; never for integrity).
std::string Sha1Raw(std::string_view data);

// Key arguments are a PEM file's path, or PEM text itself (a key passed as a secret).
// Ed25519 over `message` with a PEM private key (PKCS#8). Returns base64.
Result<std::string> Ed25519Sign(const std::string& private_key_pem_path, std::string_view message);
// Verifies a base64 signature with a PEM public key file. Ok when valid.
Status Ed25519Verify(const std::string& public_key_pem_path, std::string_view message,
                     const std::string& signature_base64);
// A short id for a key: the first 16 hex digits of the SHA-256 of the raw public key.
// Accepts a private or a public key file.
Result<std::string> KeyId(const std::string& pem_path);

std::string Base64Encode(std::string_view data);

// HMAC-SHA256 of `data` with `key`: the raw 32 bytes (for SigV4's key derivation).
std::string HmacSha256(std::string_view key, std::string_view data);
std::string HexEncode(std::string_view bytes);

}  // namespace runbook
