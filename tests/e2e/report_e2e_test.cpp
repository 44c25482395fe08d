// The report an auditor signs (issue 14 #11, #2, #10): a realistic drill with an
// approval, reported as HTML, Markdown and JSON, every fact checked against what the test
// computes itself (the dump's sha256, the runbook's sha256, the approval's input, the
// event range from `audit export`); a resumed run's report names the chain of runs and the
// RTO's clock.
#include <catch2/catch.hpp>

#include "engine/util/json.h"
#include "support/s3rver.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

// The shipped runbooks' base: the project's root, above their folder.
const char* const kShippedBase =
    "working_directory: ..   # paths below are relative to the project's root folder\n";

std::string FileSha256(const std::string& file) {
  Command c = Shell("sha256sum " + file + " | cut -c1-64");
  REQUIRE(c.exit_code == 0);
  REQUIRE(c.out.size() == 65);
  return c.out.substr(0, 64);
}

Value Json(const std::string& text) {
  auto v = ParseJson(text);
  REQUIRE(v.ok());
  return v.value();
}

std::string LatestRun(const std::string& db) {
  std::string id = LatestRunId(db);
  REQUIRE(!id.empty());
  return id;
}

// runbooks/drill-local.yaml with an approval gate before the restore that asks for the
// incident ticket.
std::string DrillWithApproval(const std::string& dir) {
  std::string text = ReadFile(std::string(RUNBOOK_SOURCE_DIR) + "/runbooks/drill-local.yaml");
  auto at = text.find("needs: [check, mirror]");
  REQUIRE(at != std::string::npos);
  text.replace(at, 22, "needs: [check, mirror, go]");
  std::string gate =
      "  - id: go\n    uses: approval\n    needs: [check]\n    with:\n"
      "      prompt: Restore into the isolated path?\n"
      "      inputs: {ticket: {type: string, required: true}}\n\n";
  at = text.find("finally:");
  REQUIRE(at != std::string::npos);
  text.insert(at, gate);
  return WriteFile(dir, "drill.yaml", text);
}

struct Reports {
  std::string md, html;
  Value json;
};

Reports AllFormats(const std::string& id, const std::string& db) {
  Reports r;
  r.md = Shell(BinaryWith("report " + id + " --format md --audit-db " + db)).out;
  r.html = Shell(BinaryWith("report " + id + " --format html --audit-db " + db)).out;
  r.json = Json(Shell(BinaryWith("report " + id + " --format json --audit-db " + db)).out);
  return r;
}

// The first and last seq of the run's events and the last one's hash, from `audit export`.
struct Position {
  int64_t first = 0, last = 0;
  std::string hash;
};
Position FromExport(const std::string& id, const std::string& db) {
  Command c = Shell(BinaryWith("audit export --audit-db " + db));
  REQUIRE(c.exit_code == 0);
  Position p;
  size_t start = 0;
  for (size_t nl = c.out.find('\n'); nl != std::string::npos; nl = c.out.find('\n', start)) {
    Value e = Json(c.out.substr(start, nl - start));
    start = nl + 1;
    if (e.Find("run_id")->ToText() != id) continue;
    if (p.first == 0) p.first = e.Find("seq")->as_int();
    p.last = e.Find("seq")->as_int();
    p.hash = e.Find("hash")->ToText();
  }
  return p;
}

// `text` with `what` replaced by `with` (which must be there).
std::string Replaced(std::string text, const std::string& what, const std::string& with) {
  auto at = text.find(what);
  REQUIRE(at != std::string::npos);
  return text.replace(at, what.size(), with);
}

bool Has(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

// The JSON evidence: the dump from the backup step with its size, and the restore's backup
// with when it was taken and its age.
void CheckEvidence(const Value& json, const std::string& dump_sha) {
  bool dump_seen = false, restored_seen = false;
  for (const Value& a : json.Find("evidence")->as_list()) {
    if (a.Find("step")->ToText() == "dump" && a.Find("sha256")->ToText() == dump_sha)
      dump_seen = a.Find("bytes")->as_int() > 0;
    if (a.Find("step")->ToText() == "restore")
      restored_seen = a.Find("age_ms")->is_number() && !a.Find("taken_at")->ToText().empty();
  }
  CHECK(dump_seen);
  CHECK(restored_seen);
}

}  // namespace

TEST_CASE("a drill's report carries every fact an auditor signs, in html, md and json",
          "[e2e][report]") {
  std::string dir = TempDir();
  std::string db = dir + "/a.db";
  std::string file = DrillWithApproval(dir);
  Command run = Shell(BinaryWith("run " + file + " --set work=" + dir + "/w --approve go --input " +
                                 "go.ticket=INC-4711 --audit-db " + db));
  REQUIRE(run.exit_code == 0);
  std::string id = LatestRun(db);
  std::string dump = Shell("ls " + dir + "/w/backups/*.sqlite.gz").out;
  dump.pop_back();
  std::string dump_sha = FileSha256(dump), runbook_sha = FileSha256(file);
  Position pos = FromExport(id, db);
  Reports r = AllFormats(id, db);
  std::string json = ToJson(r.json);
  for (const std::string* text : {&r.md, &r.html, &json}) {
    CHECK(Has(*text, dump_sha));     // the dump and its hash, from the backup step
    CHECK(Has(*text, dump));         // the artifact's path
    CHECK(Has(*text, runbook_sha));  // the whole sha256 of the runbook file
    CHECK(Has(*text, "INC-4711"));   // the approval's input
    CHECK(Has(*text, dir + "/w"));   // the parameter `work`
    CHECK(Has(*text, pos.hash));     // the last event's hash, as `audit export` has it
    CHECK(Has(*text, "run clock"));  // which clock the RTO is
  }
  for (const std::string* text : {&r.md, &r.html}) {
    CHECK(Has(*text, "#" + std::to_string(pos.first) + "–#" + std::to_string(pos.last)));
    CHECK(Has(*text, "runbook audit verify --audit-db " + db));  // the store it is checked in
    CHECK(Has(*text, "Approvals"));
    CHECK(Has(*text, "--approve ("));  // who approved
    CHECK(Has(*text, "Evidence"));
    CHECK(Has(*text, "old at restore"));  // which backup the drill restored, and its age
  }
  const Value& chain = *r.json.Find("audit_chain");
  CHECK(chain.Find("first_seq")->as_int() == pos.first);
  CHECK(chain.Find("last_seq")->as_int() == pos.last);
  CHECK(chain.Find("last_hash")->ToText() == pos.hash);
  CHECK(chain.Find("store")->ToText() == db);
  CHECK(r.json.Find("rto_clock")->ToText() == "run");
  CHECK(r.json.Find("approvals")->as_list()[0].Find("inputs")->Find("ticket")->ToText() ==
        "INC-4711");
  CheckEvidence(r.json, dump_sha);
  CHECK(Shell(BinaryWith("audit verify --audit-db " + db)).exit_code == 0);
}

TEST_CASE("report --output takes the format from the extension", "[e2e][report]") {
  std::string dir = TempDir();
  std::string db = dir + "/a.db";
  std::string file = WriteFile(dir, "x.yaml",
                               "version: 1\nname: ext\nsteps:\n"
                               "  - {id: a, uses: log, with: {message: hi}}\n");
  REQUIRE(Shell(BinaryWith("run " + file + " --audit-db " + db)).exit_code == 0);
  std::string id = LatestRun(db);
  for (const char* name : {"r.html", "r.HTM", "r.json", "r.md", "r.txt"})
    REQUIRE(
        Shell(BinaryWith("report " + id + " --output " + dir + "/" + name + " --audit-db " + db))
            .exit_code == 0);
  CHECK(ReadFile(dir + "/r.html").rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(ReadFile(dir + "/r.HTM").rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(ParseJson(ReadFile(dir + "/r.json")).ok());
  CHECK(ReadFile(dir + "/r.md").rfind("## Runbook report: ext", 0) == 0);
  CHECK(ReadFile(dir + "/r.txt").rfind("## Runbook report: ext", 0) == 0);
  // .pdf is the PDF report (report_pdf_e2e_test.cpp reads it).
  REQUIRE(Shell(BinaryWith("report " + id + " --output " + dir + "/r.PDF --audit-db " + db))
              .exit_code == 0);
  CHECK(ReadFile(dir + "/r.PDF").rfind("%PDF-", 0) == 0);
  // Another extension is refused, not written as Markdown (breakM M16).
  for (const char* other : {"r.docx", "r.pdf.bak"}) {
    Command c =
        Shell(BinaryWith("report " + id + " --output " + dir + "/" + other + " --audit-db " + db));
    CHECK(c.exit_code == 2);
    CHECK_THAT(c.err, Catch::Contains("cannot tell which from its extension; give --format"));
    CHECK(ReadFile(dir + "/" + other).empty());
  }
  // An explicit --format wins over the extension.
  REQUIRE(Shell(BinaryWith("report " + id + " --format md --output " + dir + "/m.html --audit-db " +
                           db))
              .exit_code == 0);
  CHECK(ReadFile(dir + "/m.html").rfind("## Runbook report: ext", 0) == 0);
}

TEST_CASE("a resumed run's report names the runs it continues and the incident clock",
          "[e2e][report][resume]") {
  std::string dir = TempDir();
  std::string db = dir + "/audit.db";
  WriteFile(dir, "r.yaml",
            "version: 1\nname: inc\nobjectives: {rto: 1h}\nsteps:\n"
            "  - {id: a, uses: exec, with: {run: [sleep, '0.5']}}\n"
            "  - {id: b, uses: exec, needs: [a], with: {run: [test, -f, fixed]}}\n"
            "  - {id: c, uses: exec, needs: [b], with: {run: [test, -f, fixed2]}}\n");
  CHECK(Shell("cd " + dir + " && " + BinaryWith("run r.yaml --audit-db " + db)).exit_code == 1);
  std::string first = LatestRun(db);
  Shell("touch " + dir + "/fixed");
  CHECK(
      Shell("cd " + dir + " && " + BinaryWith("resume " + first + " --audit-db " + db)).exit_code ==
      1);
  std::string second = LatestRun(db);
  Shell("touch " + dir + "/fixed2");
  CHECK(Shell("cd " + dir + " && " + BinaryWith("resume " + second + " --audit-db " + db))
            .exit_code == 0);
  std::string third = LatestRun(db);
  REQUIRE(third != second);
  Reports r = AllFormats(third, db);
  for (const std::string* text : {&r.md, &r.html}) {
    CHECK(Has(*text, "incident clock: counted from the first run " + first));
    CHECK(Has(*text, "this run alone took"));
    auto a = text->find(first + "</code> original"), b = text->find(second + "</code> resume");
    if (text == &r.md) a = text->find(first + "` original"), b = text->find(second + "` resume");
    CHECK(a != std::string::npos);
    CHECK(b != std::string::npos);
    CHECK(a < b);
  }
  CHECK(r.json.Find("rto_clock")->ToText() == "incident");
  const Value::List& runs = r.json.Find("run_chain")->as_list();
  REQUIRE(runs.size() == 3);
  CHECK(runs[0].Find("run_id")->ToText() == first);
  CHECK(runs[1].Find("run_id")->ToText() == second);
  CHECK(runs[2].Find("this_run")->as_bool());
  CHECK(r.json.Find("resumed_from")->ToText() == second);
  // The original's report shows the same chain: an auditor starting there finds the end.
  Value original =
      Json(Shell(BinaryWith("report " + first + " --format json --audit-db " + db)).out);
  CHECK(original.Find("run_chain")->as_list().size() == 3);
  CHECK(original.Find("rto_clock")->ToText() == "run");
}

TEST_CASE("a signed drill with an off-site copy on S3: the report has ETags, bytes, signature",
          "[e2e][report][s3]") {
  S3rver server("backups");
  std::string dir = TempDir();
  std::string db = dir + "/a.db";
  REQUIRE(Shell("cd " + dir + " && openssl genpkey -algorithm ed25519 -out key.pem 2>/dev/null" +
                " && openssl pkey -in key.pem -pubout -out pub.pem")
              .exit_code == 0);
  std::string text = ReadFile(std::string(RUNBOOK_SOURCE_DIR) + "/runbooks/drill-local.yaml");
  text = Replaced(text, kShippedBase, "");  // this copy's paths are relative to its folder
  text = Replaced(text, "      keep_last: 7\n", "      keep_last: 7\n      sign_key: key.pem\n");
  text = Replaced(text, "      files: [\"${{ steps.dump.outputs.path }}\"]\n",
                  "      files: [\"${{ steps.dump.outputs.path }}\"]\n      public_key: pub.pem\n");
  text = Replaced(text, "      dest: \"${{ params.work }}/mirror\"\n",
                  "      dest: s3://backups/drill\n      endpoint: " + server.endpoint() + "\n");
  WriteFile(dir, "drill.yaml", text);
  Command run = Shell("cd " + dir + " && AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER " +
                      BinaryWith("run drill.yaml --set work=" + dir + "/w --audit-db " + db));
  REQUIRE(run.exit_code == 0);
  std::string id = LatestRun(db);
  std::string dump = Shell("ls " + dir + "/w/backups/*.sqlite.gz").out;
  dump.pop_back();
  // A single-part upload's ETag is the MD5 of the object.
  std::string md5 = Shell("md5sum " + dump + " | cut -c1-32").out.substr(0, 32);
  std::string bytes = Shell("stat -c %s " + dump).out;
  bytes.pop_back();
  Reports r = AllFormats(id, db);
  std::string json = ToJson(r.json);
  // The signing key's id, as the dump's metadata records it (backup's output key_id).
  std::string key_id = Shell("python3 -c \"import json,glob; print(json.load(open(glob.glob('" +
                             dir + "/w/backups/*.meta.json')[0]))['key_id'])\"")
                           .out;
  REQUIRE(key_id.size() > 8);
  key_id.pop_back();
  for (const std::string* text_of : {&r.md, &r.html, &json}) {
    CHECK(Has(*text_of, md5));                // the object's ETag
    CHECK(Has(*text_of, "signature valid"));  // hash checked the dump's signed metadata
    CHECK(Has(*text_of, key_id));             // and which key signed it
  }
  bool object_seen = false;
  for (const Value& a : r.json.Find("evidence")->as_list())
    if (a.Find("step")->ToText() == "mirror" && Has(a.Find("etag")->ToText(), md5))
      object_seen = a.Find("bytes")->ToText() == bytes && !a.Find("sha256")->ToText().empty();
  CHECK(object_seen);
  CHECK(Has(r.md, "bytes="));  // the transfer's total, from the step's outputs
}

TEST_CASE("a resumed run's report lists the approvals of the runs it continues (breakL L17)",
          "[e2e][report][resume]") {
  std::string dir = TempDir();
  std::string db = dir + "/audit.db";
  WriteFile(dir, "r.yaml",
            "version: 1\nname: inc\nsteps:\n"
            "  - id: declare\n    uses: approval\n    with:\n      prompt: Declare?\n"
            "      inputs: {ticket: {type: string, required: true}}\n"
            "  - {id: b, uses: exec, needs: [declare], with: {run: [test, -f, fixed]}}\n"
            "  - {id: switch, uses: approval, needs: [b], with: {prompt: Switch now}}\n");
  CHECK(
      Shell("cd " + dir + " && " +
            BinaryWith("run r.yaml --approve declare --input declare.ticket=INC-7 --approve switch "
                       "--audit-db " +
                       db) +
            " </dev/null")
          .exit_code == 1);  // b fails: switch is never reached
  std::string first = LatestRun(db);
  Shell("touch " + dir + "/fixed");
  CHECK(Shell("cd " + dir + " && " +
              BinaryWith("resume " + first + " --approve switch --audit-db " + db) + " </dev/null")
            .exit_code == 0);
  std::string second = LatestRun(db);
  Reports r = AllFormats(second, db);
  const Value::List& approvals = r.json.Find("approvals")->as_list();
  REQUIRE(approvals.size() == 2);
  CHECK(approvals[0].Find("step")->ToText() == "declare");
  CHECK(approvals[0].Find("run_id")->ToText() == first);
  CHECK(approvals[0].Find("inputs")->Find("ticket")->ToText() == "INC-7");
  CHECK(approvals[1].Find("step")->ToText() == "switch");
  CHECK(approvals[1].Find("run_id")->ToText() == second);
  CHECK(Has(r.md, "| declare |"));
  CHECK(Has(r.md, "ticket=INC-7"));
  CHECK(Has(r.md, "| " + first + " |"));
  CHECK(Has(r.html, "<td>declare</td>"));
  CHECK(Has(r.html, first + "</td></tr>"));
}
