// backup's `name` is one file name inside `dest`: a literal one is refused at load (validate,
// exit 2, at its location), one from an expression or --set when the step runs, before
// anything is written. The rule (CheckFileName) is the one a key's segment follows.
#include <catch2/catch.hpp>

#include "steps/backup_site.h"
#include "steps/common/safe_path.h"

using namespace runbook;
using namespace runbook::test;

namespace {

// A runbook whose backup name comes from the param `label`.
void WriteParamRunbook(const Site& s) {
  WriteFile(s.dir, "pn.yaml",
            "version: 1\nname: pn\nparams:\n  label: { type: string, default: nightly }\n"
            "steps:\n  - id: s\n    uses: backup\n    with: {database: app.sqlite, dest: "
            "P/dest, name: \"${{ params.label }}\", keep_last: 1}\n");
}

// Every file below `dir` (relative), one a line, sorted.
std::string Tree(const Site& s, const std::string& dir) {
  return Shell("cd " + s.Path(dir) + " && find . -mindepth 1 | sort").out;
}

}  // namespace

TEST_CASE("backup name: '../' from --set writes nothing outside dest", "[steps][backup][name]") {
  Site s;
  s.MakeDb();
  Shell("mkdir -p " + s.Path("P/dest") + " " + s.Path("P/victims"));
  WriteParamRunbook(s);
  Command c = Shell("cd " + s.dir + " && " +
                    Rb("run pn.yaml --set 'label=../victims/new-a' --audit-db " + s.db));
  CHECK(c.exit_code == 1);
  CHECK(c.err.find("name '../victims/new-a' is not one file name") != std::string::npos);
  CHECK(Tree(s, "P/victims").empty());
  CHECK(Tree(s, "P/dest").empty());
  // The variant that failed late and left scratch files beside the victim.
  Command deeper =
      Shell("cd " + s.dir + " && " +
            Rb("run pn.yaml --set 'label=app-x/../../victims/app-a' --audit-db " + s.db));
  CHECK(deeper.exit_code == 1);
  CHECK(deeper.err.find("holds a '/'") != std::string::npos);
  CHECK(Tree(s, "P/victims").empty());
  // A plain name still works.
  CHECK(Shell("cd " + s.dir + " && " + Rb("run pn.yaml --set label=ok --audit-db " + s.db))
            .exit_code == 0);
  CHECK(Tree(s, "P/dest") == "./ok.sqlite.gz\n./ok.sqlite.gz.meta.json\n");
}

TEST_CASE("backup name: literal names that are not one file name are refused at load",
          "[steps][backup][name]") {
  Site s;
  s.MakeDb();
  Shell("mkdir -p " + s.Path("dumps"));
  for (std::string name :
       {"../other/esc", "", "..", ".", "a/b", "/tmp/abs", "x\\u0000y", "x\\ty", "x\\u007fy"}) {
    INFO(name);
    WriteFile(s.dir, "rb.yaml",
              "version: 1\nname: t\nsteps:\n  - id: b\n    uses: backup\n    with: {database: "
              "app.sqlite, dest: dumps, name: \"" +
                  name + "\"}\n");
    Command v = Shell("cd " + s.dir + " && " + Rb("validate rb.yaml"));
    CHECK(v.exit_code == 2);
    CHECK(v.err.find("rb.yaml:6:") != std::string::npos);
    CHECK(v.err.find("is not one file name") != std::string::npos);
  }
  CHECK(Tree(s, "dumps").empty());
}

TEST_CASE("file name rule: one segment, no control bytes, and odd but legal names pass",
          "[safe_path][name]") {
  for (std::string bad : {std::string(""), std::string("."), std::string(".."), std::string("a/b"),
                          std::string("/x"), std::string("x\0y", 3), std::string("x\ny"),
                          std::string("x\x1b[2J"), std::string("\x7f")}) {
    INFO(Printable(bad));
    CHECK_FALSE(UnsafeFileNameReason(bad).empty());
    CHECK_FALSE(CheckFileName("name", bad).ok());
  }
  for (std::string good : {"a..b", "...", ".hidden", "with space", "ümlaut-2026", "x-y_z.1"}) {
    INFO(good);
    CHECK(UnsafeFileNameReason(good).empty());
  }
}

TEST_CASE("backup name: two backups publishing one name at the same moment write it once",
          "[steps][backup][name]") {
  // breakM M15: both wrote dumps/app-<time>.sqlite.gz, each saying it did (the existence
  // check and the rename raced). Now one publishes; the other finds it published (as its
  // own snapshot, done, or refused) — never a second write over it.
  Site s;
  s.MakeDb();
  WriteFile(s.dir, "rb.yaml",
            "version: 1\nname: t\nsteps:\n  - {id: b, uses: backup, with: {database: app.sqlite, "
            "dest: dumps, name: app}}\n");
  for (int round = 0; round < 4; ++round) {
    Shell("rm -rf " + s.Path("dumps") + " " + s.dir + "/o1 " + s.dir + "/o2");
    std::string one = Rb("run rb.yaml --audit-db " + s.dir + "/a1.db");
    std::string two = Rb("run rb.yaml --audit-db " + s.dir + "/a2.db");
    Shell("cd " + s.dir + " && (" + one + " > o1 2>&1 & " + two + " > o2 2>&1 & wait)");
    std::string out = ReadFile(s.dir + "/o1") + ReadFile(s.dir + "/o2");
    INFO(out);
    size_t wrote = 0;
    for (size_t at = out.find("| wrote dumps/"); at != std::string::npos;
         at = out.find("| wrote dumps/", at + 1))
      ++wrote;
    size_t dumps =
        std::stoul(Shell("ls " + s.Path("dumps") + " | grep -c '\\.sqlite\\.gz$'; true").out);
    CHECK(wrote == dumps);  // each dump file was written by one backup only
  }
}

TEST_CASE("backup name: backups of same-named databases into one folder at once each get one",
          "[steps][backup][name]") {
  // breakFF N21: eu/app.db and us/app.db backed up by two steps of one run at the same
  // moment: both chose app-<time> and the second failed "already exists", every time. The
  // default name is chosen again under the folder's lock; a name given with `name:` is not.
  Site s;
  std::string regions[] = {"eu", "us", "ap"};
  std::string steps;
  for (const std::string& r : regions) {
    Shell("mkdir -p " + s.Path(r));
    Shell("sqlite3 " + s.Path(r + "/app.db") + " \"create table t(x); insert into t values('" + r +
          "')\"");
    steps += "  - {id: " + r + ", uses: backup, with: {database: " + r +
             "/app.db, dest: dumps, keep_last: 1}}\n";
  }
  WriteFile(s.dir, "rb.yaml", "version: 1\nname: t\nsteps:\n" + steps);
  for (int round = 0; round < 3; ++round) {
    Command c = Shell("cd " + s.dir + " && " + Rb("run rb.yaml --audit-db a.db"));
    INFO(c.out << c.err);
    REQUIRE(c.exit_code == 0);
    // One dump per region, each holding its own database (retention keeps 1 per source).
    std::string listing = Shell("ls " + s.Path("dumps") + " | grep -c '\\.sqlite\\.gz$'").out;
    CHECK(listing == "3\n");
    std::string rows = Shell("cd " + s.Path("dumps") +
                             " && for f in *.sqlite.gz; do gzip -dc $f > /tmp/n21-$$.db && "
                             "sqlite3 /tmp/n21-$$.db 'select x from t'; done; rm -f /tmp/n21-$$.db")
                           .out;
    CHECK(rows.find("eu") != std::string::npos);
    CHECK(rows.find("us") != std::string::npos);
    CHECK(rows.find("ap") != std::string::npos);
  }
  // Two steps naming one dump with `name:` still meet: validate says so (two writers).
  WriteFile(s.dir, "named.yaml",
            "version: 1\nname: t\nsteps:\n"
            "  - {id: eu, uses: backup, with: {database: eu/app.db, dest: dumps, name: app}}\n"
            "  - {id: us, uses: backup, with: {database: us/app.db, dest: dumps, name: app}}\n");
  Command named = Shell("cd " + s.dir + " && " + Rb("run named.yaml --audit-db a.db"));
  CHECK(named.exit_code != 0);
}
