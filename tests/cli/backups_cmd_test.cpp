// runbook backups and retention that keeps what was verified, end to end with the real
// binary: backups of a real SQLite database, a drill's integrity check of one, a sync to a
// mirror folder; the catalog's JSON and text; a retention dry run and a run with `keep:` that
// keep the verified dump; `keep:` mistakes located at load.
#include <catch2/catch.hpp>

#include "engine/util/json.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

struct Shop {
  std::string dir = TempDir();
  Command Rb(const std::string& args) const {
    return Shell("cd " + dir + " && " + Binary() + " " + args + " --audit-db a.db");
  }
  void Write(const std::string& name, const std::string& steps, const std::string& head = "") {
    WriteFile(
        dir, name,
        "version: 1\nname: " + name.substr(0, name.find('.')) + "\n" + head + "steps:\n" + steps);
  }
  // live.db with one row, and nightly.yaml: a backup of it named by the param `name`.
  void Nightly() {
    Shell("cd " + dir + " && sqlite3 live.db 'create table t(a); insert into t values (1)'");
    Write("nightly.yaml",
          "  - {id: dump, uses: backup, with: {database: live.db, dest: dumps, name: "
          "'${{ params.name }}'}}\n",
          "kind: backup\nparams:\n  name: {type: string}\n");
  }
  Value Catalog(const std::string& extra = "") const {
    Command c = Rb("backups --format json" + extra);
    INFO(c.err);
    REQUIRE(c.exit_code == 0);
    auto v = ParseJson(c.out);
    REQUIRE(v.ok());
    return v.value();
  }
};

const Value* DumpNamed(const Value& catalog, const std::string& tail) {
  for (const Value& d : catalog.Find("dumps")->as_list()) {
    const std::string& path = d.Find("path")->as_string();
    if (path.size() >= tail.size() &&
        path.compare(path.size() - tail.size(), tail.size(), tail) == 0)
      return &d;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("backups: the catalog says where each dump is, its copies, and which a drill verified",
          "[cli][backups]") {
  Shop s;
  s.Nightly();
  for (const char* name : {"d1", "d2", "d3"}) {
    Shell("cd " + s.dir + " && sqlite3 live.db 'insert into t values (2)'");
    REQUIRE(s.Rb(std::string("run nightly.yaml --set name=") + name).exit_code == 0);
  }
  s.Write("drill.yaml",
          "  - {id: check, uses: integrity-check, with: {source: dumps/d1.sqlite.gz, workspace: "
          "ws}}\n",
          "kind: drill\n");
  REQUIRE(s.Rb("run drill.yaml").exit_code == 0);
  s.Write("offsite.yaml", "  - {id: sync, uses: s3-sync, with: {source: dumps, dest: mirror}}\n");
  REQUIRE(s.Rb("run offsite.yaml").exit_code == 0);

  Value catalog = s.Catalog();
  REQUIRE(catalog.Find("dumps")->as_list().size() == 3);
  const Value* d1 = DumpNamed(catalog, "/dumps/d1.sqlite.gz");
  const Value* d3 = DumpNamed(catalog, "/dumps/d3.sqlite.gz");
  REQUIRE(d1 != nullptr);
  REQUIRE(d3 != nullptr);
  CHECK(d1->Find("path")->as_string() == s.dir + "/dumps/d1.sqlite.gz");  // absolute
  CHECK(d1->Find("present")->as_bool());
  CHECK(d1->Find("verified")->as_bool());
  const Value& proof = d1->Find("verified_by")->as_list().at(0);
  CHECK(proof.Find("runbook")->as_string() == "drill");
  CHECK(proof.Find("kind")->as_string() == "drill");
  CHECK(proof.Find("step")->as_string() == "check");
  CHECK_FALSE(d3->Find("verified")->as_bool());
  REQUIRE(d1->Find("copies")->as_list().size() == 1);
  CHECK(d1->Find("copies")->as_list()[0].Find("location")->as_string() ==
        s.dir + "/mirror/d1.sqlite.gz");
  const Value& rb = catalog.Find("runbooks")->as_list().at(0);
  CHECK(rb.Find("name")->as_string() == "nightly");
  CHECK(rb.Find("verified")->as_int() == 1);
  // The RPO of what a drill proved: the age of d1, the newest verified.
  CHECK(rb.Find("newest_verified_created_at")->as_string() == d1->Find("created_at")->as_string());
  CHECK(rb.Find("newest_created_at")->as_string() == d3->Find("created_at")->as_string());

  Command text = s.Rb("backups --runbook nightly");
  CHECK_THAT(text.out, Catch::Contains("nightly: 3 dump(s), newest "));
  CHECK_THAT(text.out, Catch::Contains("(RPO of what a drill proved)"));
  CHECK_THAT(text.out, Catch::Contains("copy    " + s.dir + "/mirror/d2.sqlite.gz"));
  CHECK_THAT(text.out, Catch::Contains("NOT VERIFIED"));
  CHECK_THAT(text.out, Catch::Contains("verified by step check of run "));
  CHECK(s.Rb("backups --runbook drill").out ==
        "no dumps recorded by runs of runbook 'drill' in "
        "this store\n");

  // keep: {last: 1} would delete d1..d3 but for d1, the newest verified: the dry run says so,
  // the run does so.
  s.Write("pruned.yaml",
          "  - {id: dump, uses: backup, with: {database: live.db, dest: dumps, name: d4, keep: "
          "{last: 1}}}\n",
          "kind: backup\n");
  Command dry = s.Rb("run pruned.yaml --dry-run");
  INFO(dry.err);
  CHECK(dry.exit_code == 0);
  CHECK_THAT(dry.err, Catch::Contains("retention: would delete dumps/d3.sqlite.gz: not kept by any "
                                      "tier, nor the newest verified"));
  CHECK_THAT(dry.err, Catch::Contains("retention: would keep dumps/d1.sqlite.gz: the newest "
                                      "verified (by step check of run "));
  CHECK(Shell("ls " + s.dir + "/dumps | grep -c 'gz$'").out == "3\n");  // nothing changed
  Command run = s.Rb("run pruned.yaml");
  CHECK(run.exit_code == 0);
  CHECK_THAT(run.err, Catch::Contains("retention: kept dumps/d1.sqlite.gz: the newest verified"));
  CHECK(Shell("cd " + s.dir + "/dumps && ls *.gz | tr '\\n' ' '").out ==
        "d1.sqlite.gz d4.sqlite.gz ");
  catalog = s.Catalog(" --runbook pruned");
  CHECK(catalog.Find("dumps")->as_list().size() == 1);  // only pruned's own
  catalog = s.Catalog();
  const Value* d2 = DumpNamed(catalog, "/dumps/d2.sqlite.gz");
  REQUIRE(d2 != nullptr);
  CHECK_FALSE(d2->Find("present")->as_bool());  // deleted here, its copy in the mirror stays
  CHECK(d2->Find("available")->as_bool());
}

TEST_CASE("backups: keep's mistakes are located at load", "[cli][backups][retention]") {
  Shop s;
  s.Write("bad.yaml",
          "  - {id: a, uses: backup, with: {database: x.db, dest: d, keep: {yearly: 1}}}\n"
          "  - {id: b, uses: backup, with: {database: x.db, dest: d, keep: {last: 2}, "
          "keep_last: 3}}\n"
          "  - {id: c, uses: backup, with: {database: x.db, dest: d, keep: {daily: 0}}}\n");
  Command c = Shell("cd " + s.dir + " && " + Binary() + " validate bad.yaml");
  CHECK(c.exit_code == 2);
  CHECK_THAT(c.err, Catch::Contains("bad.yaml:4:65:") &&
                        Catch::Contains("unknown tier 'yearly' (expected last, daily, weekly or "
                                        "monthly)"));
  CHECK_THAT(c.err, Catch::Contains("bad.yaml:5:65:") &&
                        Catch::Contains("keep (tiers) goes without keep_last and keep_days"));
  CHECK_THAT(c.err, Catch::Contains("bad.yaml:6:65:") && Catch::Contains("keep.daily: expected a "
                                                                         "whole number from 1"));
}

// breakMM MM2: a dump published again at a reused path is a second dump, and only the last is
// present. MM1: the newest verified dump whose bytes changed is not present, and the RPO rests
// on the next. MM7: a mirror copy deleted since is no copy. MM3: an altered store is said.
TEST_CASE(
    "backups: a reused path, changed bytes, a deleted mirror copy and an altered store are "
    "said",
    "[cli][backups][catalog]") {
  Shop s;
  s.Nightly();
  s.Write("drill.yaml",
          "  - {id: check, uses: integrity-check, with: {source: '${{ params.src }}', workspace: "
          "ws.db}}\n",
          "kind: drill\nparams:\n  src: {type: string}\n");
  s.Write("offsite.yaml",
          "  - {id: up, uses: s3-sync, with: {source: dumps, dest: mirror, inventory: ''}}\n");
  REQUIRE(s.Rb("run nightly.yaml --set name=p").exit_code == 0);
  REQUIRE(s.Rb("run drill.yaml --set src=dumps/p.sqlite.gz").exit_code == 0);
  REQUIRE(s.Rb("run offsite.yaml").exit_code == 0);
  // The name reused for a new dump (the old one removed by hand).
  Shell("cd " + s.dir + " && rm dumps/p.sqlite.gz* && sqlite3 live.db 'insert into t values (2)'");
  REQUIRE(s.Rb("run nightly.yaml --set name=p").exit_code == 0);
  Shell("cd " + s.dir + " && sqlite3 live.db 'insert into t values (3)'");
  REQUIRE(s.Rb("run nightly.yaml --set name=q").exit_code == 0);
  REQUIRE(s.Rb("run drill.yaml --set src=dumps/q.sqlite.gz").exit_code == 0);
  Value c = s.Catalog();
  int at_p = 0, present_p = 0;
  for (const Value& d : c.Find("dumps")->as_list())
    if (d.Find("path")->as_string() == s.dir + "/dumps/p.sqlite.gz") {
      ++at_p;
      present_p += d.Find("present")->as_bool() ? 1 : 0;
    }
  CHECK(at_p == 2);
  CHECK(present_p == 1);
  // The newest verified (q) edited in place: not present, and the RPO rests on p's first
  // dump... which was replaced; its mirror copy keeps it available until that copy goes.
  Shell("cd " + s.dir +
        " && printf 'XX' | dd of=dumps/q.sqlite.gz bs=1 seek=30 conv=notrunc "
        "2>/dev/null");
  c = s.Catalog();
  const Value* q = DumpNamed(c, "/dumps/q.sqlite.gz");
  REQUIRE(q != nullptr);
  CHECK(!q->Find("present")->as_bool());
  CHECK_THAT(q->Find("replaced")->as_string(),
             Catch::Contains("bytes changed since it was verified"));
  Value rb = c.Find("runbooks")->as_list().at(0);
  CHECK(rb.Find("verified")->as_int() == 1);  // the first p, through its mirror copy
  Shell("rm " + s.dir + "/mirror/p.sqlite.gz");
  rb = s.Catalog().Find("runbooks")->as_list().at(0);
  CHECK(rb.Find("verified")->as_int() == 0);
  CHECK(rb.Find("newest_verified_age_seconds")->is_null());
  // An edited event: said, exit 1.
  Shell("cd " + s.dir +
        " && sqlite3 a.db \"update events set body=replace(body, 'check', "
        "'chekc') where seq = (select max(seq) from events where kind = 'step_finished')\"");
  Command altered = s.Rb("backups");
  CHECK(altered.exit_code == 1);
  CHECK_THAT(altered.err, Catch::Contains("ALTERED: the audit store's chain is broken"));
}

// breakMM MM4: a later step reading a path not known yet: the run deletes nothing, and so does
// its dry run (it listed the deletion of the dump that step then read).
TEST_CASE(
    "backups: a dry run deletes nothing where the run deletes nothing, a path not known "
    "yet",
    "[cli][backups][retention]") {
  Shop s;
  s.Nightly();
  REQUIRE(s.Rb("run nightly.yaml --set name=d1").exit_code == 0);
  Shell("cd " + s.dir + " && sqlite3 live.db 'insert into t values (2)'");
  REQUIRE(s.Rb("run nightly.yaml --set name=d2").exit_code == 0);
  s.Write("r.yaml",
          "  - {id: pick, uses: exec, with: {run: [sh, -c, 'echo which=d1 >> "
          "\"$RUNBOOK_OUTPUT\"']}}\n"
          "  - {id: dump, uses: backup, with: {database: live.db, dest: dumps, name: d3, keep: "
          "{last: 1}}}\n"
          "  - {id: check, uses: integrity-check, needs: [dump, pick], with: {source: "
          "'dumps/${{ steps.pick.outputs.which }}.sqlite.gz', workspace: ws.db}}\n");
  Command dry = s.Rb("run r.yaml --dry-run");
  INFO(dry.err);
  CHECK(dry.exit_code == 0);
  CHECK_THAT(dry.err, Catch::Contains("retention: would delete nothing this run: step 'check'"));
  CHECK(dry.err.find("would delete /") == std::string::npos);
  Command run = s.Rb("run r.yaml");
  INFO(run.out << run.err);  // a CI run once failed here unexplained
  CHECK(run.exit_code == 0);
  CHECK_THAT(run.err, Catch::Contains("retention: deleted nothing this run: step 'check'"));
  CHECK(Shell("ls " + s.dir + "/dumps/d1.sqlite.gz " + s.dir + "/dumps/d2.sqlite.gz").exit_code ==
        0);
}
