#include "steps/common/mysql_replay_account.h"

#include <sys/random.h>

#include <cctype>
#include <charconv>
#include <chrono>

#include "engine/util/crypto.h"
#include "engine/util/strings.h"

namespace runbook {
namespace {

constexpr const char* kPrefix = "rb_restore_";

std::string Hex(size_t bytes) {
  unsigned char raw[32] = {};
  if (bytes > sizeof raw || ::getrandom(raw, bytes, 0) != static_cast<ssize_t>(bytes)) return "";
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < bytes; ++i) {
    out += digits[raw[i] >> 4];
    out += digits[raw[i] & 15];
  }
  return out;
}

}  // namespace

Result<ReplayAccount> NewReplayAccount(const std::string& host, Clock::Wall now) {
  std::string tag = Hex(4), password = Hex(16);
  if (tag.empty() || password.empty())
    return Status::Error("cannot make the replay account's password: getrandom failed");
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  // A fixed tail of an upper case letter, a digit and a sign: a password policy
  // (simple_password_check) that asks for each kind is met.
  return ReplayAccount{kPrefix + std::to_string(seconds) + "_" + tag, host, password + "-Rb9"};
}

std::string ReplayPrivileges(bool tables_only) {
  std::string out =
      "SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, INDEX, ALTER, REFERENCES, LOCK TABLES, "
      "CREATE TEMPORARY TABLES";
  if (!tables_only)
    out += ", CREATE VIEW, SHOW VIEW, TRIGGER, CREATE ROUTINE, ALTER ROUTINE, EXECUTE";
  return out;
}

std::string NativePasswordHash(const std::string& password) {
  return "*" + AsciiUpper(HexEncode(Sha1Raw(Sha1Raw(password))));
}

bool IsStaleReplayAccount(const std::string& user, Clock::Wall now) {
  const std::string prefix = kPrefix;
  if (user.rfind(prefix, 0) != 0) return false;
  size_t cut = user.find('_', prefix.size());
  if (cut == std::string::npos || user.size() != cut + 9) return false;
  long long made = 0;
  const char* first = user.data() + prefix.size();
  auto [end, ec] = std::from_chars(first, user.data() + cut, made);
  if (ec != std::errc() || end != user.data() + cut) return false;
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  return seconds - made > 3600;
}

}  // namespace runbook
