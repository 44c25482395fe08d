// The forms a secret takes in text, as patterns matched in one pass each. A pattern is a
// sequence of tokens; a token is one character of the secret (or one byte, or one literal
// piece) with the spellings it may have in text: itself, percent-encoded in either case,
// `+` for a space (form encoding), HTML/XML character references (`&amp;`, `&#39;`,
// `&#x27;`), JSON string escapes (`\"`, `\\`, `\/`, `\n`, `\u00e4`
// or `\u00E4`, surrogate pairs), quoting (a shell's `\$`, `'\''` for a single quote, SQL's
// and CSV's doubled quotes). So one pattern matches every mix of these encoders'
// choices. Hex (either case) and base64 (standard and URL-safe, any padding, at any
// alignment inside a longer base64 text) are patterns of their own, which also match across
// line breaks (wrapped output). Internal to the Redactor (engine/redact.h).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace runbook {

class SecretPattern {
 public:
  // The plain text with its percent, form and JSON spellings.
  static SecretPattern Textual(const std::string& secret);
  // Lower- or upper-case hex of the secret's bytes, wrapped (a line break between bytes) or not.
  static SecretPattern Hex(const std::string& secret);
  // A literal, character by character, wrapped (a line break between any two) or not: a
  // base64 core.
  static SecretPattern Wrapped(const std::string& text);

  // The end of the longest match starting at `at`, or npos.
  size_t MatchAt(std::string_view text, size_t at) const;
  // The end of a match of tokens [first, size) starting at `at` where the text may begin
  // inside the spelling of token first-1; npos when none.
  size_t MatchTailAt(std::string_view text, size_t first) const;
  // True when text[at..] is a proper beginning of a match (the text ends inside it).
  bool PrefixAt(std::string_view text, size_t at) const;
  // Could a match start with this byte?
  bool CanStart(unsigned char c) const { return starts_[c]; }
  size_t tokens() const { return tokens_.size(); }
  // The longest text a match can be, in bytes.
  size_t longest() const { return longest_; }
  bool operator==(const SecretPattern& o) const { return tokens_ == o.tokens_; }

 private:
  using Token = std::vector<std::string>;  // the spellings of one piece
  void Push(Token t);
  // Text positions reachable after tokens [first, last) from each of `from`.
  std::vector<size_t> Advance(std::string_view text, std::vector<size_t> from, size_t first,
                              size_t last, bool* ran_off_end) const;

  std::vector<Token> tokens_;
  bool starts_[256] = {};
  size_t longest_ = 0;
};

}  // namespace runbook
