#include "steps/common/sums_format.h"

#include "engine/util/crypto.h"

namespace runbook {
namespace {

// 64 hex digits in either case, lower-cased; "" otherwise.
std::string HashText(const std::string& hex) {
  if (hex.size() != 64 || hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
    return "";
  return CanonicalSha256(hex);
}

// Undoes the escapes of an escaped line's name; nothing for an escape GNU does not write.
std::optional<std::string> Unescape(const std::string& name) {
  std::string out;
  for (size_t i = 0; i < name.size(); ++i) {
    if (name[i] != '\\') {
      out += name[i];
      continue;
    }
    if (++i == name.size()) return std::nullopt;
    char c = name[i];
    if (c == '\\')
      out += '\\';
    else if (c == 'n')
      out += '\n';
    else if (c == 'r')
      out += '\r';
    else
      return std::nullopt;
  }
  return out;
}

}  // namespace

std::string SumsLine(const std::string& sha256, const std::string& name) {
  std::string escaped;
  for (char c : name)
    escaped += c == '\\'   ? std::string("\\\\")
               : c == '\n' ? std::string("\\n")
               : c == '\r' ? std::string("\\r")
                           : std::string(1, c);
  return (escaped == name ? "" : "\\") + sha256 + "  " + escaped + "\n";
}

std::optional<SumsEntry> ParseSumsLine(const std::string& text) {
  // A list written on Windows: sha256sum -c takes the CR before the newline as part of the
  // line end (breakU U7).
  std::string raw = !text.empty() && text.back() == '\r' ? text.substr(0, text.size() - 1) : text;
  bool escaped = !raw.empty() && raw[0] == '\\';
  std::string line = escaped ? raw.substr(1) : raw;
  std::string name, sha;
  const std::string tag = "SHA256 (";
  if (line.rfind(tag, 0) == 0) {
    size_t end = line.rfind(") = ");
    if (end == std::string::npos || end < tag.size()) return std::nullopt;
    name = line.substr(tag.size(), end - tag.size());
    sha = HashText(line.substr(end + 4));
  } else {
    if (line.size() < 66 || line[64] != ' ' || (line[65] != ' ' && line[65] != '*'))
      return std::nullopt;
    name = line.substr(66);
    sha = HashText(line.substr(0, 64));
  }
  if (sha.empty() || name.empty()) return std::nullopt;
  if (escaped) {
    auto plain = Unescape(name);
    if (!plain) return std::nullopt;
    name = *plain;
  }
  return SumsEntry{sha, name};
}

}  // namespace runbook
