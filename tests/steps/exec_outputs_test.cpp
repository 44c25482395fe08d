// $RUNBOOK_OUTPUT (issue 13 C2): GitHub's name=value and name<<DELIMITER forms; a malformed
// line, a block that never ends, a built-in or badly formed name fails the step, naming
// the line, with secrets masked in the message.
#include <catch2/catch.hpp>
#include <set>

#include "steps/common/output_file.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

const std::vector<std::string> kBuiltins = {"exit_code"};

std::string Error(const std::string& text) {
  auto r = ParseOutputFile(text, kBuiltins, nullptr);
  REQUIRE_FALSE(r.ok());
  return r.status().message();
}

// Runs one exec step whose shell script writes `lines` to $RUNBOOK_OUTPUT.
Ran RunWriting(const std::string& lines, std::unique_ptr<Runbook>& rb,
               const std::string& head = "") {
  std::string dir = TempDir();
  WriteFile(dir, "out.txt", lines);
  return RunText("version: 1\nname: t\n" + head + "steps:\n  - id: w\n    uses: exec\n" +
                     "    with: {shell: true, run: 'cat " + dir +
                     "/out.txt >> \"$RUNBOOK_OUTPUT\"'}\n",
                 rb);
}

}  // namespace

TEST_CASE("output file: single-line and multi-line values as GitHub writes them",
          "[steps][exec][outputs]") {
  auto r = ParseOutputFile(
      "a=1\n\nb=x=y<<z\nnotes<<EOF\nline one\n\n  line=three\nEOF\nempty<<END\nEND\nlast=",
      kBuiltins, nullptr);
  REQUIRE(r.ok());
  CHECK(r.value() == Value::Map{{"a", Value("1")},
                                {"b", Value("x=y<<z")},
                                {"notes", Value("line one\n\n  line=three")},
                                {"empty", Value("")},
                                {"last", Value("")}});
  // "<<" before '=': a block whose delimiter holds '='; the first line equal to it ends it.
  auto d = ParseOutputFile("v<<A=B\nA=B x\nA=B\n", kBuiltins, nullptr);
  REQUIRE(d.ok());
  CHECK(d.value() == Value::Map{{"v", Value("A=B x")}});
}

// break22 #12: CRLF line ends kept the '\r' in values (a block's delimiter line matched with
// it); a NUL byte went into a value that argv or env would cut.
TEST_CASE("output file: CRLF line ends are line ends, a NUL byte is refused",
          "[steps][exec][outputs]") {
  auto r =
      ParseOutputFile("a=1\r\nml<<EOF\r\nx\r\ny\r\nEOF\r\nb=keep\rinside\n", kBuiltins, nullptr);
  REQUIRE(r.ok());
  CHECK(r.value() ==
        Value::Map{{"a", Value("1")}, {"ml", Value("x\ny")}, {"b", Value("keep\rinside")}});
  auto nul = ParseOutputFile(std::string("ok=1\na=1\0b=2\n", 14), kBuiltins, nullptr);
  REQUIRE_FALSE(nul.ok());
  CHECK(nul.status().message() ==
        "$RUNBOOK_OUTPUT line 2: holds a NUL byte, which no output value can carry");
}

TEST_CASE("output file: each malformed form names its line", "[steps][exec][outputs]") {
  CHECK(Error("a=1\njust text\n") ==
        "$RUNBOOK_OUTPUT line 2: expected name=value or name<<DELIMITER, found 'just text'");
  CHECK(Error("exit_code=7\n") ==
        "$RUNBOOK_OUTPUT line 1: 'exit_code' is a built-in output of this step and cannot be "
        "written");
  CHECK(Error("ok=1\nbad name=1\n") ==
        "$RUNBOOK_OUTPUT line 2: invalid output name 'bad name'; expected lowercase letters, "
        "digits, '_' and '-', starting with a letter or digit (as a step id)");
  CHECK(Error("=1\n") == "$RUNBOOK_OUTPUT line 1: an output needs a name before '=' or '<<'");
  CHECK(Error("Name=1\n").find("line 1: invalid output name 'Name'") != std::string::npos);
  CHECK(Error("a b<<EOF\nx\nEOF\n").find("line 1: invalid output name 'a b'") != std::string::npos);
  CHECK(Error("x=1\nnotes<<EOF\nline\nEOF \n") ==
        "$RUNBOOK_OUTPUT line 2: the value of 'notes' never ends: no line 'EOF' follows");
  CHECK(Error("notes<<\nx\n") ==
        "$RUNBOOK_OUTPUT line 1: 'notes<<' needs a delimiter after '<<' (name<<EOF)");
  CHECK(Error("exit_code<<EOF\n7\nEOF\n").find("'exit_code' is a built-in") != std::string::npos);
}

TEST_CASE("output file: a secret in a malformed line is masked, also when cut",
          "[steps][exec][outputs]") {
  std::string secret = "s3cr3t-value-0123456789";
  auto redact = [&](std::string text) {
    for (size_t at; (at = text.find(secret)) != std::string::npos;)
      text.replace(at, secret.size(), "***");
    return text;
  };
  auto r = ParseOutputFile("token " + secret + "\n", kBuiltins, redact);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message() ==
        "$RUNBOOK_OUTPUT line 1: expected name=value or name<<DELIMITER, found 'token ***'");
  // A long line: masked first, then cut, so no piece of the secret survives the cut.
  auto cut = ParseOutputFile(std::string(70, 'x') + " " + secret + "\n", kBuiltins, redact);
  REQUIRE_FALSE(cut.ok());
  CHECK(cut.status().message().find("s3cr") == std::string::npos);
  auto name = ParseOutputFile(secret + " x=1\n", kBuiltins, redact);
  REQUIRE_FALSE(name.ok());
  CHECK(name.status().message().find(secret) == std::string::npos);
}

TEST_CASE("issue 13 C2: exec reads multi-line outputs and fails on malformed lines",
          "[steps][exec][outputs]") {
  std::unique_ptr<Runbook> rb;
  Ran ok = RunWriting("greeting=hi\nnotes<<EOF\nfirst\nsecond\nEOF\n", rb);
  CHECK(ok.result.status == "success");
  CHECK(ok.Step(*rb, "w").outputs.at("notes") == Value("first\nsecond"));
  CHECK(ok.Step(*rb, "w").outputs.at("exit_code") == Value(int64_t{0}));

  struct Case {
    std::string lines, error;
  };
  for (const Case& c : std::vector<Case>{
           {"a=1\nno equals here\n", "line 2: expected name=value or name<<DELIMITER"},
           {"exit_code=7\n", "line 1: 'exit_code' is a built-in output"},
           {"bad name=1\n", "line 1: invalid output name 'bad name'"},
           {"notes<<EOF\nnever closed\n", "line 1: the value of 'notes' never ends"}}) {
    Ran bad = RunWriting(c.lines, rb);
    INFO(c.lines);
    CHECK(bad.result.status == "failure");
    CHECK(bad.Step(*rb, "w").outcome == Outcome::kFailure);
    CHECK_THAT(bad.Step(*rb, "w").reason, Catch::Contains("$RUNBOOK_OUTPUT " + c.error));
    CHECK(bad.Step(*rb, "w").outputs.count("exit_code") == 0);
  }
}

TEST_CASE("a declared secret in a malformed output line never reaches the step's error",
          "[steps][exec][outputs][secrets]") {
  std::string secret = "tok-5a1b2c3d4e5f60718293";
  setenv("RUNBOOK_TEST_OUTPUT_SECRET", secret.c_str(), 1);
  std::unique_ptr<Runbook> rb;
  Ran bad = RunWriting("token " + secret + "\n", rb,
                       "secrets:\n  tok: {env: RUNBOOK_TEST_OUTPUT_SECRET}\n");
  unsetenv("RUNBOOK_TEST_OUTPUT_SECRET");
  CHECK(bad.result.status == "failure");
  CHECK_THAT(bad.Step(*rb, "w").reason, Catch::Contains("$RUNBOOK_OUTPUT line 1"));
  CHECK(bad.Step(*rb, "w").reason.find(secret) == std::string::npos);
}

TEST_CASE("outputs whose names mask alike are each recorded (break25a #9)",
          "[steps][exec][outputs][secrets]") {
  setenv("RUNBOOK_TEST_OUTPUT_A", "a5a1b2c3d4e5f6071", 1);
  setenv("RUNBOOK_TEST_OUTPUT_B", "b5a1b2c3d4e5f6072", 1);
  std::unique_ptr<Runbook> rb;
  Ran ran = RunWriting("x_a5a1b2c3d4e5f6071=1\nx_b5a1b2c3d4e5f6072=2\nplain=3\n", rb,
                       "secrets:\n  a: {env: RUNBOOK_TEST_OUTPUT_A}\n"
                       "  b: {env: RUNBOOK_TEST_OUTPUT_B}\n");
  unsetenv("RUNBOOK_TEST_OUTPUT_A");
  unsetenv("RUNBOOK_TEST_OUTPUT_B");
  REQUIRE(ran.result.status == "success");
  const auto& outputs = ran.Step(*rb, "w").attempts.back().outputs;
  REQUIRE(outputs.count("x_***") == 1);
  REQUIRE(outputs.count("x_***#2") == 1);  // was merged into x_***
  std::set<std::string> values = {outputs.at("x_***").ToText(), outputs.at("x_***#2").ToText()};
  CHECK(values == std::set<std::string>{"1", "2"});
  CHECK(outputs.at("plain").ToText() == "3");
}

TEST_CASE("an output file replaced by a FIFO or grown past 16 MiB fails the step, no hang",
          "[steps][exec][outputs]") {
  std::unique_ptr<Runbook> rb;
  Ran ran = RunText(
      "version: 1\nname: t\nsteps:\n"
      "  - id: fifo\n    uses: exec\n    continue_on_error: true\n"
      "    with: {shell: true, run: 'rm \"$RUNBOOK_OUTPUT\" && mkfifo \"$RUNBOOK_OUTPUT\"'}\n"
      "  - id: big\n    uses: exec\n    continue_on_error: true\n"
      "    with: {shell: true, run: 'yes a=1 | head -c 17000000 >> \"$RUNBOOK_OUTPUT\"'}\n",
      rb);
  CHECK_THAT(ran.Step(*rb, "fifo").reason, Catch::Contains("is a FIFO, not a regular file"));
  CHECK_THAT(ran.Step(*rb, "big").reason, Catch::Contains("is larger than 16777216 bytes"));
}

TEST_CASE("output file: a killed run's $RUNBOOK_OUTPUT file is removed by the next run",
          "[steps][exec][outputs]") {
  // breakI I15: the temporary files of killed runs stayed in /tmp for ever.
  std::string dir = TempDir(), tmp = TempDir();
  WriteFile(dir, "o.yaml",
            "version: 1\nname: o\nsteps:\n  - {id: a, uses: exec, with: {shell: true, run: "
            "'echo x=1 >> $RUNBOOK_OUTPUT; echo started > " +
                dir + "/started; sleep 5'}}\n");
  std::string run =
      "cd " + dir + " && TMPDIR=" + tmp + " " + Binary() + " run o.yaml --audit-db a.db";
  REQUIRE(Shell("(" + run + " > /dev/null 2>&1 & echo $! > " + dir + "/pid); for i in $(seq 100);" +
                " do test -e " + dir + "/started && break; sleep 0.05; done; kill -9 $(cat " + dir +
                "/pid); sleep 0.3")
              .exit_code == 0);
  CHECK(Shell("ls -A " + tmp + " | grep -c runbook-output").out == "1\n");  // left by the kill
  CHECK(Shell("stat -c %a " + tmp + "/.runbook-output.tmp-*").out == "600\n");
  WriteFile(dir, "o.yaml",
            "version: 1\nname: o\nsteps:\n  - {id: a, uses: exec, with: {run: [/bin/true]}}\n");
  Command next = Shell(run);
  CHECK(next.exit_code == 0);
  CHECK(Shell("ls -A " + tmp + " | grep -c runbook-output").out == "0\n");
}
