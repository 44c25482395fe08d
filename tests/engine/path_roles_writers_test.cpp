// breakBB2: writers kept apart by kind of file, not only by name. A folder a step deletes in
// (s3-sync's dest) equal to another writer's folder (F8), a file written whole by two
// different kinds of parameter (F2: an archive over a dump, over an env file, over a flags
// file), a path running *under* a name another step writes or guards as a file (F10:
// "<target>-wal/x"), and ".." after a link folded lexically at validate (F3).
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "engine/roles_site.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

std::string Steps(const std::string& steps) { return "version: 1\nname: w\nsteps:\n" + steps; }

const std::string kBackup =
    "  - id: b\n    uses: backup\n    with: {database: src.db, dest: bk, name: n}\n";
const std::string kRestore =
    "  - id: r\n    uses: restore\n    with: {source: src.db, target: data/app.db, env_file: "
    "data/app.env, force: true}\n";
const std::string kFlags =
    "  - id: f\n    uses: flag-update\n    with: {file: cfg/flags.json, flag: x, "
    "rollout: 5}\n";

std::string Archive(const std::string& id, const std::string& output) {
  return "  - id: " + id + "\n    uses: archive\n    with: {output: \"" + output +
         "\", files: [src.db]}\n";
}

std::string Sync(const std::string& id, const std::string& source, const std::string& dest) {
  return "  - id: " + id + "\n    uses: s3-sync\n    with: {source: \"" + source + "\", dest: \"" +
         dest + "\", delete: true, inventory: \"\"}\n";
}

// Two uploads into s3://bk/dr, at endpoints `a` and `b` ("": none, AWS).
std::string Endpoints(const std::string& a, const std::string& b) {
  auto one = [](const char* id, const std::string& endpoint) {
    return std::string("  - id: ") + id +
           "\n    uses: s3-sync\n    with: {source: src, dest: 's3://bk/dr'" +
           (endpoint.empty() ? "" : ", endpoint: '" + endpoint + "'") + "}\n";
  };
  return one("s1", a) + one("s2", b);
}

struct Case {
  const char* what;
  std::string steps;
  const char* says;  // "" when the runbook is sane
};

}  // namespace

TEST_CASE("validate keeps writers of different kinds of file apart (breakBB2 F2, F8, F10)",
          "[engine][path_roles]") {
  std::vector<Case> cases = {
      // F8 and variants: a folder s3-sync deletes in holds no other step's file.
      {"backup's dest is s3-sync's dest (F8)", kBackup + Sync("s", "src", "bk"),
       "(the same path, "},
      {"two s3-syncs of one dest", Sync("s1", "src", "m") + Sync("s2", "src2", "m"),
       "(the same path, "},
      {"backup's dest inside s3-sync's dest", kBackup + Sync("s", "src", "."),
       "is inside the folder"},
      // F2 and variants: a file written whole by two kinds of parameter.
      {"an archive over backup's dump (F2)", kBackup + Archive("z", "bk/n.sqlite.gz"),
       "is a name the step writing in"},
      {"an archive over backup's metadata", kBackup + Archive("z", "bk/x.sqlite.gz.meta.json"),
       "is a name the step writing in"},
      {"an archive under backup's dump name (breakDD D9)",
       kBackup + Archive("z", "bk/n.sqlite.gz/x.zip"), "a name the step writing in"},
      {"an archive under backup's metadata name",
       kBackup + Archive("z", "bk/n.sqlite.gz.meta.json/y/x.zip"), "a name the step writing in"},
      {"an archive over restore's env_file (F2)", kRestore + Archive("z", "data/app.env"),
       "(the same path, "},
      {"an archive over a flags file (F2)", kFlags + Archive("z", "cfg/flags.json"),
       "(the same path, "},
      {"a service log over a flags file",
       kFlags + "  - id: svc\n    uses: service\n    with: {run: [sleep, '1'], log: "
                "cfg/flags.json}\n",
       "(the same path, "},
      // F10 and variants: a path under a name another writes or guards as a file.
      {"an archive under the target's -wal (F10)", kRestore + Archive("z", "data/app.db-wal/x"),
       "is under "},
      {"an archive under the target itself", kRestore + Archive("z", "data/app.db/x.zip"),
       "is under "},
      {"an archive under a flags file's lock", kFlags + Archive("z", "cfg/flags.json.lock/x"),
       "is under "},
      {"an archive under a kept copy's name (breakCC C2)",
       kRestore + Archive("z", "data/app.db.before-restore/x.zip"), "is under "},
      {"an archive under a dated kept copy's name",
       kRestore + Archive("z", "data/app.db.before-restore-2026/x.zip"), "is under "},
      {"a backup's dest under the target's -journal",
       kRestore + "  - id: b\n    uses: backup\n    with: {database: src.db, dest: "
                  "data/app.db-journal/d}\n",
       "is under "},
      {"s3-sync's dest under an archive", Archive("z", "out.zip") + Sync("s", "src", "out.zip/m"),
       "is under "},
      // breakCC C10: remote prefixes, compared with remote ones by their text.
      {"two uploads into one prefix",
       Sync("s1", "src", "s3://bk/daily") + Sync("s2", "src2", "s3://bk/daily/"),
       "(the same path, "},
      {"an upload under another's prefix",
       Sync("s1", "src", "s3://bk/daily") + Sync("s2", "src2", "s3://bk/daily/x"),
       "is inside the folder"},
      {"uploads into two prefixes",
       Sync("s1", "src", "s3://bk/a") + Sync("s2", "src2", "s3://bk/b"), ""},
      {"one prefix on two services (breakCC C11, breakDD D11: a second site)",
       "  - id: s1\n    uses: s3-sync\n    with: {source: src, dest: 's3://bk/dr', endpoint: "
       "'http://127.0.0.1:9001'}\n  - id: s2\n    uses: s3-sync\n    with: {source: src, dest: "
       "'s3://bk/dr', endpoint: 'http://127.0.0.1:9002'}\n",
       ""},
      // breakEE E2: one service, spelled two ways (a key per service: S3ServiceKey).
      {"one MinIO as LOCALHOST and as 127.0.0.1 (E2)",
       Endpoints("http://LOCALHOST:9000/", "http://127.0.0.1:9000"), "(the same path, "},
      {"loopback as localhost and as [::1]",
       Endpoints("http://localhost:9000", "http://[::1]:9000"), "(the same path, "},
      {"a host with and without its default port",
       Endpoints("http://Minio.Example:80", "http://minio.example./"), "(the same path, "},
      {"AWS by default and by a regional endpoint",
       Endpoints("", "https://s3.eu-west-1.amazonaws.com"), "(the same path, "},
      {"two hosts", Endpoints("https://minio.example", "https://minio2.example"), ""},
      {"one host, two schemes and so two ports",
       Endpoints("http://minio.example", "https://minio.example"), ""},
      {"an upload beside a local folder of the same name",
       Sync("s1", "src", "s3://bk/daily") + Sync("s2", "src2", "s3:/bk/daily"), ""},
      // breakDD D14, breakCC C15: a step writing over what it reads itself.
      {"canary-compare's summary over its current report",
       "  - id: c\n    uses: canary-compare\n    with: {current: rep/cur.json, baseline: "
       "rep/base.json, summary: rep/cur.json}\n",
       "which the step also reads"},
      {"restore's target at its source",
       "  - id: r\n    uses: restore\n    with: {source: src.db, target: src.db, force: true}\n",
       "which the step also reads"},
      // breakEE E3: a tcp probe writes no report; its unused default is no writer.
      {"two tcp probes",
       "  - {id: p1, uses: probe, with: {kind: tcp, address: '127.0.0.1:9'}}\n"
       "  - {id: p2, uses: probe, with: {kind: tcp, address: '127.0.0.1:10'}}\n",
       ""},
      // breakEE E1 (and the same-step rule): an archive's output among its own files.
      {"an archive over one of its files", Archive("z", "src.db"), "which the step also reads"},
      // breakEE E6: a step writing inside (or around) a folder it reads itself.
      {"s3-sync's dest inside its own source (E6)", Sync("s", "src", "src/mirror"),
       "which the step also reads"},
      {"s3-sync's source inside its own dest", Sync("s", "m/src", "m"),
       "which the step also reads"},
      {"s3-sync's inventory inside its own source (E6)",
       "  - id: s\n    uses: s3-sync\n    with: {source: src, dest: m, inventory: src/inv.json}\n",
       "which the step also reads"},
      {"an archive inside a folder it packs",
       "  - id: z\n    uses: archive\n    with: {output: src/out.zip, files: [src]}\n",
       "which the step also reads"},
      {"s3-sync's dest beside its source", Sync("s", "src", "src-mirror"), ""},
      // Sane: shared files and folders, and names a folder's writer does not write.
      {"two backups into one folder",
       kBackup + "  - id: b2\n    uses: backup\n    with: {database: src.db, dest: bk, name: m}\n",
       ""},
      {"an archive beside the dumps", kBackup + Archive("z", "bk/evidence.zip"), ""},
      {"hash's and s3-sync's inventory",
       "  - id: h\n    uses: hash\n    with: {files: [src.db], verify: none, inventory: inv.json}\n"
       "  - id: s\n    uses: s3-sync\n    with: {source: src, dest: m, inventory: inv.json}\n",
       ""},
      {"two flag-updates of one file",
       kFlags + "  - id: f2\n    uses: flag-update\n    with: {file: cfg/flags.json, "
                "flag: y, rollout: 5}\n",
       ""},
      // breakCC C1: the same parameter of two steps writes one file whole twice.
      {"two archives of one output", Archive("z1", "o.zip") + Archive("z2", "o.zip"),
       "(the same path, "},
      {"two restores' env_file",
       kRestore + "  - id: r2\n    uses: restore\n    with: {source: src.db, target: data/b.db, "
                  "env_file: data/app.env, force: true}\n",
       "(the same path, "},
      {"two services' log (appended)",
       "  - id: s1\n    uses: service\n    with: {run: [sleep, '1'], log: svc.log}\n"
       "  - id: s2\n    uses: service\n    with: {run: [sleep, '1'], log: svc.log}\n",
       ""},
      // breakCC C24: a dump whose name starts with a dot is one of backup's names too.
      {"an archive over a dot-named dump",
       "  - id: b\n    uses: backup\n    with: {database: src.db, dest: bk, name: .n}\n" +
           Archive("z", "bk/.n.sqlite.gz"),
       "is a name the step writing in"},
  };
  std::string dir = RolesDir();
  for (const Case& c : cases) {
    INFO(c.what);
    WriteFile(dir, "rb.yaml", Steps(c.steps));
    Command v = RolesRun(dir, "validate rb.yaml");
    INFO(v.out << v.err);
    if (*c.says == '\0') {
      CHECK(v.exit_code == 0);
      continue;
    }
    CHECK(v.exit_code == 2);
    CHECK_THAT(v.err, Catch::Contains("rb.yaml:") && Catch::Contains(c.says) &&
                          Catch::Contains("choose another path"));
  }
}

TEST_CASE("a run refuses a writer of another kind at a dump it made, before it acts (F2, F8)",
          "[engine][path_roles]") {
  // The paths come from an output: no load can know them; the run checks as each step starts.
  std::string dir = RolesDir();
  Shell("mkdir -p " + dir + "/src && echo a > " + dir + "/src/a.txt");
  for (const char* second : {"sync", "archive"}) {
    INFO(second);
    std::string writer = std::string(second) == "sync"
                             ? Sync("w", "src", "${{ steps.p.outputs.d }}")
                             : Archive("w", "${{ steps.p.outputs.d }}/n.sqlite.gz");
    WriteFile(dir, "rb.yaml",
              Steps(kBackup +
                    "  - id: p\n    uses: exec\n    needs: [b]\n    with: {run: [sh, -c, 'echo "
                    "d=bk >> \"$RUNBOOK_OUTPUT\"']}\n" +
                    writer.replace(writer.find("    uses"), 0, "    needs: [p]\n")));
    Shell("rm -rf " + dir + "/bk");
    Command run = RolesRun(dir, "run rb.yaml --audit-db a.db");
    INFO(run.out << run.err);
    CHECK(run.exit_code == 1);
    CHECK_THAT(run.err, Catch::Contains("choose another path"));
    CHECK(
        Shell("gzip -t " + dir + "/bk/n.sqlite.gz && test -e " + dir + "/bk/n.sqlite.gz.meta.json")
            .exit_code == 0);
  }
}

TEST_CASE("a path with .. after a link is where the kernel goes, at validate and in notes (F3)",
          "[engine][path_roles]") {
  std::string dir = RolesDir();
  std::string elsewhere = TempDir();
  Shell("mkdir -p " + elsewhere + "/a && ln -s " + elsewhere + "/a " + dir + "/lnk");
  // lnk/../t1/app.db is <elsewhere>/t1/app.db: not the target t1/app.db, so no clash.
  WriteFile(dir, "rb.yaml",
            Steps(Archive("z", "lnk/../t1/app.db") +
                  "  - id: r\n    uses: restore\n    needs: [z]\n    with: {source: src.db, "
                  "target: t1/app.db, force: true}\n"));
  Command v = RolesRun(dir, "validate rb.yaml");
  INFO(v.out << v.err);
  CHECK(v.exit_code == 0);
  Command run = RolesRun(dir, "run rb.yaml --audit-db a.db");
  INFO(run.out << run.err);
  CHECK(run.exit_code == 0);
  // The folder made for the zip is named where it is.
  CHECK_THAT(run.out + run.err, Catch::Contains("created folder " + elsewhere + "/t1 (mode 0700)"));
  CHECK(Shell(kSqliteWaiting + dir + "/t1/app.db 'select count(*) from t'").out == "1\n");
  CHECK(Shell("unzip -l " + elsewhere + "/t1/app.db").exit_code == 0);
}

// breakDD D10, D11: two integrity-checks keeping their copy in one workspace, or two
// restores of one target, with no order between them ran at once and wrote over each other
// mid-way. Sharers of such a path take turns: one after the other in `needs`.
TEST_CASE("steps sharing a checked copy or a restored target must take turns",
          "[engine][path_roles]") {
  auto check = [](const char* id, const char* needs) {
    return std::string("  - id: ") + id + "\n    uses: integrity-check\n" + needs +
           "    with: {source: src.db, workspace: ws/copy.db, keep: true}\n";
  };
  auto restore = [](const char* id, const char* needs) {
    return std::string("  - id: ") + id + "\n    uses: restore\n" + needs +
           "    with: {source: src.db, target: data/app.db, force: true}\n";
  };
  struct Turn {
    const char* what;
    std::string text;
    bool clash;
  };
  std::vector<Turn> cases = {
      {"two checks of one workspace at once (D10)", Steps(check("c1", "") + check("c2", "")), true},
      {"the second after the first", Steps(check("c1", "") + check("c2", "    needs: [c1]\n")),
       false},
      {"after it through a third step",
       Steps(check("c1", "") + "  - {id: mid, uses: log, needs: [c1], with: {message: x}}\n" +
             check("c2", "    needs: [mid]\n")),
       false},
      {"two restores of one target at once (D11)", Steps(restore("r1", "") + restore("r2", "")),
       true},
      {"restored twice in turn", Steps(restore("r1", "") + restore("r2", "    needs: [r1]\n")),
       false},
      {"one step at a time",
       "version: 1\nname: w\nmax_parallel: 1\nsteps:\n" + check("c1", "") + check("c2", ""), false},
  };
  std::string dir = RolesDir();
  for (const Turn& t : cases) {
    INFO(t.what);
    WriteFile(dir, "rb.yaml", t.text);
    Command v = RolesRun(dir, "validate rb.yaml");
    INFO(v.out << v.err);
    CHECK(v.exit_code == (t.clash ? 2 : 0));
    if (t.clash)
      CHECK_THAT(v.err, Catch::Contains("and the two may run at the same time") &&
                            Catch::Contains("put one after the other with `needs`"));
  }
}
