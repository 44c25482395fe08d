#include "serve/tokens.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

#include "engine/util/crypto.h"

namespace runbook {
namespace {

std::optional<Role> RoleNamed(const std::string& name) {
  if (name == "viewer") return Role::kViewer;
  if (name == "operator") return Role::kOperator;
  if (name == "approver") return Role::kApprover;
  return std::nullopt;
}

Result<std::vector<Role>> Roles(const std::string& list) {
  std::vector<Role> out;
  std::istringstream parts(list);
  for (std::string part; std::getline(parts, part, ',');) {
    auto role = RoleNamed(part);
    if (!role)
      return Status::Error("unknown role '" + part + "'; expected viewer, operator or approver");
    out.push_back(*role);
  }
  if (out.empty()) return Status::Error("no role given");
  return out;
}

bool IsHex64(const std::string& s) {
  return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

bool IsName(const std::string& s) {
  return !s.empty() && s.size() <= 64 &&
         s.find_first_not_of(
             "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.@-") ==
             std::string::npos;
}

}  // namespace

Result<TokenFile> TokenFile::Load(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Status::FromErrno("cannot read " + path, errno);
  if ((st.st_mode & 077) != 0)
    return Status::Error(path + " may be read or written by others (mode " + [&] {
      char b[8];
      std::snprintf(b, sizeof b, "%04o", st.st_mode & 07777);
      return std::string(b);
    }() + "): chmod 600 it");
  std::ifstream in(path);
  if (!in) return Status::FromErrno("cannot read " + path, errno);
  TokenFile file;
  int number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    if (line.empty() || line[0] == '#') continue;
    std::istringstream words(line);
    std::string name, roles, hash, extra;
    words >> name >> roles >> hash >> extra;
    std::string where = path + ":" + std::to_string(number) + ": ";
    if (name.empty() || hash.empty() || !extra.empty())
      return Status::Error(where + "expected NAME ROLE[,ROLE] SHA256HEX");
    if (!IsName(name)) return Status::Error(where + "invalid token name '" + name + "'");
    if (!IsHex64(hash))
      return Status::Error(where + "the hash must be 64 lower-case hex digits (sha256)");
    auto parsed = Roles(roles);
    if (!parsed.ok()) return Status::Error(where + parsed.status().message());
    for (const TokenEntry& e : file.entries_) {
      if (e.name == name) return Status::Error(where + "token name '" + name + "' given twice");
    }
    file.entries_.push_back({name, parsed.value(), hash});
  }
  return file;
}

const TokenEntry* TokenFile::Find(const std::string& bearer) const {
  if (bearer.empty()) return nullptr;
  std::string digest = Sha256Hex(bearer);
  const TokenEntry* found = nullptr;
  for (const TokenEntry& e : entries_) {  // every entry compared: no early exit to time
    if (CRYPTO_memcmp(e.sha256.data(), digest.data(), 64) == 0) found = &e;
  }
  return found;
}

bool TokenFile::Has(const std::string& name) const {
  for (const TokenEntry& e : entries_) {
    if (e.name == name) return true;
  }
  return false;
}

bool Allows(const TokenEntry& entry, Role role) {
  if (role == Role::kViewer) return true;
  for (Role r : entry.roles) {
    if (r == role) return true;
  }
  return false;
}

Result<std::string> AddToken(const std::string& path, const std::string& name,
                             const std::string& roles) {
  if (!IsName(name)) return Status::Error("invalid token name '" + name + "'");
  auto parsed = Roles(roles);
  if (!parsed.ok()) return parsed.status();
  if (::access(path.c_str(), F_OK) == 0) {
    auto existing = TokenFile::Load(path);
    if (!existing.ok()) return existing.status();
    if (existing.value().Has(name))
      return Status::Error("token name '" + name + "' is in " + path + " already");
  }
  unsigned char raw[32];
  if (::getrandom(raw, sizeof raw, 0) != static_cast<ssize_t>(sizeof raw))
    return Status::FromErrno("cannot make a random token", errno);
  std::string token = HexEncode(std::string_view(reinterpret_cast<char*>(raw), sizeof raw));
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return Status::FromErrno("cannot write " + path, errno);
  std::string line = name + " " + roles + " " + Sha256Hex(token) + "\n";
  bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  int err = errno;
  ok = ::fsync(fd) == 0 && ok;
  ::close(fd);
  if (!ok) return Status::FromErrno("cannot write " + path, err);
  return token;
}

}  // namespace runbook
