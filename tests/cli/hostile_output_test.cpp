// A hostile runbook through the real binary, what it makes runbook print and hold (breakI):
// the errors of `validate` are bounded in number and size (I18), a runbook's own text reaches
// the terminal only in printable form (I7), aliases cannot expand past the YAML byte budget
// (I2), and a step's expressions cannot produce more than the per-step byte budget (I22).
// Memory limits (ulimit -v) make the old behaviour fail fast; ASan builds reserve far more
// address space than any such limit, so there the limit is left out.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "support/support.h"

using namespace runbook::test;

namespace {

// breakI's mf{n}.yaml: one exec step whose argv holds n unknown names on one line.
std::string ManyUnknownNames(int n) {
  std::string s = "version: 1\nname: me\nsteps:\n  - {id: a, uses: exec, with: {run: [echo, ";
  for (int i = 0; i < n; ++i)
    s += (i ? "," : "") + std::string("\"${{ nosuch") + std::to_string(i) + " }}\"";
  return s + "]}}\n";
}

std::string Head(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string text(1'000'000, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  return text;
}

// `command` with its output in files under `dir`, at most 20 MB each (dash's ulimit -f
// counts 512-byte blocks): an unbounded writer is stopped by SIGXFSZ instead of filling the
// disk. The first MB of each file comes back; `size` is what both files hold.
Command ToFiles(const std::string& dir, const std::string& command, uintmax_t& size) {
  Command c = Shell("ulimit -f 40000 && " + command + " > " + dir + "/out 2> " + dir + "/err", 60);
  c.out = Head(dir + "/out");
  c.err = Head(dir + "/err");
  size = std::filesystem::file_size(dir + "/out") + std::filesystem::file_size(dir + "/err");
  return c;
}

// `validate --format FORMAT` of ManyUnknownNames(n) in a fresh folder; `size` is the bytes
// of output it wrote.
Command ValidateMany(int n, const std::string& format, std::string& file, uintmax_t& size) {
  std::string dir = TempDir();
  file = WriteFile(dir, "mf.yaml", ManyUnknownNames(n));
  return ToFiles(dir, BinaryWith("validate --format " + format + " " + file), size);
}

// A runbook with a 1 MB parameter and `entries` (a YAML block, indented for `where`).
std::string BigParam(const std::string& where, const std::string& entries) {
  return "version: 1\nname: fe\nparams:\n  big: {type: string, default: " +
         std::string(1'000'000, 'B') + "}\n" + where + entries;
}

std::string Copies(const std::string& indent, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += indent + "E" + std::to_string(i) + ": ${{ params.big }}\n";
  return out;
}

}  // namespace

TEST_CASE("validate of 10,000 errors on one 199 KB line prints 200, bounded, and a count",
          "[limits][cli][diagnostics]") {
  std::string file;
  uintmax_t size = 0;
  Command c = ValidateMany(10'000, "text", file, size);
  CHECK(c.exit_code == 2);
  CHECK(Occurrences(c.err, ": error: unknown name 'nosuch") == 200);
  CHECK(c.err.find(file + ":4:66: error: unknown name 'nosuch1'; expected params") !=
        std::string::npos);
  CHECK(c.err.find("... and 9800 more errors\n") != std::string::npos);
  CHECK(size < 200'000);  // 200 errors of three lines, none over ~300 characters
}

TEST_CASE("validate --format json and github: the same cap, with the count",
          "[limits][cli][diagnostics]") {
  std::string file;
  uintmax_t size = 0;
  Command json = ValidateMany(1'000, "json", file, size);
  CHECK(json.exit_code == 2);
  CHECK(Occurrences(json.out, "\"message\":") == 200);
  CHECK(json.out.find("\"omitted\": 800") != std::string::npos);
  Command gh = ValidateMany(1'000, "github", file, size);
  CHECK(gh.exit_code == 2);
  CHECK(Occurrences(gh.out, "::error file=") == 200);
  CHECK(gh.out.find("::notice file=" + file + "::... and 800 more errors\n") != std::string::npos);
}

TEST_CASE("one error on a 200,000-character line prints a window of it, not the line",
          "[limits][cli][diagnostics]") {
  std::string dir = TempDir();
  std::string file =
      WriteFile(dir, "y1.yaml",
                "version: 1\nname: t\nsteps:\n  - {id: a, uses: exec, with: {run: [" +
                    std::string(100'000, 'x') + ", \"${{ nosuch }}\", " +
                    std::string(100'000, 'y') + "]}}\n");
  Command c = Shell(BinaryWith("validate " + file));
  CHECK(c.exit_code == 2);
  CHECK(c.err == file +
                     ":4:100045: error: unknown name 'nosuch'; expected params, secrets, env, "
                     "steps or run\n"
                     "    4 | ..." +
                     std::string(33, 'x') + ", \"${{ nosuch }}\", " + std::string(68, 'y') +
                     "...\n"
                     "      | " +
                     std::string(3 + 40, ' ') + "^~~~~~\n");
}

TEST_CASE("validation errors show a runbook's control characters escaped (h10)",
          "[cli][diagnostics]") {
  std::string dir = TempDir();
  std::string file = WriteFile(dir, "h10.yaml",
                               "version: 1\nname: t\nsteps:\n  - {id: a, uses: exec, with: {run: "
                               "[echo]}, \"x\\e[2K\\e[1G\\e[1A\\e[2K\\rh10.yaml: ok (1 "
                               "steps)\\e[8m\": 1}\n");
  Command c = Shell(BinaryWith("validate " + file));
  CHECK(c.exit_code == 2);
  CHECK(c.err.find('\x1b') == std::string::npos);
  CHECK(c.err.find('\r') == std::string::npos);
  CHECK(c.err.find(file +
                   ":4:46: error: unknown key 'x\\x1b[2K\\x1b[1G\\x1b[1A\\x1b[2K\\x0dh10.yaml: "
                   "ok (1 steps)\\x1b[8m' in a step") != std::string::npos);
}

TEST_CASE("raw ESC bytes in the source and CR LF in a decoded name stay escaped (h8, h11)",
          "[cli][diagnostics]") {
  std::string dir = TempDir();
  // h8: raw ESC bytes inside a quoted key: the excerpt would clear the screen, set a title.
  std::string h8 = WriteFile(dir, "h8.yaml",
                             "version: 1\nname: t\nsteps:\n  - {id: a, uses: exec, with: {run: "
                             "[echo]}, \"k\x1b[2J\x1b]0;pwned\a\": 1}\n");
  Command c = Shell(BinaryWith("validate " + h8));
  CHECK(c.exit_code == 2);
  CHECK(c.err.find('\x1b') == std::string::npos);
  CHECK(c.err.find('\a') == std::string::npos);
  CHECK(c.err.find("'k\\x1b[2J\\x1b]0;pwned\\x07'") != std::string::npos);
  // h11: a decoded CR LF in a value quoted by a message must not start a forged line.
  std::string h11 = WriteFile(dir, "h11.yaml",
                              "version: 1\nname: t\nsteps:\n  - {id: \"a\\r\\nFAKE LINE\", uses: "
                              "exec, with: {run: [echo]}}\n");
  Command d = Shell(BinaryWith("validate " + h11));
  CHECK(d.exit_code == 2);
  CHECK(d.err.find("\nFAKE LINE") == std::string::npos);
  CHECK(d.err.find("a\\x0d\\x0aFAKE LINE") != std::string::npos);
}

TEST_CASE("an alias bomb of large strings is refused at the alias, in bounded memory (y8)",
          "[limits][cli]") {
  std::string dir = TempDir();
  std::string aliases;
  for (int i = 0; i < 8000; ++i) aliases += i ? ",*a0" : "*a0";
  std::string file = WriteFile(dir, "y8.yaml",
                               "version: 1\nname: y8\nx0: &a0 " + std::string(100'000, 'L') +
                                   "\nsteps:\n  - id: a\n    uses: exec\n    with:\n"
                                   "      run: [echo, " +
                                   aliases + "]\n");
  Command c = Shell(Limited(1'500'000, BinaryWith("validate " + file)), 60);
  CHECK(c.exit_code == 2);
  CHECK(c.err.find(file + ":8:") != std::string::npos);
  CHECK(c.err.find("error: alias '*a0' expands the document past 64 MiB of text") !=
        std::string::npos);
  CHECK(c.err.find("out of memory") == std::string::npos);
}

TEST_CASE("a 1 MB parameter formatted into 700 env entries: the step fails, named (fe700)",
          "[limits][cli]") {
  std::string dir = TempDir();
  std::string env;
  for (int i = 0; i < 700; ++i)
    env += "      E" + std::to_string(i) + ": \"${{ format('{0}{0}{0}{0}', params.big) }}\"\n";
  std::string file = WriteFile(
      dir, "fe700.yaml",
      BigParam("steps:\n  - id: a\n    uses: exec\n    with: {run: [true]}\n    env:\n", env));
  Command c =
      Shell(Limited(2'000'000, BinaryWith("run " + file + " --audit-db " + dir + "/a.db")), 60);
  std::string all = c.out + c.err;
  CHECK(c.exit_code == 1);
  CHECK(all.find("internal error") == std::string::npos);
  CHECK(all.find("bad_alloc") == std::string::npos);
  CHECK(all.find("the values step 'a' computes would be more than 16 MiB in total") !=
        std::string::npos);
}

TEST_CASE("plain copies of a 1 MB parameter into env entries count against the step budget",
          "[limits][cli]") {
  std::string dir = TempDir();
  std::string file =
      WriteFile(dir, "copies.yaml",
                BigParam("steps:\n  - id: b\n    uses: exec\n    with: {run: [true]}\n    env:\n",
                         Copies("      ", 40)));
  Command c = Shell(BinaryWith("run " + file + " --audit-db " + dir + "/a.db"), 60);
  std::string all = c.out + c.err;
  CHECK(c.exit_code == 1);
  CHECK(all.find("the values step 'b' computes would be more than 16 MiB in total") !=
        std::string::npos);
  CHECK(all.find("Argument list too long") == std::string::npos);
  // The runbook's own env has one budget of its own.
  std::string top =
      WriteFile(dir, "top.yaml",
                BigParam("env:\n", Copies("  ", 40) +
                                       "steps:\n  - {id: a, uses: exec, with: {run: [true]}}\n"));
  Command t = Shell(BinaryWith("run " + top + " --audit-db " + dir + "/b.db"), 60);
  CHECK(t.err.find("env E16: the values the runbook's env computes would be more than 16 MiB") !=
        std::string::npos);
}

// breakY Y7: `report --format json` and `plan --format json` printed zero-width, bidi, BOM and
// tag characters raw, while `show` escaped them. JSON that runbook prints writes them as
// \uXXXX escapes (a surrogate pair past U+FFFF): the same value for a parser.
TEST_CASE("JSON that runbook prints escapes invisible characters", "[cli][escape]") {
  std::string dir = TempDir();
  // U+200B, U+202E, U+FEFF and the tag U+E0041 in a param's default and a log message.
  std::string hidden =
      "a\xe2\x80\x8b"
      "b\xe2\x80\xae"
      "c\xef\xbb\xbf"
      "d\xf3\xa0\x81\x81"
      "e";
  WriteFile(dir, "t.yaml",
            "version: 1\nname: t\nparams:\n  note: {type: string, default: \"" + hidden +
                "\"}\nsteps:\n  - {id: l, uses: log, with: {message: \"${{ params.note }}\"}}\n");
  Command plan = Shell("cd " + dir + " && " + BinaryWith("plan t.yaml --format json"));
  Command run = Shell("cd " + dir + " && " + BinaryWith("run t.yaml --audit-db a.db"));
  REQUIRE(run.exit_code == 0);
  Command report =
      Shell("cd " + dir + " && " +
            BinaryWith("report " + LatestRunId(dir + "/a.db") + " --audit-db a.db --format json"));
  for (const Command* c : {&plan, &report}) {
    INFO(c->out << c->err);
    CHECK(c->exit_code == 0);
    CHECK(c->out.find("a\\u200bb\\u202ec\\ufeffd\\udb40\\udc41e") != std::string::npos);
    CHECK(c->out.find("\xe2\x80\x8b") == std::string::npos);
    CHECK(c->out.find("\xf3\xa0\x81\x81") == std::string::npos);
    // The same value for a JSON parser: the original characters come back.
    WriteFile(dir, "out.json", c->out);
    CHECK(Shell("python3 -c \"import json,sys; t=json.dumps(json.load(open(sys.argv[1])), "
                "ensure_ascii=False); sys.exit(0 if '\\u200bb\\u202ec\\ufeffd\\U000e0041e' in t "
                "else 1)\" " +
                dir + "/out.json")
              .exit_code == 0);
  }
}
