#include "engine/redact_pattern.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace runbook {
namespace {

std::string Hex2(unsigned char b, bool upper) {
  char buf[3];
  std::snprintf(buf, sizeof buf, upper ? "%02X" : "%02x", b);
  return buf;
}

std::string Percent(std::string_view bytes, bool upper) {
  std::string out;
  for (unsigned char b : bytes) out += "%" + Hex2(b, upper);
  return out;
}

// The code point at s[i] and its length in bytes; an invalid sequence is one byte, -1.
std::pair<long, size_t> DecodeUtf8(const std::string& s, size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (n == 0 || i + n > s.size()) return {-1, 1};
  long cp = n == 1 ? c : c & (0x7F >> n);
  for (size_t k = 1; k < n; ++k) {
    auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc >> 6) != 2) return {-1, 1};
    cp = (cp << 6) | (cc & 0x3F);
  }
  return {cp, n};
}

std::string JsonU(long unit, bool upper) {
  char buf[7];
  std::snprintf(buf, sizeof buf, upper ? "\\u%04lX" : "\\u%04lx", unit);
  return buf;
}

// `\uXXXX` spellings of a code point (a surrogate pair above U+FFFF), both cases.
std::vector<std::string> JsonUnicode(long cp) {
  std::vector<std::string> out;
  for (bool upper : {false, true}) {
    if (cp <= 0xFFFF) {
      out.push_back(JsonU(cp, upper));
    } else {
      long v = cp - 0x10000;
      out.push_back(JsonU(0xD800 + (v >> 10), upper) + JsonU(0xDC00 + (v & 0x3FF), upper));
    }
  }
  return out;
}

// The short JSON escape of a character, or "".
std::string JsonShort(long cp) {
  switch (cp) {
    case '"':
      return "\\\"";
    case '\\':
      return "\\\\";
    case '/':
      return "\\/";
    case '\b':
      return "\\b";
    case '\f':
      return "\\f";
    case '\n':
      return "\\n";
    case '\r':
      return "\\r";
    case '\t':
      return "\\t";
    default:
      return "";
  }
}

// HTML/XML character references of a code point: the named ones XML and HTML escapers
// write, and the numeric ones, decimal and hex in either case, zero-padded to any width up to
// 7 digits (PHP's `&#039;`, `&#x0027;`, `&#0000039;`: break23a A3 found 3- and 4-digit hex and
// 4-digit decimal unmasked; HTML allows any number of zeros, encoders pad to a fixed width).
std::vector<std::string> HtmlEntities(long cp) {
  std::vector<std::string> out;
  switch (cp) {
    case '&':
      out = {"&amp;"};
      break;
    case '<':
      out = {"&lt;"};
      break;
    case '>':
      out = {"&gt;"};
      break;
    case '"':
      out = {"&quot;"};
      break;
    case '\'':
      out = {"&apos;"};
      break;
  }
  char buf[32];
  for (int width = 1; width <= 7; ++width) {
    for (const char* f : {"&#%0*ld;", "&#x%0*lx;", "&#x%0*lX;", "&#X%0*lx;", "&#X%0*lX;"}) {
      std::snprintf(buf, sizeof buf, f, width, cp);
      out.push_back(buf);
    }
  }
  return out;  // repeats (a width below the number's own) are dropped by Push
}

// How quoting writes a character (ASCII punctuation): a shell's backslash (bash's
// `printf %q`, a double-quoted string's `\"` and `\$`); a single quote closed, escaped
// and reopened as POSIX shells' `set -x` and Python's shlex.quote write it inside single
// quotes (`'\''`, `'"'"'`); a quote doubled as SQL literals and CSV fields write it (`''`,
// `""`).
std::vector<std::string> Quoted(long cp) {
  if (cp > 0x7E || cp < 0x20 || std::isalnum(static_cast<unsigned char>(cp))) return {};
  const char c = static_cast<char>(cp);
  std::vector<std::string> out{std::string{'\\', c}};
  if (c == '\'') out.insert(out.end(), {"''", "'\\''", "'\"'\"'"});
  if (c == '"') out.push_back("\"\"");
  return out;
}

// A token's spellings also with a line break before each (`\n`, `\r\n`): tools wrap base64
// (`base64` and MIME at 76 columns, PEM at 64) and hex (`xxd -p` at 60) at any column (hex
// also between a byte's two digits, at an odd column).
void AddLineBreaks(std::vector<std::string>& spellings) {
  const size_t n = spellings.size();
  for (size_t k = 0; k < n; ++k) {
    spellings.push_back("\n" + spellings[k]);
    spellings.push_back("\r\n" + spellings[k]);
  }
}

}  // namespace

void SecretPattern::Push(Token t) {
  std::sort(t.begin(), t.end());
  t.erase(std::unique(t.begin(), t.end()), t.end());
  if (tokens_.empty())
    for (const std::string& s : t) starts_[static_cast<unsigned char>(s[0])] = true;
  size_t longest = 0;
  for (const std::string& s : t) longest = std::max(longest, s.size());
  longest_ += longest;
  tokens_.push_back(std::move(t));
}

SecretPattern SecretPattern::Textual(const std::string& secret) {
  SecretPattern p;
  for (size_t i = 0; i < secret.size();) {
    auto [cp, n] = DecodeUtf8(secret, i);
    std::string raw = secret.substr(i, n);
    Token t{raw, Percent(raw, true), Percent(raw, false)};
    if (cp == ' ') t.push_back("+");
    if (std::string e = JsonShort(cp); !e.empty()) t.push_back(e);
    for (std::string& q : Quoted(cp)) t.push_back(std::move(q));
    if (cp >= 0) {
      for (std::string& u : JsonUnicode(cp)) t.push_back(std::move(u));
      for (std::string& h : HtmlEntities(cp)) t.push_back(std::move(h));
    }
    p.Push(std::move(t));
    i += n;
  }
  return p;
}

SecretPattern SecretPattern::Hex(const std::string& secret) {
  SecretPattern p;
  for (unsigned char b : secret) {
    Token t;
    for (bool upper : {false, true}) {  // a line may also break between a byte's two digits
      const std::string h = Hex2(b, upper);
      for (const char* mid : {"", "\n", "\r\n"}) t.push_back(h.substr(0, 1) + mid + h.substr(1));
    }
    if (!p.tokens_.empty()) AddLineBreaks(t);  // a match never starts with the break
    p.Push(std::move(t));
  }
  return p;
}

SecretPattern SecretPattern::Wrapped(const std::string& text) {
  SecretPattern p;
  for (char c : text) {
    Token t{std::string(1, c)};
    if (!p.tokens_.empty()) AddLineBreaks(t);
    p.Push(std::move(t));
  }
  return p;
}

std::vector<size_t> SecretPattern::Advance(std::string_view text, std::vector<size_t> from,
                                           size_t first, size_t last, bool* ran_off_end) const {
  for (size_t i = first; i < last && !from.empty(); ++i) {
    std::vector<size_t> next;
    for (size_t q : from) {
      if (q == text.size() && ran_off_end) *ran_off_end = true;
      for (const std::string& s : tokens_[i]) {
        std::string_view rest = text.substr(q);
        if (rest.size() >= s.size() && rest.compare(0, s.size(), s) == 0)
          next.push_back(q + s.size());
        else if (ran_off_end && !rest.empty() && rest.size() < s.size() &&
                 s.compare(0, rest.size(), rest) == 0)
          *ran_off_end = true;
      }
    }
    std::sort(next.begin(), next.end());
    next.erase(std::unique(next.begin(), next.end()), next.end());
    from = std::move(next);
  }
  return from;
}

size_t SecretPattern::MatchAt(std::string_view text, size_t at) const {
  if (tokens_.empty() || at >= text.size() || !CanStart(static_cast<unsigned char>(text[at])))
    return std::string::npos;
  auto ends = Advance(text, {at}, 0, tokens_.size(), nullptr);
  return ends.empty() ? std::string::npos : ends.back();
}

size_t SecretPattern::MatchTailAt(std::string_view text, size_t first) const {
  if (first == 0 || first > tokens_.size()) return std::string::npos;
  std::vector<size_t> starts{0};
  for (const std::string& s : tokens_[first - 1]) {  // the text may begin inside its spelling
    for (size_t k = 1; k < s.size(); ++k) {
      std::string_view tail = std::string_view(s).substr(k);
      if (text.size() >= tail.size() && text.compare(0, tail.size(), tail) == 0)
        starts.push_back(tail.size());
    }
  }
  std::sort(starts.begin(), starts.end());
  starts.erase(std::unique(starts.begin(), starts.end()), starts.end());
  auto ends = Advance(text, starts, first, tokens_.size(), nullptr);
  return ends.empty() ? std::string::npos : ends.back();
}

bool SecretPattern::PrefixAt(std::string_view text, size_t at) const {
  if (tokens_.empty() || at >= text.size() || !CanStart(static_cast<unsigned char>(text[at])))
    return false;
  bool off = false;
  Advance(text, {at}, 0, tokens_.size(), &off);
  return off;
}

}  // namespace runbook
