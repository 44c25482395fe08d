// Small string helpers shared by the engine and the steps: closest-name suggestions,
// joining, UTF-8 validation, printable names, the last lines of an output. Pure functions;
// thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace runbook {

// Edit distance (insertions, deletions, substitutions, adjacent transpositions).
size_t EditDistance(std::string_view a, std::string_view b);

// The candidate closest to `name` if it is close enough to be a plausible typo, else "";
// also "" once the thread's SuggestionBudget is spent.
std::string ClosestName(std::string_view name, const std::vector<std::string>& candidates);

// While one lives, the ClosestName calls of its thread share `cells` of edit-distance work
// (a comparison of names of lengths a and b costs a*b); past it they suggest nothing. One per
// runbook load (engine/loader.cpp): a file of thousands of unknown names, each compared with
// thousands of declared ones, took minutes to check (break25a #2); the first mistakes keep
// their "did you mean". A budget made while another lives is part of the outer one.
class SuggestionBudget {
 public:
  explicit SuggestionBudget(uint64_t cells = 20'000'000);
  ~SuggestionBudget();
  SuggestionBudget(const SuggestionBudget&) = delete;
  SuggestionBudget& operator=(const SuggestionBudget&) = delete;

 private:
  bool outer_;
};

std::string Join(const std::vector<std::string>& parts, std::string_view separator);

// Offset of the first invalid UTF-8 sequence, or npos when the text is valid.
size_t FindInvalidUtf8(std::string_view text);

// The one form in which a name from outside (a key, a path, a link target, a runbook's own
// text) reaches a message, a log or the audit store: control characters (C0, DEL, C1) and
// bytes that are not UTF-8 are shown as \xNN, so a hostile name can neither start a forged
// line nor send a terminal escape; characters that change how a line reads without being
// seen (bidi formatting, and every other Default_Ignorable_Code_Point of Unicode: zero-width
// spaces, U+FEFF, U+00AD, variation selectors, tag characters) as \uXXXX or \UXXXXXXXX, so
// two names that look the same are told apart (breakW W6); a noncharacter (U+FDD0..U+FDEF,
// U+xxFFFE/U+xxFFFF: breakHH HH2) too. Other valid UTF-8 is kept as it is. Callers add their
// own quotes.
std::string Printable(std::string_view name);

// `text` with only its invisible characters (the ones Printable writes as \uXXXX: bidi
// formatting and the other Default_Ignorable_Code_Points) escaped; control characters and
// everything else as they are. For a sink that also carries terminal control sequences of
// its own (the CLI's stderr, cli/bidi_stderr.h).
std::string EscapeBidi(std::string_view text);
bool HasBidi(std::string_view text);
// JSON text (as ToJson writes it) with those same invisible characters written as \uXXXX
// escapes (a surrogate pair past U+FFFF): the same JSON value, but what a person pages
// through shows them (breakY Y7). For JSON that leaves runbook for people and tools, not for
// canonical text that is hashed or signed.
std::string EscapeHiddenJson(std::string_view json);

// `text` with each of its lines Printable and the newlines kept: a note, a prompt, a message
// of several lines shown to people with no control character reaching the terminal.
std::string PrintableLines(std::string_view text);

// `word` as one shell word: unchanged when it holds only [A-Za-z0-9_./:=@%+,-] and is not
// empty; with a control character (C0, DEL) or bytes that are not UTF-8 (then every byte
// from 0x80 on is escaped; also with a bidi formatting character, breakT T7) in ANSI-C quotes,
// $'...' with \xNN and with the quote and the backslash escaped (bash, zsh, ksh; POSIX 2024 sh), so
// the line runs as printed and writes no control character to a terminal (breakK K5); else in
// single quotes (a ' inside as
// '\''). For command lines printed for people to paste.
std::string ShellQuote(std::string_view word);

// [a-z0-9][a-z0-9-]* (and '_' after the first character when `underscore`).
bool IsLowerName(std::string_view text, bool underscore);

bool StartsWith(std::string_view text, std::string_view prefix);
bool EndsWith(std::string_view text, std::string_view suffix);
std::string Trim(std::string_view text);
// `text` with A-Z as a-z; other bytes as they are (no locale: hosts, schemes, hex, keywords).
std::string AsciiLower(std::string_view text);
// `text` with a-z as A-Z; other bytes as they are (SQL keywords, hex, variable names).
std::string AsciiUpper(std::string_view text);
// A size for people, in IEC units as ls -h and rsync --progress give them: "812 B",
// "3.4 KiB", "412 MiB", "1.21 GiB" (three significant digits from KiB up).
std::string HumanBytes(uint64_t bytes);
// A file's mode bits (permissions, setuid, setgid, sticky) as ls and chmod write them in
// octal: "0644", "1777".
std::string OctalMode(unsigned mode);
// A count with its noun, plural when it is not 1 (English "s"): "1 table", "3 tables".
std::string CountOf(int64_t n, std::string_view noun);
// The last `lines` lines of `text`; newlines at its end do not count as lines.
std::string LastLines(std::string_view text, size_t lines);
// The length of the longest prefix of `text` of at most `max` bytes that does not end inside
// a UTF-8 sequence (`text.size()` when it is no longer than `max`).
size_t Utf8CutAt(std::string_view text, size_t max);

}  // namespace runbook
