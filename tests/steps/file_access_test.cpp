// breakBB2: the access of what steps write, by kind (engine/util/file_access.h). A named
// user or group an ACL keeps out of the source, or out of a folder above it, is kept out of
// the copy (F1); every file a step replaces keeps its owner, group, mode and ACL, mirror
// copies, downloads and archives included (F9); a step with two files to replace refuses
// before the first when the second's owner cannot be kept (F4); and a lock made by root is
// no lock-out for the file's owner (F5). Run as root, the others through setpriv.
#include <catch2/catch.hpp>
#include <string>

#include "steps/backup_site.h"
#include "support/s3rver.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

const std::string kAsNobody = "setpriv --reuid=65534 --regid=65534 --clear-groups ";

// Whether `nobody` can read `path`.
bool NobodyReads(const std::string& path) {
  return Shell(kAsNobody + "head -c 1 '" + path + "' > /dev/null 2>&1").exit_code == 0;
}

std::string Stat(const std::string& path) { return Shell("stat -c '%a %U:%G' " + path).out; }

}  // namespace

TEST_CASE("a user an ACL keeps from the database reads none of its copies (F1)",
          "[steps][modes][acl]") {
  struct Case {
    const char* what;
    const char* deny;  // setfacl, run in the site's folder
  };
  const Case cases[] = {
      {"on the database's folder", "setfacl -m u:nobody:--- s"},
      {"on the database itself", "setfacl -m u:nobody:--- s/app.sqlite s/app.sqlite-wal"},
      {"a named group on the database", "setfacl -m g:nogroup:--- s/app.sqlite s/app.sqlite-wal"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.what);
    Site s;
    Shell("chmod 0755 " + s.dir + " && mkdir -m 0755 " + s.Path("s") + " " + s.Path("pub"));
    s.MakeDb("s/app.sqlite");
    Shell("chmod 0644 " + s.Path("s") + "/app.sqlite*; cd " + s.dir + " && " + c.deny);
    REQUIRE(s.Run("  - {id: b, uses: backup, with: {database: s/app.sqlite, dest: pub, name: "
                  "d}}\n"
                  "  - {id: m, uses: s3-sync, needs: [b], with: {source: s, dest: mirror, "
                  "inventory: ''}}\n")
                .exit_code == 0);
    for (const char* copy : {"pub/d.sqlite.gz", "pub/d.sqlite.gz.meta.json", "mirror/app.sqlite"}) {
      CAPTURE(copy);
      CHECK_FALSE(NobodyReads(s.Path(copy)));
    }
  }
  // A named user given more than others is no reason to narrow: the copy keeps 0644.
  Site open;
  Shell("chmod 0755 " + open.dir + " && mkdir -m 0755 " + open.Path("pub"));
  open.MakeDb();
  Shell("chmod 0644 " + open.Path("app.sqlite") + "* && setfacl -m u:daemon:rw " +
        open.Path("app.sqlite"));
  REQUIRE(open.Run("  - {id: b, uses: backup, with: {database: app.sqlite, dest: pub, name: d}}\n")
              .exit_code == 0);
  CHECK(NobodyReads(open.Path("pub/d.sqlite.gz")));
}

TEST_CASE("a file a sync or an archive replaces keeps its owner, group, mode and ACL (F9)",
          "[steps][modes][acl]") {
  Site s;
  Shell("chmod 0755 " + s.dir + " && cd " + s.dir +
        " && mkdir -m 0755 src dst && echo new > src/a.txt && chmod 0644 src/a.txt && echo old > "
        "dst/a.txt && chmod 0640 dst/a.txt && chown nobody:daemon dst/a.txt && setfacl -m u:bin:r "
        "dst/a.txt && echo z > out.zip && chown nobody:daemon out.zip && chmod 0640 out.zip && "
        "setfacl -m u:bin:r out.zip");
  Command c = s.Run(
      "  - {id: s, uses: s3-sync, with: {source: src, dest: dst, inventory: ''}}\n"
      "  - {id: z, uses: archive, with: {output: out.zip, files: [src/a.txt]}}\n");
  INFO(c.out << c.err);
  REQUIRE(c.exit_code == 0);
  CHECK(Shell("cat " + s.Path("dst/a.txt")).out == "new\n");
  for (const char* f : {"dst/a.txt", "out.zip"}) {
    CAPTURE(f);
    CHECK(Stat(s.Path(f)) == "640 nobody:daemon\n");
    CHECK_THAT(Shell("getfacl -cp " + s.Path(f)).out, Catch::Contains("user:bin:r--"));
  }
  // No wider than the source: a 0600 source over a 0644 file gives 0600, owner kept.
  Shell("cd " + s.dir + " && echo newer > src/a.txt && chmod 0600 src/a.txt && setfacl -b " +
        "dst/a.txt && chmod 0644 dst/a.txt");
  REQUIRE(s.Run("  - {id: s, uses: s3-sync, with: {source: src, dest: dst, inventory: ''}}\n")
              .exit_code == 0);
  CHECK(Stat(s.Path("dst/a.txt")) == "600 nobody:daemon\n");

  // A download over a file keeps that file's owner, group and mode (an object has none).
  S3rver server("backups");
  std::string with = "endpoint: '" + server.endpoint() + "'";
  REQUIRE(RunSync(s.dir, "source: src, dest: 's3://backups/d', " + with, "secret-1").exit_code ==
          0);
  Shell("cd " + s.dir + " && mkdir -m 0755 back && echo old > back/a.txt && chown nobody:daemon " +
        "back/a.txt && chmod 0640 back/a.txt");
  Command down = RunSync(s.dir, "source: 's3://backups/d', dest: back, " + with, "secret-1");
  INFO(down.out << down.err);
  REQUIRE(down.exit_code == 0);
  CHECK(Shell("cat " + s.Path("back/a.txt")).out == "newer\n");
  CHECK(Stat(s.Path("back/a.txt")) == "640 nobody:daemon\n");
}

TEST_CASE("a mirror copy whose owner cannot be kept is not replaced", "[steps][modes]") {
  Site s;
  Shell("chmod 0777 " + s.dir + " && cd " + s.dir +
        " && mkdir -m 0777 src dst && echo new > src/a.txt && chmod 0644 src/a.txt && echo old > "
        "dst/a.txt && chmod 0644 dst/a.txt && chown daemon:daemon dst/a.txt && chown nobody " +
        s.dir + "/audit.db 2>/dev/null; true");
  Command c = s.Run("  - {id: s, uses: s3-sync, with: {source: src, dest: dst, inventory: ''}}\n",
                    kAsNobody + "env HOME=" + s.dir + " ");
  INFO(c.out << c.err);
  CHECK(c.exit_code == 1);
  CHECK_THAT(c.err, Catch::Contains("cannot keep the owner (uid 1) of dst/a.txt"));
  CHECK(Shell("cat " + s.Path("dst/a.txt")).out == "old\n");
  CHECK(Stat(s.Path("dst/a.txt")) == "644 daemon:daemon\n");
}

TEST_CASE("restore refuses before the swap when env_file's owner cannot be kept (F4)",
          "[steps][modes][restore]") {
  Site s;
  s.MakeDb();
  Shell("chmod 0755 " + s.dir + " && mkdir -m 0777 " + s.Path("app") + " " + s.Path("dumps"));
  REQUIRE(s.Run("  - {id: b, uses: backup, with: {database: app.sqlite, dest: dumps, name: d}}\n")
              .exit_code == 0);
  Shell("cd " + s.dir + " && chmod 0755 dumps && chmod 0644 dumps/* && sqlite3 app/db.sqlite " +
        "'create table old(y)' && chown nobody:nogroup app/db.sqlite && chmod 0640 app/db.sqlite " +
        "&& echo DATABASE_PATH=/srv/old > app/env && chmod 0644 app/env && mkdir nb && chown " +
        "nobody nb");
  std::string before = Shell("sha256sum < " + s.Path("app/db.sqlite")).out;
  WriteFile(s.dir, "rs.yaml",
            "version: 1\nname: rs\nsteps:\n  - {id: r, uses: restore, with: {source: "
            "dumps/d.sqlite.gz, target: app/db.sqlite, env_file: app/env, force: true}}\n");
  Command c = Shell("cd " + s.dir + " && chmod 0644 rs.yaml && " + kAsNobody + "env HOME=" + s.dir +
                    "/nb " + Binary() + " run rs.yaml --audit-db nb/n.db");
  INFO(c.out << c.err);
  CHECK(c.exit_code == 1);
  CHECK_THAT(c.err, Catch::Contains("untouched: env_file: cannot keep the owner (uid 0) of " +
                                    s.dir + "/app/env"));
  CHECK(Shell("sha256sum < " + s.Path("app/db.sqlite")).out == before);
  CHECK(Shell("cat " + s.Path("app/env")).out == "DATABASE_PATH=/srv/old\n");
}

TEST_CASE("a lock root made beside a file is no lock-out for the file's owner (F5)",
          "[steps][flag-update][inventory]") {
  Site s;
  Shell("chmod 0755 " + s.dir + " && cd " + s.dir +
        " && mkdir cfg nb && chown nobody:nogroup cfg nb && echo '{\"flags\":{\"x\":{\"rollout\":"
        "5}}}' > cfg/f.json && chown nobody:nogroup cfg/f.json && echo a > cfg/data.txt && "
        "chmod 0644 cfg/data.txt && echo '{\"version\": 1, \"entries\": []}' > cfg/inv.json && "
        "chown nobody:nogroup cfg/inv.json");
  auto steps = [](int rollout) {
    return "  - {id: a, uses: flag-update, with: {file: cfg/f.json, flag: x, rollout: " +
           std::to_string(rollout) +
           "}}\n  - {id: h, uses: hash, with: {files: [cfg/data.txt], verify: none, inventory: "
           "cfg/inv.json}}\n";
  };
  REQUIRE(s.Run(steps(61)).exit_code == 0);  // root
  CHECK(Stat(s.Path("cfg/f.json.lock")) == "600 nobody:nogroup\n");
  CHECK(Stat(s.Path("cfg/inv.json.lock")) == "600 nobody:nogroup\n");
  // A lock an older runbook left root's: the owner is told whose it is and what to do; one
  // it may read is opened read-only; root's next run gives it back.
  auto as_owner = [&](int rollout) {
    WriteFile(s.dir, "rb.yaml", "version: 1\nname: t\nsteps:\n" + steps(rollout));
    return Shell("cd " + s.dir + " && chmod 0644 rb.yaml && " + kAsNobody + "env HOME=" + s.dir +
                 "/nb " + Binary() + " run rb.yaml --audit-db nb/n.db");
  };
  Shell("cd " + s.dir + " && chown root:root cfg/f.json.lock cfg/inv.json.lock");
  Command refused = as_owner(62);
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.err, Catch::Contains("the lock belongs to uid 0, mode 0600; a run as root "
                                          "gives it the owner of cfg/f.json"));
  Shell("chmod 0644 " + s.Path("cfg/f.json.lock") + " " + s.Path("cfg/inv.json.lock"));
  Command read_only = as_owner(63);
  INFO(read_only.out << read_only.err);
  CHECK(read_only.exit_code == 0);
  CHECK_THAT(Shell("cat " + s.Path("cfg/f.json")).out, Catch::Contains("63"));
  REQUIRE(s.Run(steps(64)).exit_code == 0);  // root again
  CHECK(Stat(s.Path("cfg/f.json.lock")) == "644 nobody:nogroup\n");
}

TEST_CASE(
    "restore refuses before the swap what it can know: env_file's folder, its own dump "
    "(breakCC C5, C15)",
    "[steps][restore]") {
  Site s;
  s.MakeDb();
  Shell("chmod 0755 " + s.dir + " && mkdir -m 0777 " + s.Path("app") + " && mkdir " +
        s.Path("dumps") + " " + s.Path("nb") + " && chown nobody " + s.Path("nb"));
  REQUIRE(s.Run("  - {id: b, uses: backup, with: {database: app.sqlite, dest: dumps, name: d}}\n")
              .exit_code == 0);
  Shell("cd " + s.dir + " && chmod 0755 dumps && chmod 0644 dumps/* && sqlite3 app/db.sqlite " +
        "'create table old(y)' && chown nobody app/db.sqlite && mkdir -m 0755 envdir");
  std::string before = Shell("sha256sum < " + s.Path("app/db.sqlite")).out;
  WriteFile(s.dir, "rs.yaml",
            "version: 1\nname: rs\nsteps:\n  - {id: r, uses: restore, with: {source: "
            "dumps/d.sqlite.gz, target: app/db.sqlite, env_file: envdir/env, force: true}}\n");
  Command c = Shell("cd " + s.dir + " && chmod 0644 rs.yaml && " + kAsNobody + "env HOME=" + s.dir +
                    "/nb " + Binary() + " run rs.yaml --audit-db nb/n.db");
  INFO(c.out << c.err);
  CHECK(c.exit_code == 1);
  CHECK_THAT(c.err, Catch::Contains("untouched: env_file: cannot write in " + s.dir + "/envdir"));
  CHECK(Shell("sha256sum < " + s.Path("app/db.sqlite")).out == before);
  // The dump restored over itself.
  std::string dump = Shell("sha256sum < " + s.Path("dumps/d.sqlite.gz")).out;
  Command self = s.Run(
      "  - {id: r, uses: restore, with: {source: dumps/d.sqlite.gz, target: "
      "dumps/d.sqlite.gz, force: true}}\n");
  INFO(self.out << self.err);
  CHECK(self.exit_code == 2);  // known at validate: the step would replace what it reads
  CHECK_THAT(self.err, Catch::Contains("parameter 'target' guards a path that its own parameter "
                                       "'source' reads (the same path, "));
  CHECK(Shell("sha256sum < " + s.Path("dumps/d.sqlite.gz")).out == dump);
  // breakDD D7: nor over its metadata, nor over another dump.
  std::string meta = Shell("sha256sum < " + s.Path("dumps/d.sqlite.gz.meta.json")).out;
  for (const char* target : {"dumps/d.sqlite.gz.meta.json", "dumps/other.sqlite.gz"}) {
    CAPTURE(target);
    Command named = s.Run(std::string("  - {id: r, uses: restore, with: {source: "
                                      "dumps/d.sqlite.gz, target: ") +
                          target + ", force: true}}\n");
    CHECK(named.exit_code == 1);
    CHECK_THAT(named.err, Catch::Contains("the target is named as a dump or its metadata"));
  }
  CHECK(Shell("sha256sum < " + s.Path("dumps/d.sqlite.gz.meta.json")).out == meta);
}

TEST_CASE("integrity-check's kept copy, replaced, keeps its owner, group and ACL (breakCC C9)",
          "[steps][modes][acl]") {
  Site s;
  s.MakeDb();
  Shell("chmod 0755 " + s.dir + " && mkdir " + s.Path("dumps"));
  REQUIRE(s.Run("  - {id: b, uses: backup, with: {database: app.sqlite, dest: dumps, name: d}}\n")
              .exit_code == 0);
  const std::string check =
      "  - {id: i, uses: integrity-check, with: {source: dumps/d.sqlite.gz, "
      "workspace: ws/c.sqlite, keep: true}}\n";
  REQUIRE(s.Run(check).exit_code == 0);
  Shell("cd " + s.dir + " && chown nobody:daemon ws/c.sqlite && chmod 0640 ws/c.sqlite && " +
        "setfacl -m u:bin:r ws/c.sqlite && chmod 0640 dumps/d.sqlite.gz && chgrp daemon " +
        "dumps/d.sqlite.gz");
  Command again = s.Run(check);
  INFO(again.out << again.err);
  REQUIRE(again.exit_code == 0);
  CHECK(Stat(s.Path("ws/c.sqlite")) == "640 nobody:daemon\n");
  CHECK_THAT(Shell("getfacl -cp " + s.Path("ws/c.sqlite")).out, Catch::Contains("user:bin:r--"));
}

// breakDD D13, D1, D2, D15: what can refuse is asked before the first change; a copy over a
// file is no more readable than what it copies; an inventory masks the run's secrets.
TEST_CASE("refusals come before the first change, and copies and inventories keep secrets",
          "[steps][modes][inventory]") {
  Site s;
  s.MakeDb();
  Shell("chmod 0755 " + s.dir + " && mkdir " + s.Path("dumps") + " " + s.Path("app"));
  REQUIRE(s.Run("  - {id: b, uses: backup, with: {database: app.sqlite, dest: dumps, name: d}}\n")
              .exit_code == 0);
  // D13: an immutable env_file refuses the restore before the database is swapped.
  Shell("cd " + s.dir + " && sqlite3 app/db.sqlite 'create table old(y)' && echo A=1 > app/env " +
        "&& chattr +i app/env");
  std::string before = Shell("sha256sum < " + s.Path("app/db.sqlite")).out;
  Command r = s.Run(
      "  - {id: r, uses: restore, with: {source: dumps/d.sqlite.gz, target: "
      "app/db.sqlite, env_file: app/env, force: true}}\n");
  Shell("chattr -i " + s.Path("app/env"));
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("untouched: env_file: ") && Catch::Contains("immutable"));
  CHECK(Shell("sha256sum < " + s.Path("app/db.sqlite")).out == before);
  // D1: an inventory that cannot be replaced refuses the sync before any copy or delete.
  Shell("cd " + s.dir + " && mkdir -p src m && echo new > src/a.txt && echo old > m/z.txt && " +
        "echo '{\"version\": 1, \"entries\": []}' > inv.json && chattr +i inv.json");
  Command sync = s.Run(
      "  - {id: s, uses: s3-sync, with: {source: src, dest: m, delete: true, "
      "force_delete: true, inventory: inv.json}}\n");
  Shell("chattr -i " + s.Path("inv.json"));
  INFO(sync.out << sync.err);
  CHECK(sync.exit_code == 1);
  CHECK_THAT(sync.err, Catch::Contains("immutable") && Catch::Contains("nothing was changed"));
  CHECK(Shell("ls " + s.Path("m")).out == "z.txt\n");
  // D2: a 0600 report promoted over a 0644 baseline makes it 0600.
  Shell("cd " + s.dir + " && mkdir rep && echo '{\"errorRate\": 0.0, \"checks\": " +
        "{\"catalog\": {\"durationMs\": 83, \"p95\": 120.5, \"p99\": 130}}}' > rep/cur.json && "
        "chmod 0600 rep/cur.json && cp rep/cur.json " +
        "rep/base.json && chmod 0644 rep/base.json");
  Command c = s.Run(
      "  - {id: c, uses: canary-compare, with: {current: rep/cur.json, baseline: "
      "rep/base.json, promote: true}}\n");
  INFO(c.out << c.err);
  CHECK(c.exit_code == 0);
  CHECK(Stat(s.Path("rep/base.json")) == "600 root:root\n");
  // D15: a folder named by a secret is masked in the inventory's `file`.
  Shell("mkdir -p " + s.Path("tok-S3CR3T9") + " && echo a > " + s.Path("tok-S3CR3T9/a.txt"));
  WriteFile(s.dir, "h.yaml",
            "version: 1\nname: h\nsecrets:\n  d: {env: SDIR}\nsteps:\n  - {id: h, uses: hash, "
            "with: {files: ['${{ secrets.d }}/a.txt'], verify: none, inventory: inv2.json}}\n");
  REQUIRE(
      Shell("cd " + s.dir + " && SDIR=tok-S3CR3T9 " + Binary() + " run h.yaml --audit-db " + s.db)
          .exit_code == 0);
  std::string inv = Shell("cat " + s.Path("inv2.json")).out;
  CHECK_THAT(inv, Catch::Contains("/***/a.txt") && !Catch::Contains("S3CR3T9"));
}

// breakEE E7: a file without an ACL, replaced in a folder with a default ACL, took the
// folder's named entries: an account its 0640 mode kept out could read it.
TEST_CASE("a replaced file gets no entries from its folder's default ACL", "[steps][modes][acl]") {
  Site s;
  Shell("chmod 0755 " + s.dir + " && cd " + s.dir +
        " && mkdir -m 0755 src dst && echo new > src/a.txt && chmod 0640 src/a.txt && echo old > "
        "dst/a.txt && chmod 0640 dst/a.txt && setfacl -d -m u:nobody:r dst");
  REQUIRE(s.Run("  - {id: s, uses: s3-sync, with: {source: src, dest: dst, inventory: ''}}\n")
              .exit_code == 0);
  CHECK(Shell("cat " + s.Path("dst/a.txt")).out == "new\n");
  CHECK_FALSE(NobodyReads(s.Path("dst/a.txt")));
  CHECK_THAT(Shell("getfacl -cp " + s.Path("dst/a.txt")).out, !Catch::Contains("user:nobody"));
}

// breakDD D5: folders a step made as root inside another account's folder were root's 0700:
// that account's own runs (the next backup into its folder, its retention) could not write
// there. Each folder made takes the owner and group of the folder it is made in, whichever
// way the step makes it (mkdir -p of a dest, the beneath-root walk of a sync's destination),
// and what exists stays as it is.
TEST_CASE("folders made as root in another account's folder are that account's", "[steps][modes]") {
  Site s;
  Shell("chmod 0755 " + s.dir + " && mkdir -m 0755 " + s.Path("alice") + " " + s.Path("kept") +
        " && chown 65534:65534 " + s.Path("alice"));
  s.MakeDb();
  REQUIRE(s.Run("  - {id: b, uses: backup, with: {database: app.sqlite, dest: alice/dumps/daily, "
                "name: d}}\n"
                "  - {id: m, uses: s3-sync, needs: [b], with: {source: alice/dumps, dest: "
                "alice/mirror/x, inventory: ''}}\n"
                "  - {id: k, uses: s3-sync, needs: [b], with: {source: alice/dumps, dest: "
                "kept/y, inventory: ''}}\n")
              .exit_code == 0);
  for (const char* folder : {"alice/dumps", "alice/dumps/daily", "alice/mirror", "alice/mirror/x",
                             "alice/mirror/x/daily"}) {
    CAPTURE(folder);
    CHECK(Stat(s.Path(folder)) == "700 nobody:nogroup\n");
  }
  // nobody's own runs can write into the folders root made for it.
  CHECK(Shell("cd " + s.dir + " && " + kAsNobody + "touch alice/dumps/daily/probe").exit_code == 0);
  // Folders made in root's own folder stay root's; the folder that was there keeps its owner.
  CHECK(Stat(s.Path("kept/y")) == "700 root:root\n");
  CHECK(Stat(s.Path("alice")) == "755 nobody:nogroup\n");
}
