#include "engine/redact_layers.h"

namespace runbook {
namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The value of 4 hex digits at text[at..], or -1.
long Hex4(std::string_view text, size_t at) {
  if (at + 4 > text.size()) return -1;
  long v = 0;
  for (size_t k = 0; k < 4; ++k) {
    int d = HexDigit(text[at + k]);
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

void Put(DecodedView& v, std::string_view bytes, size_t from, size_t to) {
  for (char c : bytes) {
    v.text.push_back(c);
    v.from.push_back(from);
    v.to.push_back(to);
  }
}

std::string Utf8(long cp) {
  std::string out;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return out;
}

// The JSON escape at text[at] ('\\'): what it stands for and its length; length 0 when it
// is none.
std::pair<std::string, size_t> JsonEscape(std::string_view text, size_t at) {
  if (at + 1 >= text.size()) return {"", 0};
  switch (text[at + 1]) {
    case '"':
    case '\\':
    case '/':
      return {std::string(1, text[at + 1]), 2};
    case 'b':
      return {"\b", 2};
    case 'f':
      return {"\f", 2};
    case 'n':
      return {"\n", 2};
    case 'r':
      return {"\r", 2};
    case 't':
      return {"\t", 2};
    case 'u': {
      long unit = Hex4(text, at + 2);
      if (unit < 0) return {"", 0};
      if (unit >= 0xD800 && unit < 0xDC00 && at + 12 <= text.size() && text[at + 6] == '\\' &&
          text[at + 7] == 'u') {
        long low = Hex4(text, at + 8);
        if (low >= 0xDC00 && low < 0xE000)
          return {Utf8(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)), 12};
      }
      return {Utf8(unit), 6};
    }
    default:
      return {"", 0};
  }
}

// `text` with each escape `escape_at` finds at a `trigger` byte (what it stands for and its
// length; length 0: none there) decoded; nullopt when it holds none.
template <typename EscapeAt>
std::optional<DecodedView> Decode(std::string_view text, char trigger, EscapeAt escape_at) {
  if (text.find(trigger) == std::string_view::npos) return std::nullopt;
  DecodedView v;
  bool decoded = false;
  for (size_t i = 0; i < text.size();) {
    auto [bytes, length] =
        text[i] == trigger ? escape_at(text, i) : std::pair<std::string, size_t>{};
    if (length == 0) {
      bytes = std::string(1, text[i]);
      length = 1;
    } else {
      decoded = true;
    }
    Put(v, bytes, i, i + length);
    i += length;
  }
  if (!decoded) return std::nullopt;
  return v;
}

// The `%XX` escape at text[at] ('%'): its byte and length 3; length 0 when it is none.
std::pair<std::string, size_t> PercentEscape(std::string_view text, size_t at) {
  int hi = at + 2 < text.size() ? HexDigit(text[at + 1]) : -1;
  int lo = hi >= 0 ? HexDigit(text[at + 2]) : -1;
  if (lo < 0) return {"", 0};
  return {std::string(1, static_cast<char>(hi * 16 + lo)), 3};
}

}  // namespace

std::optional<DecodedView> PercentDecoded(std::string_view text) {
  return Decode(text, '%', PercentEscape);
}

std::optional<DecodedView> JsonUnescaped(std::string_view text) {
  return Decode(text, '\\', JsonEscape);
}

size_t PartialEscapeAtEnd(std::string_view text) {
  const size_t n = text.size();
  if (n >= 1 && text[n - 1] == '%') return 1;
  if (n >= 2 && text[n - 2] == '%' && HexDigit(text[n - 1]) >= 0) return 2;
  for (size_t k = 0; k <= 3 && k + 2 <= n; ++k) {  // `\u` and up to 3 hex digits
    size_t at = n - k - 2;
    bool hex = true;
    for (size_t j = n - k; j < n; ++j) hex = hex && HexDigit(text[j]) >= 0;
    if (hex && text[at] == '\\' && text[at + 1] == 'u') return k + 2;
  }
  if (n >= 1 && text[n - 1] == '\\') return 1;
  return 0;
}

}  // namespace runbook
