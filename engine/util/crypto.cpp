#include "engine/util/crypto.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <vector>

#include "engine/util/input_file.h"
#include "engine/util/io_buffer.h"
#include "engine/util/strings.h"

namespace runbook {
namespace {

std::string Hex(const unsigned char* data, size_t size) {
  static const char* kDigits = "0123456789abcdef";
  std::string out(size * 2, '0');
  for (size_t i = 0; i < size; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 15];
  }
  return out;
}

using PKey = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

bool IsPemText(const std::string& s) { return s.rfind("-----BEGIN", 0) == 0; }

// A key file's text, read through OpenInputFile (regular files only, never a blocking open);
// at most 64 KiB (an Ed25519 PEM is about 120 bytes).
Result<std::string> ReadKeyFile(const std::string& path) {
  auto fd = OpenInputFile(path);
  // "the key file: cannot read X: ...": it was "key cannot read X" (break23a D3).
  if (!fd.ok()) return Status::Error("the key file: " + fd.status().message());
  std::string text;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd.value(), buf, sizeof buf)) > 0 && text.size() < 65536) text.append(buf, n);
  int err = errno;
  ::close(fd.value());
  if (n < 0) return Status::FromErrno("cannot read key " + path, err);
  return text;
}

// Reads a PEM key from a file, or from the text itself when it is PEM (a secret);
// `is_private` chooses the reader. A private key also yields its public half.
Result<PKey> ReadKey(const std::string& path, bool is_private) {
  std::string name = IsPemText(path) ? std::string("(PEM text)") : path;
  // A key is a regular file, opened once without blocking and checked on what was opened: a
  // FIFO at the path would block the open with signals unheard (breakQ Q8: `--sign-key
  // FIFO`; breakR R1: one swapped in between a stat and the open hung the run past SIGTERM).
  std::string text = path;
  if (!IsPemText(path)) {
    auto read = ReadKeyFile(path);
    if (!read.ok()) return read.status();
    text = std::move(read).value();
  }
  BIO* bio = BIO_new_mem_buf(text.data(), static_cast<int>(text.size()));
  if (bio == nullptr) return Status::Error("cannot read key " + name + ": out of memory");
  EVP_PKEY* key = is_private ? PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr)
                             : PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  bool public_given = false;  // a private key wanted, a public one found (break25a #11)
  if (key == nullptr) {
    (void)BIO_reset(bio);
    key = is_private ? PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr)
                     : PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    public_given = is_private && key != nullptr;
  }
  BIO_free(bio);
  const std::string& path_for_errors = name;
  if (public_given) {
    EVP_PKEY_free(key);
    return Status::Error("key " + path_for_errors +
                         " is a public key: signing needs the private one (a public key is "
                         "for audit verify --public-key)");
  }
  if (key == nullptr) return Status::Error("key " + path_for_errors + " is not a PEM Ed25519 key");
  if (EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) {
    EVP_PKEY_free(key);
    return Status::Error("key " + path_for_errors + " is not an Ed25519 key");
  }
  return PKey(key, EVP_PKEY_free);
}

Result<std::string> Base64Decode(const std::string& text) {
  std::vector<unsigned char> out(text.size() + 3);
  int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return Status::Error("signature is not base64");
  size_t pad = 0;
  for (size_t i = text.size(); i > 0 && text[i - 1] == '='; --i) ++pad;
  return std::string(reinterpret_cast<char*>(out.data()), static_cast<size_t>(n) - pad);
}

}  // namespace

struct Sha256::State {
  MdCtx ctx{EVP_MD_CTX_new(), EVP_MD_CTX_free};
};

Sha256::Sha256() : state_(std::make_unique<State>()) {
  EVP_DigestInit_ex(state_->ctx.get(), EVP_sha256(), nullptr);
}
Sha256::~Sha256() = default;

void Sha256::Update(const void* data, size_t size) {
  EVP_DigestUpdate(state_->ctx.get(), data, size);
}

std::string Sha256::FinishHex() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_DigestFinal_ex(state_->ctx.get(), digest, &size);
  return Hex(digest, size);
}

struct Md5::State {
  MdCtx ctx{EVP_MD_CTX_new(), EVP_MD_CTX_free};
};

Md5::Md5() : state_(std::make_unique<State>()) {
  EVP_DigestInit_ex(state_->ctx.get(), EVP_md5(), nullptr);
}
Md5::~Md5() = default;

void Md5::Update(const void* data, size_t size) { EVP_DigestUpdate(state_->ctx.get(), data, size); }

std::string Md5::FinishRaw() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_DigestFinal_ex(state_->ctx.get(), digest, &size);
  return std::string(reinterpret_cast<char*>(digest), size);
}

std::string CanonicalSha256(std::string_view text) {
  if (text.size() != 64 || text.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
    return std::string(text);
  return AsciiLower(text);
}

std::string Sha256Hex(std::string_view data) {
  Sha256 h;
  h.Update(data.data(), data.size());
  return h.FinishHex();
}

Result<std::string> Sha256File(const std::string& path, const Work& work) {
  auto opened = OpenInputStream(path);
  if (!opened.ok()) return opened.status();
  FILE* f = opened.value();
  Sha256 h;
  IoBuffer buffer(1 << 20);
  size_t n;
  bool stopped = false;
  while (!(stopped = work.Stopped()) && (n = std::fread(buffer.data(), 1, buffer.size(), f)) > 0) {
    h.Update(buffer.data(), n);
    work.Advanced(n);
  }
  bool failed = std::ferror(f) != 0;
  int err = errno;
  std::fclose(f);
  if (stopped) return Status::Error(kStoppedMessage);
  if (failed) return Status::FromErrno("cannot read " + path, err);
  return h.FinishHex();
}

std::string HexEncode(std::string_view bytes) {
  return Hex(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &size);
  return std::string(reinterpret_cast<char*>(out), size);
}

std::string Sha1Raw(std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), out, &size, EVP_sha1(), nullptr);
  return std::string(reinterpret_cast<char*>(out), size);
}

std::string Md5Raw(std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), out, &size, EVP_md5(), nullptr);
  return std::string(reinterpret_cast<char*>(out), size);
}

namespace {

// The digests of a file's parts as its bytes stream by (FileDigests::parts).
class PartDigester {
 public:
  explicit PartDigester(uint64_t part_size) : part_size_(part_size) {}
  void Update(const char* data, size_t n) {
    while (part_size_ > 0 && n > 0) {
      if (filled_ == 0) sha_.emplace(), md5_.emplace();
      size_t take = static_cast<size_t>(std::min<uint64_t>(n, part_size_ - filled_));
      sha_->Update(data, take);
      md5_->Update(data, take);
      filled_ += take, data += take, n -= take;
      if (filled_ == part_size_) Close();
    }
  }
  std::vector<FileDigests::Part> Finish() {
    if (filled_ > 0) Close();
    return std::move(parts_);
  }

 private:
  void Close() {
    parts_.push_back({sha_->FinishHex(), md5_->FinishRaw()});
    filled_ = 0;
  }
  uint64_t part_size_, filled_ = 0;
  std::optional<Sha256> sha_;
  std::optional<Md5> md5_;
  std::vector<FileDigests::Part> parts_;
};

}  // namespace

Result<FileDigests> DigestFile(const std::string& path, const Work& work, uint64_t part_size) {
  auto opened = OpenInputStream(path);
  if (!opened.ok()) return opened.status();
  FILE* f = opened.value();
  MdCtx sha(EVP_MD_CTX_new(), EVP_MD_CTX_free), md5(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(sha.get(), EVP_sha256(), nullptr);
  EVP_DigestInit_ex(md5.get(), EVP_md5(), nullptr);
  PartDigester parts(part_size);
  IoBuffer buffer(1 << 20);
  FileDigests d;
  size_t n;
  bool stopped = false;
  while (!(stopped = work.Stopped()) && (n = std::fread(buffer.data(), 1, buffer.size(), f)) > 0) {
    work.Advanced(n);
    EVP_DigestUpdate(sha.get(), buffer.data(), n);
    EVP_DigestUpdate(md5.get(), buffer.data(), n);
    parts.Update(buffer.data(), n);
    d.size += n;
  }
  bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (stopped) return Status::Error(kStoppedMessage);
  if (failed) return Status::Error("cannot read " + path);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_DigestFinal_ex(sha.get(), out, &size);
  d.sha256 = Hex(out, size);
  EVP_DigestFinal_ex(md5.get(), out, &size);
  d.md5_raw.assign(reinterpret_cast<char*>(out), size);
  d.md5 = Hex(out, size);
  d.parts = parts.Finish();
  return d;
}

std::string Base64Encode(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(data.data()),
                          static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

Result<std::string> Ed25519Sign(const std::string& private_key_pem_path, std::string_view message) {
  auto key = ReadKey(private_key_pem_path, true);
  if (!key.ok()) return key.status();
  MdCtx ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  unsigned char sig[64];
  size_t size = sizeof sig;
  if (EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.value().get()) != 1 ||
      EVP_DigestSign(ctx.get(), sig, &size, reinterpret_cast<const unsigned char*>(message.data()),
                     message.size()) != 1) {
    return Status::Error("signing failed");
  }
  return Base64Encode(std::string_view(reinterpret_cast<char*>(sig), size));
}

Status Ed25519Verify(const std::string& public_key_pem_path, std::string_view message,
                     const std::string& signature_base64) {
  auto key = ReadKey(public_key_pem_path, false);
  if (!key.ok()) return key.status();
  auto sig = Base64Decode(signature_base64);
  if (!sig.ok()) return sig.status();
  MdCtx ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.value().get()) != 1) {
    return Status::Error("cannot use the public key");
  }
  const std::string& s = sig.value();
  int ok = EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(s.data()), s.size(),
                            reinterpret_cast<const unsigned char*>(message.data()), message.size());
  if (ok != 1)
    return Status::Error("the signature does not match (key " + public_key_pem_path + ")");
  return Status::Ok();
}

Result<std::string> KeyId(const std::string& pem_path) {
  auto key = ReadKey(pem_path, false);
  if (!key.ok()) return key.status();
  unsigned char raw[32];
  size_t size = sizeof raw;
  if (EVP_PKEY_get_raw_public_key(key.value().get(), raw, &size) != 1) {
    return Status::Error("cannot read the public key");
  }
  return Sha256Hex(std::string_view(reinterpret_cast<char*>(raw), size)).substr(0, 16);
}

}  // namespace runbook
