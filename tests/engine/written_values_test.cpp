// Values arrive exactly as written (issue 13 C1): a plain YAML scalar that becomes a string
// (env values, argv items, string parameters, string params of the runbook, text around an
// expression) is its source text; it is a number only where a number is wanted.
#include <catch2/catch.hpp>

#include "engine/util/json.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

// A step that writes its argv (after $0, the file) and the named variables, one a line.
std::string Printer(const std::string& file, const std::string& vars, const std::string& args) {
  std::string script =
      "for v in " + vars + "; do printenv $v; done > \"$0\"; printf \"%s\\n\" \"$@\" >> \"$0\"";
  return "    with:\n      run: [sh, -c, '" + script + "', '" + file + "', " + args + "]\n";
}

std::string RunAndRead(const std::string& text, const std::string& file) {
  std::unique_ptr<Runbook> rb;
  Ran ran = RunText(text, rb);
  REQUIRE(rb != nullptr);
  CHECK(ran.result.status == "success");
  return ReadFile(file);
}

}  // namespace

TEST_CASE("issue 13 C1: env and argv get 3.10, 0755 and a 20-digit id as written",
          "[values][written]") {
  std::string file = TempDir() + "/seen";
  std::string text =
      "version: 1\nname: t\nenv: {TOP: 3.10}\nsteps:\n  - id: show\n    uses: exec\n"
      "    env: {STEP: 0755}\n" +
      Printer(file, "PYVER MODE ID TOP STEP", "3.10, 0755, 12345678901234567890") +
      "      env: { PYVER: 3.10, MODE: 0755, ID: 12345678901234567890 }\n";
  CHECK(RunAndRead(text, file) ==
        "3.10\n0755\n12345678901234567890\n3.10\n0755\n"
        "3.10\n0755\n12345678901234567890\n");
}

TEST_CASE("every plain scalar kind reaches env and argv as written, ~ and null are empty",
          "[values][written]") {
  std::string file = TempDir() + "/seen";
  const char* kinds = "true, yes, on, 1e3, 0x1F, +1, .5, 1_000, -0, 1.0, 007, ~, null, ''";
  std::string text =
      "version: 1\nname: t\nsteps:\n  - id: show\n    uses: exec\n" +
      Printer(file, "A B C D E F G H I J K L M", kinds) +
      "      env: {A: true, B: yes, C: on, D: 1e3, E: 0x1F, F: +1, G: .5, H: 1_000, I: -0,\n"
      "            J: 1.0, K: 007, L: ~, M: null}\n";
  std::string row = "true\nyes\non\n1e3\n0x1F\n+1\n.5\n1_000\n-0\n1.0\n007\n\n\n";
  CHECK(RunAndRead(text, file) == row + row + "\n");
}

TEST_CASE("string params of the runbook and of a step keep the text, numbers stay numbers",
          "[values][written]") {
  std::string file = TempDir() + "/seen";
  std::string text =
      "version: 1\nname: t\nparams:\n"
      "  ver: {type: string, default: 3.10}\n"
      "  flag: {type: string, default: true}\n"
      "  mode: {type: integer, default: 0755}\n"
      "  ratio: {type: number, default: 1.50}\n"
      "  list: {type: list, default: [3.10, 0755]}\n"
      "steps:\n"
      "  - id: note\n    uses: log\n    with: {message: 3.10, outputs: {v: 3.10}}\n"
      "  - id: show\n    uses: exec\n    needs: [note]\n"
      "    if: ${{ steps.note.outputs.v == 3.1 && params.mode == 755 }}\n" +
      Printer(file, "",
              "'${{ params.ver }}', '${{ params.flag }}', '${{ params.mode }}', "
              "'${{ params.ratio }}', '${{ params.list[0] }}', 'v${{ params.list[1] }}-x', "
              "'${{ steps.note.outputs.v }}', '${{ params.mode + 1 }}', '${{ 3.10 }}'");
  std::unique_ptr<Runbook> rb;
  Ran ran = RunText(text, rb);
  REQUIRE(rb != nullptr);
  CHECK(ran.result.status == "success");
  CHECK(ran.Params("note").Find("message")->is_string());
  CHECK(ran.Params("note").Find("message")->as_string() == "3.10");
  // An expression's own literal is a number: `${{ 3.10 }}` is 3.1 (quote it for text).
  CHECK(ReadFile(file) == "3.10\ntrue\n755\n1.5\n3.10\nv0755-x\n3.10\n756\n3.1\n");
}

TEST_CASE("a step's string parameter given ~ is empty, not absent", "[values][written]") {
  std::unique_ptr<Runbook> rb;
  Ran ran = RunText(
      "version: 1\nname: t\nsteps:\n  - id: note\n    uses: log\n    with: {message: ~}\n", rb);
  REQUIRE(rb != nullptr);
  CHECK(ran.result.status == "success");
  REQUIRE(ran.Params("note").Find("message") != nullptr);
  CHECK(ran.Params("note").Find("message")->as_string().empty());
}

TEST_CASE("a written number is still checked where a number is wanted", "[values][written]") {
  CHECK(Diagnose("version: 1\nname: t\nparams:\n"
                 "  n: {type: integer, default: 12345678901234567890}\nsteps: []\n") ==
        "test.yaml:4:31: error: default of param 'n': '12345678901234567890' is out of range "
        "for an integer (-2^63 to 2^63-1)\n"
        "    4 |   n: {type: integer, default: 12345678901234567890}\n"
        "      |                               ^~~~~~~~~~~~~~~~~~~~\n");
  CHECK(Diagnose("version: 1\nname: t\nparams:\n"
                 "  n: {type: integer, default: 9999999999999999999}\nsteps: []\n")
            .find("'9999999999999999999' is out of range for an integer") != std::string::npos);
}

TEST_CASE("a --set value gives a string param its text as typed", "[values][written][cli]") {
  std::string dir = TempDir();
  std::string file = dir + "/seen";
  std::string text =
      "version: 1\nname: t\nparams:\n  ver: {type: string}\nsteps:\n"
      "  - id: show\n    uses: exec\n" +
      Printer(file, "", "'${{ params.ver }}'");
  WriteFile(dir, "t.yaml", text);
  Command run = Shell("cd " + dir + " && " + Binary() + " run t.yaml --set ver=3.10 --audit-db " +
                      dir + "/a.db");
  CHECK(run.exit_code == 0);
  CHECK(ReadFile(file) == "3.10\n");
}

TEST_CASE("the recorded parameters of a command hold its argv as it ran", "[values][written]") {
  std::unique_ptr<Runbook> rb;
  Ran ran = RunText(
      "version: 1\nname: t\nsteps:\n  - id: a\n    uses: exec\n"
      "    with: {run: [echo, 3.10, 0755, ~]}\n"
      "  - id: b\n    uses: exec\n    with: {shell: true, run: 3.10}\n",
      rb);
  REQUIRE(rb != nullptr);
  CHECK(ran.Params("a").Find("run")->as_list() ==
        Value::List{Value("echo"), Value("3.10"), Value("0755"), Value("")});
  // `run: 3.10` with shell: true is the script "3.10" (a command not found, exit 127).
  CHECK(ran.Step(*rb, "b").attempts.back().exit_code == 127);
}

TEST_CASE("a step's load-time checks see a written number given for text as that text",
          "[values][written]") {
  // s3-sync's part_size is a size string: 1000 (bytes) is below S3's 5MiB part minimum.
  CHECK_THAT(Diagnose("version: 1\nname: t\nsteps:\n  - id: s\n    uses: s3-sync\n"
                      "    with: {source: a, dest: b, part_size: 1000}\n"),
             Catch::Contains("part_size must be from 5MiB to 5GiB (S3's part limits), not '1000'"));
}

namespace {

// Runs dir/t.yaml (its step fails until dir/go exists: exit 1), then resumes it after making
// dir/go (exit 0).
void FailThenResume(const std::string& dir) {
  const std::string rb = "cd " + dir + " && " + Binary();
  CHECK(Shell(rb + " run t.yaml --audit-db a.db").exit_code == 1);
  WriteFile(dir, "go", "");
  Command resumed = Shell(rb + " resume " + LatestRunId(dir + "/a.db") + " --audit-db a.db");
  INFO(resumed.err);
  CHECK(resumed.exit_code == 0);
}

}  // namespace

// break22 #3: the store recorded a written output as its number (3.1, 755,
// 1.2345678901234567e+19), and a resume gave the later step those instead of the text the
// first run gave it.
TEST_CASE("a resumed run gives later steps the written outputs the first run gave them",
          "[values][written][cli]") {
  std::string dir = TempDir();
  WriteFile(dir, "t.yaml",
            "version: 1\nname: t\nsteps:\n  - id: lg\n    uses: log\n"
            "    with: {message: hi, outputs: {v: 3.10, id: 12345678901234567890, mode: 0755}}\n"
            "  - id: use\n    uses: exec\n    needs: [lg]\n    with:\n      shell: true\n"
            "      run: 'echo \"${{ steps.lg.outputs.v }} ${{ steps.lg.outputs.id }} "
            "${{ steps.lg.outputs.mode }}\" >> seen; test -e go'\n");
  const std::string rb = "cd " + dir + " && " + Binary();
  FailThenResume(dir);
  CHECK(ReadFile(dir + "/seen") ==
        "3.10 12345678901234567890 0755\n"
        "3.10 12345678901234567890 0755\n");
  // The record holds the numbers and, beside them, the text the step was given.
  std::string exported = Shell(rb + " audit export --audit-db a.db").out;
  CHECK_THAT(exported, Catch::Contains("\"outputs\":{\"id\":\"12345678901234567890\",\"mode\":755,"
                                       "\"v\":3.1}"));
  CHECK_THAT(exported, Catch::Contains("\"outputs_written\":{\"mode\":\"0755\",\"v\":\"3.10\"}"));
}

// break24a C1: only an output's own number kept its text across a resume: a list's or a map's
// numbers (a `log` step's outputs, an approval's input list) came back as 3.1 and 755, and so
// did a loop's items run again.
TEST_CASE("a resumed run gives later steps the numbers inside carried lists and maps as written",
          "[values][written][cli]") {
  std::string dir = TempDir();
  WriteFile(dir, "t.yaml",
            "version: 1\nname: t\nparams:\n  l: {type: list, default: [3.10, 0755]}\n"
            "steps:\n  - id: lg\n    uses: log\n"
            "    with: {message: hi, outputs: {l: [3.10, [0755]], m: {v: 1e3, n: {w: 2.50}}}}\n"
            "  - id: use\n    uses: exec\n    needs: [lg]\n    with:\n      shell: true\n"
            "      run: 'echo \"${{ steps.lg.outputs.l[0] }} ${{ steps.lg.outputs.l[1][0] }} "
            "${{ steps.lg.outputs.m.v }} ${{ steps.lg.outputs.m.n.w }} "
            "${{ steps.lg.outputs.l[0] == 3.1 }}\" >> seen; test -e go'\n"
            "  - id: each\n    uses: exec\n    needs: [use]\n    for_each: ${{ params.l }}\n"
            "    with: {run: [sh, -c, 'echo \"$1\" >> items', x, '${{ item }}']}\n");
  const std::string rb = "cd " + dir + " && " + Binary();
  FailThenResume(dir);
  CHECK(ReadFile(dir + "/seen") == "3.10 0755 1e3 2.50 true\n3.10 0755 1e3 2.50 true\n");
  std::string items = ReadFile(dir + "/items");  // the items run side by side, in any order
  CHECK((items == "3.10\n0755\n" || items == "0755\n3.10\n"));
  // show and the reports give the params as written, not as their JSON numbers.
  const std::string id = LatestRunId(dir + "/a.db");
  CHECK_THAT(Shell(rb + " show " + id + " --audit-db a.db").out,
             Catch::Contains("params {\"l\":[3.10,\"0755\"]}"));
  for (const char* format : {"md", "html"})
    CHECK_THAT(Shell(rb + " report " + id + " --format " + format + " --audit-db a.db").out,
               Catch::Contains("[3.10,&quot;0755&quot;]") || Catch::Contains("[3.10,\"0755\"]"));
}

TEST_CASE("nested written texts are kept by JSON Pointer, escapes and all", "[values][written]") {
  Value::Map outputs{
      {"a/b", Value(Value::List{Value::Written(Value(3.1), "3.10"), Value(int64_t{7})})},
      {"k~", Value(Value::Map{{"x/y", Value::Written(Value(int64_t{755}), "0755")}})},
      {"top", Value::Written(Value(3.1), "3.10")}};
  Value::Map nested = NestedWrittenTexts(outputs);
  CHECK(nested == Value::Map{{"/a~1b/0", Value("3.10")}, {"/k~0/x~1y", Value("0755")}});
  Value::Map typed{{"a/b", Value(Value::List{Value(3.1), Value(int64_t{7})})},
                   {"k~", Value(Value::Map{{"x/y", Value(int64_t{755})}})}};
  // A pointer naming nothing, a string, or a malformed one is left as it is.
  Value::Map texts = nested;
  texts["/a~1b/5"] = Value("9");
  texts["/a~1b/01x"] = Value("9");
  texts["/k~2"] = Value("9");
  texts["nope"] = Value("9");
  RestoreNestedWritten(typed, texts);
  CHECK(typed.at("a/b").as_list()[0].ToText() == "3.10");
  CHECK(typed.at("a/b").as_list()[1].ToText() == "7");
  CHECK(typed.at("k~").as_map().at("x/y").ToText() == "0755");
  CHECK(typed.at("k~").as_map().at("x/y").as_int() == 755);
}

// break22c #3: carried over as text, a resume's comparisons and arithmetic on such an output
// changed (`v == 3.1` true before, false after; `v + 1` an error). It is the same value again.
TEST_CASE("a resumed run computes with a carried written output as the first run did",
          "[values][written][cli]") {
  std::string dir = TempDir();
  WriteFile(dir, "t.yaml",
            "version: 1\nname: t\nsteps:\n  - id: lg\n    uses: log\n"
            "    with: {message: hi, outputs: {v: 3.10, mode: 0755, k: 1e3}}\n"
            "  - id: use\n    uses: exec\n    needs: [lg]\n"
            "    if: ${{ steps.lg.outputs.v == 3.1 && steps.lg.outputs.mode == 755 }}\n"
            "    with:\n      shell: true\n"
            "      run: 'echo \"${{ steps.lg.outputs.v }} ${{ steps.lg.outputs.v + 1 }} "
            "${{ steps.lg.outputs.k > 999 }}\" >> seen; test -e go'\n");
  FailThenResume(dir);
  CHECK(ReadFile(dir + "/seen") == "3.10 4.1 true\n3.10 4.1 true\n");
}

// break22 #4: toJSON of a list or map written in the file rounded a 20-digit id into a double.
TEST_CASE("toJSON never rounds a written integer past the 64-bit range", "[values][written]") {
  std::string file = TempDir() + "/seen";
  std::string text =
      "version: 1\nname: t\nparams:\n  ids: {type: list, default: [12345678901234567890, 7]}\n"
      "  m: {type: map, default: {pyver: 3.10, mode: 0755, n: 2, f: 1.5, ok: true}}\n"
      "steps:\n  - id: show\n    uses: exec\n" +
      Printer(file, "", "'${{ toJSON(params.ids) }}', '${{ toJSON(params.m) }}'");
  // JSON's numbers: 3.10 is 3.1 there, 0755 is 755 (JSON has no leading zeros); only an
  // integer past the 64-bit range, which a number would round, is the text as written.
  CHECK(RunAndRead(text, file) ==
        "[\n  \"12345678901234567890\",\n  7\n]\n"
        "{\n  \"f\": 1.5,\n  \"mode\": 755,\n  \"n\": 2,\n  \"ok\": true,\n"
        "  \"pyver\": 3.1\n}\n");
}

// break22c #11: a used runbook's `outputs: {raw: "${{ steps.s.outputs.raw }}"}` (a whole
// expression, which keeps its type) passed 0755 on as the text alone: `== 755` was false
// through the call and true directly.
TEST_CASE("a written output passed out of a used runbook keeps its text and its number",
          "[values][written][uses]") {
  std::string dir = TempDir();
  WriteFile(dir, "lib.yaml",
            "version: 1\nname: lib\nsteps:\n  - id: s\n    uses: log\n"
            "    with: {message: hi, outputs: {raw: 0755, v: 3.10}}\n"
            "outputs:\n  raw: '${{ steps.s.outputs.raw }}'\n  v: '${{ steps.s.outputs.v }}'\n");
  WriteFile(dir, "p.yaml",
            "version: 1\nname: p\nsteps:\n  - {id: c, uses: ./lib.yaml}\n"
            "  - id: use\n    uses: exec\n    needs: [c]\n"
            "    env: {A: '${{ steps.c.outputs.raw == 755 }} ${{ steps.c.outputs.raw }} "
            "${{ steps.c.outputs.v + 1 }} ${{ steps.c.outputs.v }}'}\n"
            "    with: {run: [sh, -c, 'echo \"$A\" > seen']}\n");
  Command run = Shell("cd " + dir + " && " + Binary() + " run p.yaml --audit-db a.db");
  INFO(run.err);
  CHECK(run.exit_code == 0);
  CHECK(ReadFile(dir + "/seen") == "true 0755 4.1 3.10\n");
}

// break24a C3: fromJSON() read numbers as JSON parsers do: `1e3` became 1000.0 where it became
// text, and an integer past 64 bits was refused though the same integer in the file is taken.
TEST_CASE("fromJSON gives its numbers as the JSON text has them", "[values][written]") {
  std::string file = TempDir() + "/seen";
  std::string text =
      "version: 1\nname: t\nparams:\n  j: {type: string, default: '{\"a\": 1e3, \"b\": [3.10, "
      "12345678901234567890123], \"c\": 7}'}\n"
      "steps:\n  - id: show\n    uses: exec\n" +
      Printer(
          file, "",
          "'${{ fromJSON(params.j).a }}', '${{ fromJSON(params.j).b[0] }}', "
          "'${{ fromJSON(params.j).b[1] }}', '${{ fromJSON(params.j).a + fromJSON(params.j).c }}', "
          "'${{ fromJSON(params.j).b[0] == 3.1 }}'");
  // Arithmetic on 1e3 is a double's, as `${{ 1e3 + 7 }}` is.
  CHECK(RunAndRead(text, file) == "1e3\n3.10\n12345678901234567890123\n1007.0\ntrue\n");
}

// break24a C4: one rule for a number's text wherever it is read. An integer past 64 bits in a
// --set list was refused where the file took it; 1e-400 read as 0 where 1e400 was refused.
TEST_CASE("a number's text follows one rule in the file, --set, JSON and expressions",
          "[values][written][cli]") {
  std::string dir = TempDir();
  WriteFile(dir, "l.yaml",
            "version: 1\nname: l\nparams:\n  l: {type: list, default: [1]}\n  n: {type: number, "
            "default: 1}\nsteps:\n  - {id: a, uses: exec, with: {run: [sh, -c, 'echo \"$1 $2\" "
            "> seen', x, '${{ params.l[0] }}', '${{ params.l[1] }}']}}\n");
  const std::string rb = "cd " + dir + " && " + Binary();
  const std::string big = "123456789012345678901234";
  CHECK(Shell(rb + " run l.yaml --audit-db a.db --set 'l=[" + big + ", 7]'").exit_code == 0);
  CHECK(ReadFile(dir + "/seen") == big + " 7\n");
  // Beyond a double either way: refused, never 0 nor infinite.
  // Nor is what strtod alone would take: hex, a space, inf (break25a #8: 0x1p3 was 8.0).
  for (const char* set :
       {"n=1e-400", "n=1e400", "l=[1e-400]", "l=[-1e400]", "n=0x1p3", "n= 5", "n=inf"}) {
    CAPTURE(set);
    Command c = Shell(rb + " run l.yaml --audit-db a.db --set '" + std::string(set) + "'");
    CHECK(c.exit_code == 2);
    CHECK_THAT(c.err, Catch::Contains("out of range") || Catch::Contains("finite number") ||
                          Catch::Contains("number overflow"));
  }
  CHECK_THAT(Diagnose("version: 1\nname: t\nparams:\n  n: {type: number, default: 1e-400}\n"
                      "steps: []\n"),
             Catch::Contains("expected a number, found string '1e-400'"));
  CHECK_THAT(Diagnose("version: 1\nname: t\nsteps:\n  - {id: a, uses: log, with: {message: "
                      "\"${{ 1e-400 }}\"}}\n"),
             Catch::Contains("number 1e-400 is out of range"));
  // A subnormal is a number; zero written any way is zero.
  CHECK(Shell(rb + " run l.yaml --audit-db a.db --set 'l=[1e-310, 0.0e-999]'").exit_code == 0);
  CHECK(ReadFile(dir + "/seen") == "1e-310 0.0e-999\n");
}

// break24a C2: `runbook schedule` and serve's catalog gave a schedule's params and a param's
// default as JSON numbers ([755, 3.1]) where the run gets them as written.
TEST_CASE("schedule shows a schedule's params as written, beside their JSON",
          "[values][written][cli][schedule]") {
  std::string dir = TempDir();
  WriteFile(dir, "s.yaml",
            "version: 1\nname: s\nparams:\n  l: {type: list, default: [0755, 3.10]}\n  v: {type: "
            "number, default: 1}\non:\n  schedule:\n    - cron: '0 3 * * *'\n      params: {l: "
            "[0755, 3.10], v: 2.50}\nsteps:\n  - {id: a, uses: log, with: {message: hi}}\n");
  Command text = Shell(Binary() + " schedule " + dir + "/s.yaml");
  // A `number` param is a number (2.5), as its default is; a list keeps its items' text.
  CHECK_THAT(text.out, Catch::Contains("params: l=[\"0755\",3.10], v=2.5\n"));
  Command json = Shell(Binary() + " schedule --format json " + dir + "/s.yaml");
  auto parsed = ParseJson(json.out);
  REQUIRE(parsed.ok());
  const Value& s = parsed.value().as_list()[0].Find("schedules")->as_list()[0];
  CHECK(ToJson(*s.Find("params_written")) == "{\"l\":\"[\\\"0755\\\",3.10]\"}");
}
