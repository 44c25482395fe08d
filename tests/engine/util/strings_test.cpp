// engine/util/strings: the last lines of an output (exec errors, service logs, show).
#include "engine/util/strings.h"

#include <catch2/catch.hpp>
#include <cstdio>
#include <string>

using namespace runbook;

TEST_CASE("LastLines keeps the last n lines, trailing newlines are not lines", "[util]") {
  CHECK(LastLines("a\nb\nc\n", 2) == "b\nc");
  CHECK(LastLines("a\nb\nc", 2) == "b\nc");
  CHECK(LastLines("a\nb\nc\n\n\n", 2) == "b\nc");
  CHECK(LastLines("a\n\nc", 2) == "\nc");  // blank lines inside count
  CHECK(LastLines("only", 5) == "only");
  CHECK(LastLines("a\nb\n", 5) == "a\nb");
  CHECK(LastLines("\n\n", 3).empty());
  CHECK(LastLines("", 3).empty());
  CHECK(LastLines("a\nb", 0).empty());
}

namespace {

// What `line` prints through popen's /bin/sh.
std::string PrintedBy(const std::string& line) {
  FILE* sh = popen(line.c_str(), "r");
  REQUIRE(sh != nullptr);
  char buf[256] = {};
  size_t n = fread(buf, 1, sizeof buf - 1, sh);
  pclose(sh);
  return std::string(buf, n);
}

}  // namespace

TEST_CASE("ShellQuote gives one shell word that the shell reads back as it was",
          "[util][strings]") {
  CHECK(ShellQuote("/var/lib/runbook/audit.db") == "/var/lib/runbook/audit.db");
  CHECK(ShellQuote("") == "''");
  CHECK(ShellQuote("my store.db") == "'my store.db'");
  for (std::string word : {"it's here", "$HOME/`x`;rm -rf /", "a\"b\\c", "*?[x]", "-n"}) {
    CHECK(PrintedBy("printf %s " + ShellQuote(word)) == word);
  }
}

TEST_CASE(
    "ShellQuote escapes control characters and bytes that are not UTF-8, and bash reads "
    "them back",
    "[util][strings]") {
  // Valid UTF-8 stays as it is, in single quotes.
  CHECK(ShellQuote("café store") == "'café store'");
  // breakT T7: a bidi formatting character too (it would reorder the printed line).
  for (std::string word : {std::string("a\x1b]0;x\x07q"), std::string("caf\xe9 it's"),
                           std::string("\xff\xfe\\"), std::string("caf\xc3\xa9\x80\n"),
                           std::string("/tmp/dir\xe2\x80\xae"
                                       "evil/audit.db"),
                           std::string("x\xe2\x81\xa6y caf\xc3\xa9"),
                           std::string("a\xc2\x9b[2Jq")}) {  // C1 CSI (breakU U4)
    std::string quoted = ShellQuote(word);
    CAPTURE(quoted);
    for (char c : quoted) {
      unsigned char u = static_cast<unsigned char>(c);
      CHECK((u >= 0x20 && u < 0x7f));  // nothing raw reaches the terminal
    }
    // The line is quoted again for popen's sh (dash has no $'...'); bash reads the word.
    CHECK(PrintedBy("bash -c " + ShellQuote("printf %s " + quoted)) == word);
  }
}

// breakS S3: bidi overrides passed the terminal's escaper raw, so a param could make an
// approval question read other than it is on a terminal that reorders text. They are shown
// escaped like control characters; other non-ASCII text stays as it is.
TEST_CASE("EscapeBidi escapes only bidirectional formatting characters", "[strings]") {
  CHECK(EscapeBidi("\x1b[1mswap \xe2\x80\xae"
                   "dorp\n\xd8\x9c caf\xc3\xa9") == "\x1b[1mswap \\u202edorp\n\\u061c caf\xc3\xa9");
  CHECK(EscapeBidi("\xe2\x80") == "\xe2\x80");  // a cut sequence passes as it is
  CHECK(HasBidi("a\xe2\x81\xa9"));
  CHECK_FALSE(HasBidi("caf\xc3\xa9"));
}

TEST_CASE("Printable escapes Unicode tag characters (breakV V6: archive tools drop them)",
          "[strings]") {
  CHECK(Printable("report\xf3\xa0\x81\x81.txt") == "report\\U000e0041.txt");
  CHECK(Printable("emoji \xf0\x9f\x98\x80") == "emoji \xf0\x9f\x98\x80");  // kept
}

// breakW W6, breakX X8: zero-width and other invisible characters were printed raw and
// accepted as archive member names: "db\u200b.sqlite" looked like "db.sqlite". Every
// Default_Ignorable_Code_Point of Unicode is escaped; visible text next to it stays.
TEST_CASE("Printable escapes every invisible (default ignorable) character", "[strings]") {
  struct Case {
    const char* in;
    const char* out;
  };
  const Case cases[] = {
      {"db\xe2\x80\x8b.sqlite", "db\\u200b.sqlite"},  // ZERO WIDTH SPACE
      {"db\xe2\x81\xa0.sqlite", "db\\u2060.sqlite"},  // WORD JOINER
      {"\xef\xbb\xbf"
       "db",
       "\\ufeffdb"},                        // BOM
      {"re\xc2\xadport", "re\\u00adport"},  // SOFT HYPHEN
      {"a\xe1\xa0\x8e"
       "b",
       "a\\u180eb"},  // MONGOLIAN VOWEL SEPARATOR
      {"a\xcd\x8f"
       "b",
       "a\\u034fb"},  // COMBINING GRAPHEME JOINER
      {"a\xe3\x85\xa4"
       "b",
       "a\\u3164b"},                                        // HANGUL FILLER
      {"\xe2\x9d\xa4\xef\xb8\x8f", "\xe2\x9d\xa4\\ufe0f"},  // VARIATION SELECTOR-16
      {"x\xe2\x80\x8dy", "x\\u200dy"},                      // ZERO WIDTH JOINER
      {"x\xf0\x9d\x85\xb3y", "x\\U0001d173y"},              // MUSICAL SYMBOL BEGIN BEAM
  };
  for (const Case& c : cases) {
    CAPTURE(c.in);
    CHECK(Printable(c.in) == c.out);
    CHECK(HasBidi(c.in));
  }
  // Neighbours of the ranges are visible and stay.
  CHECK(Printable("\xe2\x80\x8a|\xe2\x80\x90|\xef\xb8\x90|\xc2\xac") ==
        "\xe2\x80\x8a|\xe2\x80\x90|\xef\xb8\x90|\xc2\xac");
}

// breakHH HH2: a noncharacter in a step's output stopped the PDF report's drawing there
// (Cairo refuses them); U+FFFE, U+FFFF, U+FDD0..U+FDEF and the last two code points of every
// plane are escaped, their neighbours kept.
TEST_CASE("Printable escapes Unicode noncharacters", "[strings]") {
  CHECK(Printable("x\xef\xbf\xbfy") == "x\\uffffy");          // U+FFFF
  CHECK(Printable("x\xef\xbf\xbey") == "x\\ufffey");          // U+FFFE
  CHECK(Printable("x\xef\xb7\x90y") == "x\\ufdd0y");          // U+FDD0
  CHECK(Printable("x\xef\xb7\xafy") == "x\\ufdefy");          // U+FDEF
  CHECK(Printable("x\xf0\x9f\xbf\xbey") == "x\\U0001fffey");  // U+1FFFE
  CHECK(Printable("x\xf4\x8f\xbf\xbfy") == "x\\U0010ffffy");  // U+10FFFF
  // Their neighbours are characters.
  for (const char* kept : {"\xef\xbf\xbd", "\xef\xb7\x8f", "\xef\xb7\xb0", "\xf4\x8f\xbf\xbd",
                           "\xf0\x9f\xbf\xbd", "\xee\x80\x80"}) {
    CAPTURE(kept);
    CHECK(Printable(kept) == kept);
  }
}

TEST_CASE("EscapeHiddenJson writes invisible characters as JSON escapes", "[strings]") {
  CHECK(EscapeHiddenJson("{\"k\": \"a\xe2\x80\x8b"
                         "b\"}") == "{\"k\": \"a\\u200bb\"}");
  CHECK(EscapeHiddenJson("\"\xf3\xa0\x81\x81\"") == "\"\\udb40\\udc41\"");  // U+E0041
  CHECK(EscapeHiddenJson("\"caf\xc3\xa9 \xe2\x82\xac\"") == "\"caf\xc3\xa9 \xe2\x82\xac\"");
}

TEST_CASE("Printable escapes bidirectional formatting characters", "[strings]") {
  CHECK(Printable("swap \xe2\x80\xae"
                  "dorp\xe2\x80\xac ok") == "swap \\u202edorp\\u202c ok");
  CHECK(Printable("a\xe2\x81\xa6"
                  "b\xe2\x81\xa9"
                  "c") == "a\\u2066b\\u2069c");
  CHECK(Printable("x\xe2\x80\x8fy\xd8\x9cz") == "x\\u200fy\\u061cz");
  CHECK(Printable("caf\xc3\xa9 \xe2\x82\xac \xe4\xb8\xad") ==
        "caf\xc3\xa9 \xe2\x82\xac \xe4\xb8\xad");
  CHECK(PrintableLines("l1\xe2\x80\xae\nl2") == "l1\\u202e\nl2");
}

TEST_CASE("CountOf says one thing and many things", "[strings]") {
  CHECK(CountOf(0, "table") == "0 tables");
  CHECK(CountOf(1, "table") == "1 table");
  CHECK(CountOf(2, "row") == "2 rows");
  CHECK(CountOf(-1, "row") == "-1 rows");
}
