// Who may call serve's API: bearer tokens in a file, stored hashed, each with a name and
// roles (docs/serve.md "Tokens"). A line: `NAME ROLE[,ROLE...] SHA256HEX`; `#` starts a
// comment. Roles: viewer (read), operator (trigger, cancel, resume; reads too), approver
// (answer approvals; reads too). Thread-safe once loaded (read only).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/util/status.h"

namespace runbook {

enum class Role { kViewer, kOperator, kApprover };

struct TokenEntry {
  std::string name;
  std::vector<Role> roles;
  std::string sha256;  // of the token, hex
};

class TokenFile {
 public:
  // Errors, with the line: a malformed line, an unknown role, a hash that is not 64 hex
  // digits, a name given twice; a file others may read or write (it grants access).
  static Result<TokenFile> Load(const std::string& path);
  // The entry whose token `bearer` is (compared as sha256 digests in constant time).
  const TokenEntry* Find(const std::string& bearer) const;
  bool Has(const std::string& name) const;

 private:
  std::vector<TokenEntry> entries_;
};

// Whether `entry` may act as `role` (any role may read).
bool Allows(const TokenEntry& entry, Role role);

// `runbook token add`: a new random token (32 bytes, hex) for NAME with ROLES, its hash
// appended to the file (made 0600 when missing). Returns the token, shown once.
Result<std::string> AddToken(const std::string& path, const std::string& name,
                             const std::string& roles);

}  // namespace runbook
