// The checksum list format of GNU coreutils' sha256sum, written by archive (MANIFEST.sha256)
// and read by hash (`verify: sums`): one implementation for both, so runbook reads what it
// writes (breakT T8). Rules from coreutils' md5sum.c (9.1): a name holding a backslash, a
// newline or a carriage return is written escaped (\\, \n, \r) on a line that starts with a
// backslash; lines are "<hash>  <name>" (text), "<hash> *<name>" (binary) or, with --tag,
// "SHA256 (<name>) = <hash>".
#pragma once

#include <optional>
#include <string>

namespace runbook {

// One line for `sha256` (64 lower-case hex digits) and `name`, newline included.
std::string SumsLine(const std::string& sha256, const std::string& name);

struct SumsEntry {
  std::string sha256;  // lower case
  std::string name;    // unescaped
};
// The entry one line (no newline) gives, or nothing when `sha256sum -c` would not read it as
// a SHA-256 line (another algorithm's, a comment, an escape it does not know).
std::optional<SumsEntry> ParseSumsLine(const std::string& line);

}  // namespace runbook
