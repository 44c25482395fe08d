// The Redactor masks a secret in every form a tool may print it in, also when the text was
// cut through it, and in map keys.
#include "engine/redact.h"

#include <catch2/catch.hpp>

#include "engine/util/crypto.h"
#include "engine/util/strings.h"
#include "support/support.h"

using namespace runbook;
using runbook::test::WrapAt;

namespace {

const std::string kSecret = "p@ss w/\"q\\Zä-9+x~";

Redactor Of(const std::string& secret) {
  Redactor r;
  r.Add(secret);
  return r;
}

std::string Hex(const std::string& s, bool upper) {
  std::string out;
  for (unsigned char c : s) {
    char buf[3];
    std::snprintf(buf, sizeof buf, upper ? "%02X" : "%02x", c);
    out += buf;
  }
  return out;
}

}  // namespace

TEST_CASE("every encoding of a secret is masked inside longer text", "[redact]") {
  Redactor r = Of(kSecret);
  std::string b64 = Base64Encode("user:" + kSecret + ":tail");
  std::string url = b64;
  for (char& c : url) c = c == '+' ? '-' : c == '/' ? '_' : c;
  const std::vector<std::pair<std::string, std::string>> forms = {
      {"plain", kSecret},
      {"percent, upper", "p%40ss%20w%2F%22q%5CZ%C3%A4-9%2Bx~"},
      {"percent, lower", "p%40ss%20w%2f%22q%5cZ%c3%a4-9%2bx~"},
      {"percent, everything", "%70%40%73%73%20%77%2F%22%71%5C%5A%C3%A4%2D%39%2B%78%7E"},
      {"form", "p%40ss+w%2F%22q%5CZ%C3%A4-9%2Bx~"},
      {"JSON, minimal", "p@ss w/\\\"q\\\\Zä-9+x~"},
      {"JSON, escaped slash and \\u", "p@ss w\\/\\\"q\\\\Z\\u00e4-9+x~"},
      {"JSON, \\u upper", "p@ss w/\\\"q\\\\Z\\u00E4-9+x~"},
      {"hex, lower", Hex(kSecret, false)},
      {"hex, upper", Hex(kSecret, true)},
      {"base64 inside a Basic header", b64.substr(0, b64.size() - 4)},
      {"base64url", url},
  };
  for (const auto& [name, form] : forms) {
    INFO(name << ": " << form);
    std::string out = r.Apply("before " + form + " after");
    CHECK(out.find("***") != std::string::npos);
    CHECK(out.find("ss") == std::string::npos);  // nothing of the secret's middle is left
    CHECK(out.rfind("before ", 0) == 0);
  }
}

// break22 #1, #2: an encoding stacked on a form the patterns know (JSON sent through
// `curl --data-urlencode`, JSON in a JSON string, percent-encoding twice, a percent case per
// byte) was not masked.
TEST_CASE("a secret behind two layers of encoding is masked", "[redact]") {
  Redactor r = Of(kSecret);
  const std::string json = "p@ss w/\\\\\\\"q\\\\\\\\Zä-9+x~";  // JSON of the JSON form
  const std::vector<std::pair<std::string, std::string>> forms = {
      {"percent of JSON", "%7B%22k%22%3A%20%22p%40ss%20w%2F%5C%22q%5C%5CZ%C3%A4-9%2Bx~%22%7D"},
      {"form of JSON", "payload=%7B%22k%22%3A+%22p%40ss+w%2F%5C%22q%5C%5CZ%C3%A4-9%2Bx~%22%7D"},
      {"percent of JSON \\u", "p%40ss%20w%5C%2F%5C%22q%5C%5CZ%5Cu00e4-9%2Bx~"},
      {"JSON in JSON", "{\\\"k\\\": \\\"" + json + "\\\"}"},
      {"percent twice", "p%2540ss%2520w%252F%2522q%255CZ%25C3%25A4-9%252Bx~"},
      {"percent, case per byte", "p%40ss%20w%2F%22q%5CZ%C3%a4-9%2Bx~"},
      {"JSON of percent", "p%40ss%20w\\/%22q%5CZ%C3%A4-9%2Bx~"},
  };
  for (const auto& [name, form] : forms) {
    INFO(name << ": " << form);
    std::string out = r.Apply("before " + form + " after");
    CHECK(out.find("***") != std::string::npos);
    CHECK(out.find("ss") == std::string::npos);
    CHECK(out.rfind("before ", 0) == 0);
    CHECK(out.find(" after") == out.size() - 6);
  }
  // Decoding finds nothing in text that holds no secret: it is left as it is.
  const std::string other = "a%20b %ZZ \\u00e4 \\x %7B%22k%22%7D \\uD83D\\uDE00 %";
  CHECK(r.Apply(other) == other);
}

// break22c #1, #2: beside a cut (a 4 KiB line, the store's tail) a secret behind two layers
// kept 6 to 11 of its 12 bytes: the cut ends or begins inside an escape of either layer.
TEST_CASE("a piece of a secret behind two layers is masked beside a cut", "[redact]") {
  const std::string secret = "Zq8#kLm2pWvT";
  Redactor r = Of(secret);
  std::string twice, json2;  // percent-encoded twice; JSON of its JSON form ("#" plain)
  for (unsigned char c : secret) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%%25%02X", c);
    twice += buf;
  }
  // What a reader gets back from a text: percent-decoded twice. No 3 bytes of the secret
  // (docs/secrets.md: at most 2 may remain beside a cut).
  auto readable = [](const std::string& text) {
    std::string once = text;
    for (int round = 0; round < 2; ++round) {
      std::string out;
      for (size_t i = 0; i < once.size(); ++i) {
        if (once[i] == '%' && i + 2 < once.size() && std::isxdigit(once[i + 1]) &&
            std::isxdigit(once[i + 2])) {
          out += static_cast<char>(std::stoi(once.substr(i + 1, 2), nullptr, 16));
          i += 2;
        } else {
          out += once[i];
        }
      }
      once = out;
    }
    return once;
  };
  for (size_t cut = 1; cut < twice.size(); ++cut) {
    CAPTURE(cut);
    for (const std::string& shown : {r.ApplyCut("log " + twice.substr(0, cut), kCutAfter),
                                     r.ApplyCut(twice.substr(cut) + " tail", kCutBefore)}) {
      CAPTURE(shown);
      for (size_t k = 0; k + 3 <= secret.size(); ++k)
        CHECK(readable(shown).find(secret.substr(k, 3)) == std::string::npos);
    }
  }
  // JSON in percent, cut inside the secret.
  std::string mixed = "%22Zq8%23kLm2pWvT%22";
  CHECK(r.ApplyCut("a " + mixed.substr(0, 12), kCutAfter) == "a %22***");
}

TEST_CASE("text that only resembles a secret is left alone", "[redact]") {
  Redactor r = Of("hunter2-Zq9!");
  CHECK(r.Apply(std::string("hunter2-Zq9 is not it, nor hunter2-Zq9?, but hunter2%2DZq9%21X is")) ==
        "hunter2-Zq9 is not it, nor hunter2-Zq9?, but ***X is");
}

TEST_CASE("a cut through a secret masks the piece on each side", "[redact]") {
  Redactor r = Of("s3cr3t-VALUE-0123456789-abcdefghij");
  CHECK(r.ApplyCut("log line s3cr3t-VALUE-01", kCutAfter) == "log line ***");
  CHECK(r.ApplyCut("23456789-abcdefghij rest", kCutBefore) == "*** rest");
  CHECK(r.ApplyCut("%2Dabcdefghij rest", kCutBefore) == "*** rest");  // percent-encoded tail
  CHECK(r.ApplyCut("2Dabcdefghij rest", kCutBefore) == "*** rest");   // cut inside "%2D"
  // Without the cut, a piece is text like any other; tiny pieces are not masked.
  CHECK(r.Apply(std::string("log line s3cr3t-VALUE-01")) == "log line s3cr3t-VALUE-01");
  CHECK(r.ApplyCut("ij rest", kCutBefore) == "ij rest");
  CHECK(r.ApplyCut("x s3cr3t-VALUE-0123456789-abcdefghij y s3c", kCutBefore | kCutAfter) ==
        "x *** y ***");
}

TEST_CASE("each line of a multi-line secret is masked alone, map keys too", "[redact]") {
  Redactor r = Of("-----BEGIN KEY-----\nMC4CAQAwBQYDK2VwBCIEIG1hZ2ljbWFnaWM=\n-----END KEY-----\n");
  CHECK(r.Apply(std::string("line: MC4CAQAwBQYDK2VwBCIEIG1hZ2ljbWFnaWM=")) == "line: ***");
  Value v(Value::Map{{"MC4CAQAwBQYDK2VwBCIEIG1hZ2ljbWFnaWM=", Value("1")}});
  CHECK(r.Apply(v).as_map().count("***") == 1);
}

// breakI I16: XML is what S3 and many APIs answer in, HTML what error pages are.
TEST_CASE("a secret's HTML and XML character references are masked", "[redact]") {
  Redactor r = Of("Pa55&word\"2024'xyz");
  CHECK(r.Apply(std::string("html: Pa55&amp;word&quot;2024&#x27;xyz.")) == "html: ***.");
  std::string decimal, hex_upper;
  for (char c : std::string("Pa55&word\"2024'xyz")) {
    decimal += "&#" + std::to_string(static_cast<int>(c)) + ";";
    char buf[16];
    std::snprintf(buf, sizeof buf, "&#X%X;", static_cast<unsigned>(c));
    hex_upper += buf;
  }
  CHECK(r.Apply("xml-num: " + decimal) == "xml-num: ***");
  CHECK(r.Apply("hex: " + hex_upper + "!") == "hex: ***!");
  CHECK(r.Apply(std::string("php: Pa55&amp;word&quot;2024&#039;xyz")) == "php: ***");
  CHECK(r.Apply(std::string("xml: Pa55&amp;word&quot;2024&apos;xyz")) == "xml: ***");
  Redactor f = Of("Zq7+Hunter2<Secret>Value99");
  CHECK(f.Apply(std::string("<e>Zq7+Hunter2&lt;Secret&gt;Value99</e>")) == "<e>***</e>");
  // Non-ASCII: the reference names the code point, not the bytes.
  CHECK(Of("gr\xc3\xbcn-Zq9x").Apply(std::string("gr&#252;n-Zq9x")) == "***");
  CHECK(r.Apply(std::string("Pa55&amp;word&quot;2024&#x2;xyz")) ==
        "Pa55&amp;word&quot;2024&#x2;xyz");  // a wrong reference is not the secret
}

// breakO O11: `--set pin=00424242` of an integer param is 424242, a form of the secret no
// encoding rule covered; it reached the step, the store and every report.
TEST_CASE("a secret that reads as a number is masked in the text it reads as", "[redact]") {
  CHECK(Of("00424242").Apply(std::string("pin=424242.")) == "pin=***.");
  CHECK(Of("+9876543").Apply(std::string("[9876543]")) == "[***]");
  CHECK(Of("1234.500").Apply(std::string("amt=1234.5")) == "amt=***");
  CHECK(Of("1234.500").Apply(std::string("amt=1234.500")) ==
        "amt=***");  // the value as written still
  // A form shorter than 4 characters would mask ordinary text: it is left.
  CHECK(Of("0042").Apply(std::string("42 of 0042")) == "42 of ***");
  // Not a number: nothing else is masked.
  CHECK(Of("4242x").Apply(std::string("4242 4242x")) == "4242 ***");
}

// breakQ Q1/Q4: a value typed as a number skipped the redactor wherever a value, not a text,
// was masked (resolved step params, approval inputs, outputs, plan).
TEST_CASE("a number or boolean whose text holds a secret is masked as a value", "[redact]") {
  Redactor r = Of("00424242");
  CHECK(r.Apply(Value(int64_t{424242})) == Value("***"));
  CHECK(r.Apply(Value(424242.0)).ToText() == "***");
  Value::Map m{{"pin", Value(int64_t{424242})}, {"n", Value(int64_t{7})}};
  Value masked = r.Apply(Value(m));
  CHECK(masked.Find("pin")->ToText() == "***");
  CHECK(masked.Find("n")->as_int() == 7);  // other numbers keep their type
  CHECK(r.Apply(Value(true)) == Value(true));
}

// breakV V8: a step's error quotes a path through Printable, which turned a tab into \x09 and
// 0xff into \xff; the masker no longer found the secret's bytes and the rest appeared in
// clear. The escaped form of each secret is masked too.
TEST_CASE("a secret is masked also as Printable shows it", "[redact]") {
  Redactor r;
  r.Add("Sup3r\tSecretValue");
  r.Add("Other\xffHiddenValue");
  r.Add("Bidi\xe2\x80\xaeSecretValue");
  std::string shown = "refused input '" + Printable("d/Sup3r\tSecretValue") + "', '" +
                      Printable("Other\xffHiddenValue") + "', '" +
                      Printable("Bidi\xe2\x80\xaeSecretValue") + "'";
  std::string masked = r.Apply(shown);
  CAPTURE(masked);
  CHECK(masked.find("SecretValue") == std::string::npos);
  CHECK(masked.find("HiddenValue") == std::string::npos);
  CHECK(masked.find("Sup3r") == std::string::npos);
}

// break23a A2: a secret with blanks around it was masked whole, its trimmed core (what a shell's
// word splitting or a header parser prints) not. A3: zero-padded HTML numeric references
// (`&#x050;`, `&#0080;`, 7 digits) were not masked; every width up to 7 digits is now.
TEST_CASE("a secret's trimmed core and its zero-padded HTML references are masked", "[redact]") {
  Redactor r = Of("  Sp4ceHunter9  ");
  CHECK(r.Apply(std::string("trimmed=Sp4ceHunter9;")) == "trimmed=***;");
  CHECK(r.Apply(std::string("raw=[  Sp4ceHunter9  ]")) == "raw=[***]");
  Redactor h = Of("Pa&9");
  for (const char* form :
       {"&#x050;&#x061;&#x026;&#x039;", "&#0080;&#0097;&#0038;&#0057;",
        "&#x0050;&#x0061;&#x0026;&#x0039;", "&#0000080;&#0000097;&#0000038;&#0000057;",
        "&#X000050;&#x61;&#38;&#0057;"}) {
    INFO(form);
    CHECK(h.Apply(std::string("<p>") + form + "</p>") == "<p>***</p>");
  }
}

TEST_CASE("a secret quoted by a shell, SQL or CSV, and its base64 or hex wrapped, is masked",
          "[redact]") {
  // Issue 13 #10: `set -x`, `printf %q`, SQL and CSV quoting, and `base64`'s 76-column lines
  // printed the secret in forms no pattern knew.
  const std::string secret = "it's \"a\" $ecret! ok";
  Redactor r = Of(secret);
  const std::string b64 = Base64Encode(secret), hex = Hex(secret, false);
  struct Form {
    std::string name, text;
    std::vector<std::string> gone;  // pieces of it that must not be left
  };
  const std::vector<Form> forms = {
      {"set -x", "+ curl -H 'it'\\''s \"a\" $ecret! ok'", {"ecret"}},
      {"shlex.quote", "'it'\"'\"'s \"a\" $ecret! ok'", {"ecret"}},
      {"printf %q", "it\\'s\\ \\\"a\\\"\\ \\$ecret\\!\\ ok", {"ecret"}},
      {"in double quotes", "\"it's \\\"a\\\" \\$ecret! ok\"", {"ecret"}},
      {"SQL literal", "INSERT INTO t VALUES ('it''s \"a\" $ecret! ok');", {"ecret"}},
      {"CSV field", "id,\"it's \"\"a\"\" $ecret! ok\",3", {"ecret"}},
      // 51 bytes before it: its base64 starts at column 68, the line breaks 8 characters in.
      {"base64 at 76 columns",
       WrapAt(Base64Encode(std::string(51, 'x') + secret + "tail"), 76, "\n"),
       {b64.substr(0, 6), b64.substr(10, 10)}},
      {"base64 at 64 columns, CRLF",
       WrapAt(Base64Encode(std::string(45, 'x') + secret), 64, "\r\n"),
       {b64.substr(0, 6), b64.substr(8, 10)}},
      {"hex at 60 columns",
       WrapAt(Hex(std::string(20, 'y') + secret, false), 60, "\n"),
       {hex.substr(0, 16), hex.substr(22, 16)}},
  };
  for (const Form& f : forms) {
    INFO(f.name << ": " << f.text);
    const std::string out = r.Apply("before\n" + f.text + "\nafter");
    CHECK(out.find(kMask) != std::string::npos);
    for (const std::string& piece : f.gone) CHECK(out.find(piece) == std::string::npos);
    CHECK(out.rfind("before\n", 0) == 0);
    CHECK(out.size() >= 6);
    CHECK(out.substr(out.size() - 6) == "\nafter");
  }
  // A cut through the wrapped form masks the piece before it.
  const Form& wrapped = forms[6];
  const size_t cut = wrapped.text.find(b64.substr(0, 6)) + 12;  // past the line break
  CHECK(r.ApplyCut(wrapped.text.substr(0, cut), kCutAfter).find(b64.substr(0, 6)) ==
        std::string::npos);
  // The quoted spellings are the secret's, not any text's: another value quoted alike is kept.
  const std::string alike = "'it'\\''s \"a\" $ecret! no'";
  CHECK(r.Apply(alike) == alike);
}
