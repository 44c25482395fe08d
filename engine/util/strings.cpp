#include "engine/util/strings.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <iterator>
#include <utility>

namespace runbook {

size_t EditDistance(std::string_view a, std::string_view b) {
  // Optimal string alignment distance, three rolling rows.
  std::vector<size_t> prev2(b.size() + 1), prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        cur[j] = std::min(cur[j], prev2[j - 2] + 1);
      }
    }
    prev2.swap(prev);
    prev.swap(cur);
  }
  return prev[b.size()];
}

namespace {
thread_local bool t_budget_active = false;
thread_local uint64_t t_budget_left = 0;
}  // namespace

SuggestionBudget::SuggestionBudget(uint64_t cells) : outer_(!t_budget_active) {
  if (!outer_) return;
  t_budget_active = true;
  t_budget_left = cells;
}

SuggestionBudget::~SuggestionBudget() {
  if (outer_) t_budget_active = false;
}

std::string ClosestName(std::string_view name, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = std::string::npos;
  for (const std::string& candidate : candidates) {
    if (t_budget_active) {
      const uint64_t cost = uint64_t{name.size() + 1} * (candidate.size() + 1);
      if (cost > t_budget_left) {
        t_budget_left = 0;
        return "";
      }
      t_budget_left -= cost;
    }
    size_t d = EditDistance(name, candidate);
    if (d < best_distance) {
      best_distance = d;
      best = candidate;
    }
  }
  // A typo changes a few characters; beyond a third of the word it is another word.
  size_t limit = std::max<size_t>(1, std::max(name.size(), best.size()) / 3);
  return best_distance <= limit ? best : "";
}

std::string Join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += separator;
    out += parts[i];
  }
  return out;
}

size_t FindInvalidUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    auto c = static_cast<unsigned char>(text[i]);
    size_t len = c < 0x80           ? 1
                 : (c >> 5) == 0x6  ? 2
                 : (c >> 4) == 0xE  ? 3
                 : (c >> 3) == 0x1E ? 4
                                    : 0;
    if (len == 0 || i + len > text.size()) return i;
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return i;
    }
    if (len == 2 && c < 0xC2) return i;  // overlong
    i += len;
  }
  return std::string::npos;
}

namespace {

void Hex(std::string& out, unsigned char c) {
  char hex[8];
  std::snprintf(hex, sizeof hex, "\\x%02x", c);
  out += hex;
}

// Length of the valid UTF-8 sequence at s[i] (0 when invalid, overlong or a surrogate).
size_t Utf8Length(std::string_view s, size_t i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  size_t n = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return 0;
  unsigned char d = static_cast<unsigned char>(s[i + 1]);
  if ((c == 0xe0 && d < 0xa0) || (c == 0xed && d >= 0xa0) || (c == 0xf0 && d < 0x90) ||
      (c == 0xf4 && d >= 0x90))
    return 0;
  if (c == 0xc2 && d < 0xa0) return 0;  // C1 control characters (U+0080..U+009F)
  return n;
}

// The code point of the UTF-8 sequence of `n` bytes at `s[i]` when it is one that changes
// how a line reads without being seen, else 0: a bidirectional formatting character
// (U+061C, U+200E/F, U+202A..U+202E, U+2066..U+2069: on a terminal that reorders text it
// makes a line read other than it is, breakS S3, the "Trojan Source" kind), or any other
// Default_Ignorable_Code_Point of Unicode (DerivedCoreProperties.txt, Unicode 15: zero-width
// spaces and joiners, U+00AD, U+FEFF, variation selectors, Hangul fillers, tag characters:
// invisible text that makes two names look the same, breakW W6, breakX X8), or a
// noncharacter (breakHH HH2). Shown escaped like a control character.
unsigned HiddenChar(std::string_view s, size_t i, size_t n) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  unsigned cp = n == 2   ? ((b(0) & 0x1fu) << 6) | (b(1) & 0x3fu)
                : n == 3 ? ((b(0) & 0x0fu) << 12) | ((b(1) & 0x3fu) << 6) | (b(2) & 0x3fu)
                : n == 4 ? ((b(0) & 0x07u) << 18) | ((b(1) & 0x3fu) << 12) | ((b(2) & 0x3fu) << 6) |
                               (b(3) & 0x3fu)
                         : 0;
  static constexpr std::pair<unsigned, unsigned> kIgnorable[] = {
      {0x00ad, 0x00ad},   {0x034f, 0x034f}, {0x061c, 0x061c},   {0x115f, 0x1160},
      {0x17b4, 0x17b5},   {0x180b, 0x180f}, {0x200b, 0x200f},   {0x202a, 0x202e},
      {0x2060, 0x206f},   {0x3164, 0x3164}, {0xfe00, 0xfe0f},   {0xfeff, 0xfeff},
      {0xffa0, 0xffa0},   {0xfff0, 0xfff8}, {0x1bca0, 0x1bca3}, {0x1d173, 0x1d17a},
      {0xe0000, 0xe0fff},
  };
  for (const auto& [first, last] : kIgnorable)
    if (cp >= first && cp <= last) return cp;
  // Noncharacters (U+FDD0..U+FDEF and the last two of each plane, U+FFFE/U+FFFF ...
  // U+10FFFE/U+10FFFF): not for interchange, and a renderer may refuse them whole (Cairo put
  // the PDF report's context in an error state: the rest of the report was not drawn,
  // breakHH HH2).
  if ((cp >= 0xfdd0 && cp <= 0xfdef) || (cp >= 0xfffe && (cp & 0xfffe) == 0xfffe)) return cp;
  return 0;
}

}  // namespace

std::string Printable(std::string_view name) {
  std::string out;
  for (size_t i = 0; i < name.size();) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += name[i++];
      continue;
    }
    size_t n = c < 0x80 ? 0 : Utf8Length(name, i);
    if (n == 0) {
      Hex(out, c);
      ++i;
      continue;
    }
    if (unsigned cp = HiddenChar(name, i, n); cp != 0) {
      char u[16];
      std::snprintf(u, sizeof u, cp > 0xffff ? "\\U%08x" : "\\u%04x", cp);
      out += u;
    } else {
      out.append(name, i, n);
    }
    i += n;
  }
  return out;
}

std::string EscapeBidi(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size();) {
    size_t n = static_cast<unsigned char>(text[i]) < 0x80 ? 0 : Utf8Length(text, i);
    if (unsigned cp = n > 0 ? HiddenChar(text, i, n) : 0; cp != 0) {
      char u[16];
      std::snprintf(u, sizeof u, cp > 0xffff ? "\\U%08x" : "\\u%04x", cp);
      out += u;
      i += n;
    } else {
      out += text[i++];
    }
  }
  return out;
}

bool HasBidi(std::string_view text) { return EscapeBidi(text).size() != text.size(); }

std::string EscapeHiddenJson(std::string_view json) {
  std::string out;
  out.reserve(json.size());
  for (size_t i = 0; i < json.size();) {
    size_t n = static_cast<unsigned char>(json[i]) < 0x80 ? 0 : Utf8Length(json, i);
    unsigned cp = n > 0 ? HiddenChar(json, i, n) : 0;
    if (cp == 0) {
      out += json[i++];
      continue;
    }
    char u[16];
    if (cp > 0xffff) {  // JSON has only \uXXXX: a UTF-16 surrogate pair (RFC 8259, 7)
      unsigned v = cp - 0x10000;
      std::snprintf(u, sizeof u, "\\u%04x\\u%04x", 0xd800 + (v >> 10), 0xdc00 + (v & 0x3ff));
    } else {
      std::snprintf(u, sizeof u, "\\u%04x", cp);
    }
    out += u;
    i += n;
  }
  return out;
}

bool IsLowerName(std::string_view text, bool underscore) {
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (text.empty() || !alnum(text[0])) return false;
  for (char c : text.substr(1)) {
    if (!alnum(c) && c != '-' && !(underscore && c == '_')) return false;
  }
  return true;
}

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

std::string LastLines(std::string_view text, size_t lines) {
  size_t end = text.find_last_not_of('\n');
  if (end == std::string_view::npos || lines == 0) return "";
  size_t pos = ++end;
  for (size_t n = 0; n < lines; ++n) {
    size_t nl = pos == 0 ? std::string_view::npos : text.rfind('\n', pos - 1);
    if (nl == std::string_view::npos) return std::string(text.substr(0, end));
    pos = nl;
  }
  return std::string(text.substr(pos + 1, end - pos - 1));
}

size_t Utf8CutAt(std::string_view text, size_t max) {
  if (text.size() <= max) return text.size();
  size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return cut;
}

std::string Trim(std::string_view text) {
  size_t b = text.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return "";
  size_t e = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(b, e - b + 1));
}

std::string AsciiLower(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string AsciiUpper(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

std::string ShellQuote(std::string_view word) {
  auto plain = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("_./:=@%+,-").find(c) != std::string_view::npos;
  };
  bool safe = !word.empty(), control = false;
  for (char c : word) {
    safe = safe && plain(c);
    unsigned char u = static_cast<unsigned char>(c);
    control = control || u < 0x20 || u == 0x7f;
  }
  if (safe) return std::string(word);
  // Bytes that are no UTF-8 would reach the terminal raw (a mojibake line that a paste may
  // not carry over intact): written as \xNN too, every byte from 0x80 on.
  bool raw_bytes = FindInvalidUtf8(word) != std::string_view::npos;
  // A bidi formatting character would reorder the printed line (breakT T7): its bytes go as
  // \xNN too, and the line still runs as printed.
  // So would a C1 control character (valid UTF-8, but 8-bit CSI and its kin: breakU U4).
  bool bidi = HasBidi(word) || (!raw_bytes && Printable(word) != word);
  if (control || raw_bytes || bidi) {  // $'...': the one quoting in which any byte can be written
    std::string out = "$'";
    char buf[8];
    for (char c : word) {
      unsigned char u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7f || ((raw_bytes || bidi) && u >= 0x80)) {
        std::snprintf(buf, sizeof buf, "\\x%02x", u);
        out += buf;
      } else if (c == '\'' || c == '\\') {
        out += '\\';
        out += c;
      } else {
        out += c;
      }
    }
    return out + "'";
  }
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string CountOf(int64_t n, std::string_view noun) {
  return std::to_string(n) + " " + std::string(noun) + (n == 1 ? "" : "s");
}

std::string OctalMode(unsigned mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", mode & 07777u);
  return text;
}

std::string HumanBytes(uint64_t bytes) {
  static const char* const kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (bytes < 1024) return std::to_string(bytes) + " B";
  double v = static_cast<double>(bytes) / 1024;
  size_t u = 0;
  for (; v >= 1024 && u + 1 < std::size(kUnits); ++u) v /= 1024;
  char buf[32];
  std::snprintf(buf, sizeof buf,
                v < 10    ? "%.2f %s"
                : v < 100 ? "%.1f %s"
                          : "%.0f %s",
                v, kUnits[u]);
  return buf;
}

std::string PrintableLines(std::string_view text) {
  std::string out;
  size_t start = 0;
  for (size_t nl; (nl = text.find('\n', start)) != std::string_view::npos; start = nl + 1)
    out += Printable(text.substr(start, nl - start)) + "\n";
  return out + Printable(text.substr(start));
}

}  // namespace runbook
