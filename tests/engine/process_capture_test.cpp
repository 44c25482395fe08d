// The live view's lines, masked with their neighbours where a secret's form may go on across a
// line break (issue 13 #10: `base64` wraps at 76 columns, `xxd -p` at 60; each line masked
// alone showed the part of the form on the line after the break).
#include "engine/process_capture.h"

#include <catch2/catch.hpp>

#include "engine/redact.h"
#include "engine/util/crypto.h"
#include "support/support.h"

using namespace runbook;

namespace {

const std::string kWrappedSecret = "Zq9!x V/7-hunter2~s3cr";

// A capture of one stream whose lines are kept as the live view gets them.
struct Live {
  Redactor redactor;
  std::vector<std::string> lines;
  StreamCapture capture{1 << 20,
                        1 << 20,
                        [this](std::string_view line) { lines.emplace_back(line); },
                        [this](std::string text, unsigned edges) {
                          return redactor.ApplyCut(std::move(text), edges);
                        },
                        {[this](std::string_view text) { return redactor.FormBegunAtEnd(text); },
                         [this](std::string_view text, size_t begin, size_t end, unsigned edges) {
                           return redactor.ApplyPart(text, begin, end, edges);
                         }}};
  Live() { redactor.Add(kWrappedSecret); }
};

// `text` as `base64` or `xxd -p` print it: lines of `width` characters.
std::string Lines(const std::string& text, size_t width) {
  return runbook::test::WrapAt(text, width, "\n") + "\n";
}

std::string ShownText(const std::vector<std::string>& lines) {
  std::string all;
  for (const std::string& l : lines) all += l + "\n";
  return all;
}

}  // namespace

TEST_CASE("a secret's base64 or hex wrapped across lines is masked on both lines of the live view",
          "[redact][capture]") {
  const std::string b64 = Base64Encode(kWrappedSecret), hex = HexEncode(kWrappedSecret);
  struct Case {
    std::string name, text, first, second;  // pieces before and after the line break
  };
  // 51 bytes before the secret: its base64 starts at column 68, the line breaks 8 in. 20
  // bytes before it in hex: the break at 60 is 20 hex digits in.
  const std::vector<Case> cases = {
      {"base64 -w 76", Lines(Base64Encode(std::string(51, 'x') + kWrappedSecret + "tail"), 76),
       b64.substr(0, 6), b64.substr(10, 10)},
      {"base64, the break 2 characters in",
       Lines(Base64Encode(std::string(55, 'x') + kWrappedSecret + "tail"), 76), b64.substr(0, 2),
       b64.substr(4, 12)},
      {"xxd -p", Lines(HexEncode(std::string(20, 'y') + kWrappedSecret), 60), hex.substr(0, 16),
       hex.substr(22, 16)},
  };
  for (const Case& c : cases) {
    INFO(c.name << ":\n" << c.text);
    Live live;
    live.capture.Append("before\n" + c.text + "after\n");
    live.capture.Finish();
    const std::string all = ShownText(live.lines);
    INFO("shown:\n" << all);
    if (c.first.size() >= kMinCutFragment) CHECK(all.find(c.first) == std::string::npos);
    CHECK(all.find(c.second) == std::string::npos);
    CHECK(all.find(kMask) != std::string::npos);
    CHECK(live.lines.front() == "before");
    CHECK(live.lines.back() == "after");
  }
}

TEST_CASE("a line is held for the next only when its end may begin a wrapped form",
          "[redact][capture]") {
  const std::string b64 = Base64Encode(kWrappedSecret);
  Live live;
  live.capture.Append("ordinary line 1687\n");
  REQUIRE(live.lines.size() == 1);  // shown at once, as it is
  CHECK(live.lines[0] == "ordinary line 1687");
  // Its end begins the secret's base64 (8 characters): held until the next line comes.
  live.capture.Append("key " + b64.substr(0, 8) + "\n");
  CHECK(live.lines.size() == 1);
  live.capture.Append(b64.substr(8) + " rest\n");
  REQUIRE(live.lines.size() == 3);
  CHECK(live.lines[1] == "key ***");
  // The last characters mix in padding bits: no part of the core (Base64Cores) is left.
  CHECK(live.lines[2].rfind("***", 0) == 0);
  CHECK(live.lines[2].substr(live.lines[2].size() - 5) == " rest");
  CHECK(live.lines[2].find(b64.substr(8, 12)) == std::string::npos);
  CHECK(live.lines[2].size() <= std::string("***g== rest").size());
  // The next line did not go on with it: shown whole, and the line after it is no context.
  live.capture.Append("key " + b64.substr(0, 8) + "\n");
  live.capture.Append("plain words\n");
  REQUIRE(live.lines.size() == 5);
  CHECK(live.lines[3] == "key " + b64.substr(0, 8));
  CHECK(live.lines[4] == "plain words");
  // A held line is shown when the stream ends.
  live.capture.Append("last " + b64.substr(0, 8) + "\n");
  CHECK(live.lines.size() == 5);
  live.capture.Finish();
  REQUIRE(live.lines.size() == 6);
  CHECK(live.lines[5] == "last " + b64.substr(0, 8));
}

TEST_CASE("a line after one whose end may begin a form is shown alone, context dropped",
          "[redact][capture]") {
  // Two characters of the base64 at the end: too few to hold the line, enough to give the
  // next one its context; what the next shows is its own text only.
  const std::string b64 = Base64Encode(kWrappedSecret);
  Live live;
  live.capture.Append("x " + b64.substr(0, 2) + "\nnothing here\n");
  live.capture.Finish();
  REQUIRE(live.lines.size() == 2);
  CHECK(live.lines[0] == "x " + b64.substr(0, 2));
  CHECK(live.lines[1] == "nothing here");
}

TEST_CASE("a wrapped form that goes on into a line longer than 4 KiB is masked on both sides",
          "[redact][capture]") {
  const std::string b64 = Base64Encode(kWrappedSecret);
  Live live;
  live.capture.Append("key " + b64.substr(0, 8) + "\n" + b64.substr(8) + std::string(5000, '.') +
                      "\n");
  live.capture.Finish();
  const std::string all = ShownText(live.lines);
  CHECK(all.find(b64.substr(0, 6)) == std::string::npos);
  CHECK(all.find(b64.substr(10, 10)) == std::string::npos);
  REQUIRE(live.lines.size() == 3);  // the held line, then the long one in two pieces
  CHECK(live.lines[0] == "key ***");
}

TEST_CASE("a secret's hex or base64 wrapped over three lines or more is masked on every line",
          "[redact][capture]") {
  // break27a #1: the live view looked at one neighbouring line; a form over 3 lines (`xxd -p`
  // of a 75-character token, `openssl base64` of a 104-character one) was shown whole. Also
  // hex broken between a byte's two digits (an odd column: break27a's sweep of widths 1-16).
  const std::string token(
      "ghp_R8x2Kq7LmN4vB9sD1fG6hJ3kZ0pQwErTyUiOaSdFgHjKlZxCvBnM1234567890abcdefXYZ1234567890"
      "abcdefghij");
  struct Case {
    std::string name, text;
  };
  const std::vector<Case> cases = {
      {"xxd -p", Lines(HexEncode(token), 60)},
      {"openssl base64", Lines(Base64Encode(token), 64)},
      {"base64 -w 76, CRLF", runbook::test::WrapAt(Base64Encode(token), 76, "\r\n") + "\r\n"},
      {"hex at 7 columns", Lines(HexEncode(token), 7)},
      {"base64 at 1 column", Lines(Base64Encode(token), 1)},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    Live live;
    live.redactor.Add(token);
    live.capture.Append("before\n" + c.text + "after\n");
    live.capture.Finish();
    const std::string all = ShownText(live.lines);
    INFO("shown:\n" << all);
    // No 4 characters of the encoding are left on any line: a line holds *** or nothing else.
    for (size_t k = 1; k + 1 < live.lines.size(); ++k) {
      std::string rest = live.lines[k];
      for (size_t at; (at = rest.find(kMask)) != std::string::npos;) rest.erase(at, 3);
      if (!rest.empty() && rest.back() == '\r') rest.pop_back();
      CHECK(rest.size() <= 3);
    }
    CHECK(live.lines.front() == "before");
    CHECK(live.lines.back() == "after");
  }
}

TEST_CASE("a line held for what may complete a form is shown after a quiet second",
          "[redact][capture]") {
  // break27a #12: `echo "copied 313"; sleep 10` with a secret whose hex begins 313 showed the
  // line only when the step ended.
  std::vector<std::string> shown;
  Redactor r;
  r.Add("1234567890abcdef");
  LiveLines live([&](std::string_view line) { shown.emplace_back(line); },
                 {[&](std::string_view t) { return r.FormBegunAtEnd(t); },
                  [&](std::string_view t, size_t b, size_t e, unsigned edges) {
                    return r.ApplyPart(t, b, e, edges);
                  }});
  const auto t0 = LiveLines::Steady::now();
  live.Add("copied 313", true, t0);
  CHECK(shown.empty());  // its end may begin the secret's hex
  live.FlushIfQuiet(t0 + kQuietFlush / 2);
  CHECK(shown.empty());
  live.FlushIfQuiet(t0 + kQuietFlush);
  REQUIRE(shown.size() == 1);
  CHECK(shown[0] == "copied 313");
  // What completes it later is still masked: the start shown is kept as context.
  live.Add("23334353637383930616263646566 tail", true, t0 + 2 * kQuietFlush);
  REQUIRE(shown.size() == 2);
  CHECK(shown[1] == "*** tail");
}
