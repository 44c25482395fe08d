// The one rule for the mode of what a step writes (steps/common/files.h ModeOf): a file it
// replaces keeps its mode; a new one is no more readable than what it was made from; and
// nothing is readable by more while it is written (breakW W7: a dump made 0644 then chmod;
// W11: a restore to a new target 0644 whatever the dump's mode; W12: s3-sync copied 0600
// dumps as 0644).
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <set>

#include "steps/backup_site.h"
#include "steps/common/files.h"
#include "steps/common/gzip.h"
#include "steps/common/safe_path.h"
#include "steps/common/sqlite_info.h"
#include "support/s3rver.h"

using namespace runbook;
using namespace runbook::test;

namespace {

int ModeAt(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<int>(st.st_mode & 07777) : -1;
}

std::string Octal(const std::string& path) { return Shell("stat -c %a '" + path + "'").out; }

}  // namespace

TEST_CASE("a compressed copy is created with its final mode, seen while it is written",
          "[steps][modes]") {
  std::string dir = TempDir();
  REQUIRE(Shell("head -c 3000000 /dev/urandom > " + dir + "/raw").exit_code == 0);
  std::set<int> seen;
  std::string dst = dir + "/raw.gz";
  Work watch([] { return false; }, [&](uint64_t) { seen.insert(ModeAt(dst)); });
  auto z = GzipFile(dir + "/raw", dst, 1, 256 * 1024, watch, 0600);
  REQUIRE(z.ok());
  CHECK(seen == std::set<int>{0600});
  CHECK(ModeAt(dst) == 0600);
  // The default is 0600 too: a caller that says nothing writes nothing readable by others.
  auto d = GzipFile(dir + "/raw", dir + "/default.gz");
  REQUIRE(d.ok());
  CHECK(ModeAt(dir + "/default.gz") == 0600);
}

TEST_CASE("a database copy is 0600 from its first page, whatever SQLite would make",
          "[steps][modes]") {
  std::string dir = TempDir();
  REQUIRE(Shell("cd " + dir +
                " && sqlite3 db.sqlite 'CREATE TABLE t(b); WITH RECURSIVE n(i) AS (SELECT 1 UNION "
                "ALL SELECT i+1 FROM n WHERE i<3000) INSERT INTO t SELECT randomblob(2000) FROM "
                "n' && chmod 0644 db.sqlite")
              .exit_code == 0);
  std::set<int> seen;
  std::string dst = dir + "/copy.sqlite";
  Work watch([] { return false; }, [&](uint64_t) { seen.insert(ModeAt(dst)); });
  REQUIRE(SnapshotDatabase(dir + "/db.sqlite", dst, 5000, false, watch).ok());
  CHECK(!seen.empty());
  CHECK(seen == std::set<int>{0600});
  CHECK(ModeAt(dst) == 0600);
}

TEST_CASE("an atomic rewrite keeps the mode of the file it replaces, a new file gets the one asked",
          "[steps][modes]") {
  std::string dir = TempDir();
  for (int mode : {0600, 0640, 0664}) {
    CAPTURE(mode);
    std::string path = dir + "/f" + std::to_string(mode);
    REQUIRE(WriteFileAtomic(path, "one", 0644).ok());
    REQUIRE(::chmod(path.c_str(), static_cast<mode_t>(mode)) == 0);
    REQUIRE(WriteFileAtomic(path, "two", 0644).ok());
    CHECK(ModeAt(path) == mode);  // exactly, the umask notwithstanding
    CHECK(ReadWholeFile(path).value() == "two");
  }
  REQUIRE(WriteFileAtomic(dir + "/new", "x", 0600).ok());
  CHECK(ModeAt(dir + "/new") == 0600);
  CHECK(ModeOf(dir + "/none", 0640) == 0640);
  CHECK(ModeOf(dir + "/new", 0644) == 0600);
}

TEST_CASE("a file written beneath a sync destination is created with the mode asked",
          "[steps][modes]") {
  std::string dir = TempDir();
  auto root = SafeRoot::Open(dir + "/dest", true);
  REQUIRE(root.ok());
  auto tmp = root.value().CreateTemp("sub/file.txt", 0640);
  REQUIRE(tmp.ok());
  CHECK(ModeAt(tmp.value().ProcPath()) == 0640);
  REQUIRE(tmp.value().Commit().ok());
  CHECK(ModeAt(dir + "/dest/sub/file.txt") == 0640);
  CHECK(ModeAt(dir + "/dest/sub") == 0700);  // a folder a step makes
  auto secret = root.value().CreateTemp("other.txt");
  REQUIRE(secret.ok());
  CHECK(ModeAt(secret.value().ProcPath()) == 0600);
}

TEST_CASE("s3-sync between folders keeps each file's mode, a download is 0600 (breakW W12)",
          "[steps][modes][s3]") {
  std::string dir = TempDir();  // open to others, so the sources' bits reach them (Z4)
  REQUIRE(Shell("chmod 0755 " + dir + " && cd " + dir +
                " && mkdir -p src/daily && echo a > src/daily/app.sqlite.gz && echo m > "
                "src/daily/app.sqlite.gz.meta.json && echo g > src/shared.txt && echo p > "
                "src/public.txt && chmod 0600 src/daily/app.sqlite.gz "
                "src/daily/app.sqlite.gz.meta.json && chmod 0640 src/shared.txt && chmod 0644 "
                "src/public.txt")
              .exit_code == 0);
  Command c = RunSync(dir, "source: src, dest: mirror", "unused");
  INFO(c.out << c.err);
  REQUIRE(c.exit_code == 0);
  CHECK(Octal(dir + "/mirror/daily/app.sqlite.gz") == "600\n");
  CHECK(Octal(dir + "/mirror/daily/app.sqlite.gz.meta.json") == "600\n");
  CHECK(Octal(dir + "/mirror/shared.txt") == "640\n");
  CHECK(Octal(dir + "/mirror/public.txt") == "644\n");
  // An update keeps the rule: the source's mode, not the mirror's old one.
  REQUIRE(
      Shell("cd " + dir + " && echo b > src/public.txt && chmod 0600 src/public.txt").exit_code ==
      0);
  REQUIRE(RunSync(dir, "source: src, dest: mirror", "unused").exit_code == 0);
  CHECK(Octal(dir + "/mirror/public.txt") == "600\n");

  S3rver server("backups");
  std::string with = "endpoint: '" + server.endpoint() + "'";
  REQUIRE(RunSync(dir, "source: src, dest: 's3://backups/d', " + with, "secret-1").exit_code == 0);
  Command down = RunSync(dir, "source: 's3://backups/d', dest: back, " + with, "secret-1");
  INFO(down.out << down.err);
  REQUIRE(down.exit_code == 0);
  for (const char* f : {"daily/app.sqlite.gz", "shared.txt", "public.txt"}) {
    CAPTURE(f);
    CHECK(Octal(dir + "/back/" + f) == "600\n");
  }
}

TEST_CASE("restore to a new target takes the dump's mode, an existing target keeps its own (W11)",
          "[steps][modes][restore]") {
  Site s;
  s.MakeDb();
  Shell("chmod 0755 " + s.dir + " && mkdir -p " + s.Path("dumps") + " && chmod 0640 " +
        s.Path("app.sqlite"));
  REQUIRE(s.Run("  - {id: b, uses: backup, with: {database: app.sqlite, dest: dumps, name: app}}\n")
              .exit_code == 0);
  CHECK(Octal(s.Path("dumps/app.sqlite.gz")) == "640\n");
  std::string restore =
      "  - {id: h, uses: hash, with: {files: [dumps/app.sqlite.gz]}}\n"
      "  - {id: r, uses: restore, needs: [h], with: {source: dumps/app.sqlite.gz, target: "
      "live/app.sqlite}}\n";
  Command fresh = s.Run(restore);
  INFO(fresh.out << fresh.err);
  REQUIRE(fresh.exit_code == 0);
  CHECK(Octal(s.Path("live/app.sqlite")) == "640\n");
  // A 0600 dump restored as a new file: 0600.
  Shell("rm -rf " + s.Path("live") + " && chmod 0600 " + s.Path("dumps/app.sqlite.gz"));
  REQUIRE(s.Run(restore).exit_code == 0);
  CHECK(Octal(s.Path("live/app.sqlite")) == "600\n");
  // The operator's mode on an existing target stays.
  Shell("chmod 0664 " + s.Path("live/app.sqlite"));
  REQUIRE(s.Run(restore).exit_code == 0);
  CHECK(Octal(s.Path("live/app.sqlite")) == "664\n");
}

TEST_CASE("an archive is as readable as its least readable input and the file it replaces",
          "[steps][modes][archive]") {
  Site s;
  Shell("chmod 0755 " + s.dir + " && cd " + s.dir + " && echo log > a.log && echo dump > " +
        "b.sqlite.gz && chmod 0644 a.log && chmod 0600 b.sqlite.gz");
  std::string step =
      "  - {id: z, uses: archive, with: {files: [a.log, b.sqlite.gz], output: out/evidence.zip}}\n";
  Command c = s.Run(step);
  INFO(c.out << c.err);
  REQUIRE(c.exit_code == 0);
  CHECK(Octal(s.Path("out/evidence.zip")) == "600\n");
  // breakZ Z8: written over a wider file, it stays as narrow as its inputs.
  Shell("chmod 0644 " + s.Path("out/evidence.zip"));
  REQUIRE(s.Run(step).exit_code == 0);
  CHECK(Octal(s.Path("out/evidence.zip")) == "600\n");
  // Over a narrower file, it keeps that file's narrower mode.
  Shell("chmod 0644 " + s.Path("b.sqlite.gz") + " && chmod 0640 " + s.Path("out/evidence.zip"));
  REQUIRE(s.Run(step).exit_code == 0);
  CHECK(Octal(s.Path("out/evidence.zip")) == "640\n");
  Shell("rm " + s.Path("out/evidence.zip"));
  REQUIRE(s.Run(step).exit_code == 0);
  CHECK(Octal(s.Path("out/evidence.zip")) == "644\n");
}

TEST_CASE("flag-update keeps the mode of the flags file it rewrites", "[steps][modes]") {
  Site s;
  Shell("mkdir -p " + s.Path("config") +
        " && echo '{\"flags\": {\"flag.x\": {\"rollout\": 5}}}' > " + s.Path("config/flags.json") +
        " && chmod 0600 " + s.Path("config/flags.json"));
  Command c = s.Run(
      "  - {id: f, uses: flag-update, with: {file: config/flags.json, flag: flag.x, rollout: "
      "0}}\n");
  INFO(c.out << c.err);
  REQUIRE(c.exit_code == 0);
  CHECK(Shell("cat " + s.Path("config/flags.json")).out.find("\"rollout\": 0") !=
        std::string::npos);
  CHECK(Octal(s.Path("config/flags.json")) == "600\n");
}

// breakY Y6: the bits were copied but not the group: in a setgid folder (or for a runner
// whose group differs) a 0640 database's dump and restored copy were readable by another
// group. The new file is given the source's group, or loses its group bits.
TEST_CASE("a dump and a restored copy keep their source's group, in a setgid folder too",
          "[steps][modes][restore]") {
  Site s;
  s.MakeDb();
  Shell("chmod 0755 " + s.dir + " && cd " + s.dir +
        " && chmod 0640 app.sqlite && chgrp daemon app.sqlite && mkdir sg live " +
        "&& chgrp users sg live && chmod 2770 sg live");
  Command c = s.Run(
      "  - {id: b, uses: backup, with: {database: app.sqlite, dest: sg, name: app}}\n"
      "  - {id: r, uses: restore, needs: [b], with: {source: sg/app.sqlite.gz, target: "
      "live/app.sqlite, force: true}}\n");
  INFO(c.out << c.err);
  REQUIRE(c.exit_code == 0);
  for (const char* f : {"sg/app.sqlite.gz", "sg/app.sqlite.gz.meta.json"}) {
    CAPTURE(f);
    CHECK(Shell("stat -c '%a %G' " + s.Path(f)).out == "640 daemon\n");
  }
  // The dump sits in sg, which only `users` may pass, while the dump is daemon's: no one but
  // its owner reaches it, so neither does anyone the restored copy (breakZ Z4).
  CHECK(Shell("stat -c '%a %G' " + s.Path("live/app.sqlite")).out == "600 users\n");
}

TEST_CASE("ShareAccess: group bits only for the sources' one group", "[steps][modes]") {
  std::string dir = TempDir();
  REQUIRE(Shell("chmod 0755 " + dir + " && cd " + dir +
                " && touch a b out && chmod 0640 a b && chgrp daemon a && " +
                "chgrp users b && chmod 0600 out")
              .exit_code == 0);
  REQUIRE(ShareAccess(dir + "/out", {dir + "/a", dir + "/b"}).ok());
  CHECK(Octal(dir + "/out") == "600\n");  // two groups: neither may read it
  REQUIRE(ShareAccess(dir + "/out", {dir + "/a"}).ok());
  CHECK(Shell("stat -c '%a %G' " + dir + "/out").out == "640 daemon\n");
  REQUIRE(ShareAccess(dir + "/out", {dir + "/missing"}, 0600).ok());
  CHECK(Octal(dir + "/out") == "600\n");
}

// breakY Y9: files a step makes beside its own (flag-update's history and lock, an
// inventory and its lock) were 0644 whatever the umask and however private their source.
TEST_CASE("side files are no more readable than the file they serve, under any umask",
          "[steps][modes]") {
  Site s;
  Shell("mkdir -p " + s.Path("config") +
        " && echo '{\"flags\": {\"flag.x\": {\"rollout\": 5}}}' > " + s.Path("config/flags.json") +
        " && chmod 0600 " + s.Path("config/flags.json") + " && echo data > " + s.Path("d.bin"));
  Command c = s.Run(
      "  - {id: f, uses: flag-update, with: {file: config/flags.json, flag: flag.x, rollout: 0}}\n"
      "  - {id: h, uses: hash, with: {files: [d.bin], verify: none, inventory: "
      "inv/inventory.json}}\n",
      "umask 000 && ");
  INFO(c.out << c.err);
  REQUIRE(c.exit_code == 0);
  for (const char* f : {"config/flags.json.history.jsonl", "config/flags.json.lock",
                        "inv/inventory.json", "inv/inventory.json.lock"}) {
    CAPTURE(f);
    CHECK(Octal(s.Path(f)) == "600\n");
  }
}

// breakY Y12: root restoring a database, an env file or a flags file that the backend's own
// account owned left them root-owned (0600): the backend could no longer open them.
TEST_CASE("a file replaced as root keeps its owner", "[steps][modes][restore]") {
  Site s;
  s.MakeDb();
  Shell("mkdir -p " + s.Path("dumps") + " " + s.Path("live") + " " + s.Path("config"));
  REQUIRE(s.Run("  - {id: b, uses: backup, with: {database: app.sqlite, dest: dumps, name: app}}\n")
              .exit_code == 0);
  Shell("cd " + s.dir + " && cp app.sqlite live/app.sqlite && echo 'DATABASE_PATH=x' > live/.env " +
        "&& echo '{\"flags\": {\"flag.x\": {\"rollout\": 5}}}' > config/flags.json && chown " +
        "nobody:nogroup live/app.sqlite live/.env config/flags.json && chmod 0600 " +
        "live/app.sqlite live/.env config/flags.json");
  Command c = s.Run(
      "  - {id: h, uses: hash, with: {files: [dumps/app.sqlite.gz], inventory: ''}}\n"
      "  - {id: r, uses: restore, needs: [h], with: {source: dumps/app.sqlite.gz, target: "
      "live/app.sqlite, env_file: live/.env}}\n"
      "  - {id: f, uses: flag-update, with: {file: config/flags.json, flag: flag.x, rollout: "
      "0}}\n");
  INFO(c.out << c.err);
  REQUIRE(c.exit_code == 0);
  for (const char* f : {"live/app.sqlite", "live/.env", "config/flags.json"}) {
    CAPTURE(f);
    CHECK(Shell("stat -c '%U:%G %a' " + s.Path(f)).out == "nobody:nogroup 600\n");
  }
}

// breakZ Z4: the bits were the file's own, so a 0644 database kept private by its 0700 folder
// was dumped world-readable into an open folder. What its folders keep from others counts.
TEST_CASE("a source kept private by its folder makes a private copy", "[steps][modes]") {
  Site s;
  Shell("mkdir " + s.Path("priv"));
  s.MakeDb("priv/app.sqlite");
  Shell("chmod 0755 " + s.dir + " && chmod 0700 " + s.Path("priv") + " && chmod 0644 " +
        s.Path("priv/app.sqlite") + " && mkdir -m 0755 " + s.Path("dumps") + " " + s.Path("open"));
  Command c = s.Run(
      "  - {id: b, uses: backup, with: {database: priv/app.sqlite, dest: dumps, name: app}}\n"
      "  - {id: r, uses: restore, needs: [b], with: {source: dumps/app.sqlite.gz, target: "
      "open/app.sqlite, force: true}}\n");
  INFO(c.out << c.err);
  REQUIRE(c.exit_code == 0);
  for (const char* f :
       {"dumps/app.sqlite.gz", "dumps/app.sqlite.gz.meta.json", "open/app.sqlite"}) {
    CAPTURE(f);
    CHECK(Octal(s.Path(f)) == "600\n");
  }
  // Open to its group only: the group bits stay, the others' go.
  Shell("rm -rf " + s.Path("dumps/*") + " " + s.Path("open/*") + " && chmod 0750 " +
        s.Path("priv") + " && chgrp daemon " + s.Path("priv") + " " + s.Path("priv/app.sqlite"));
  REQUIRE(s.Run("  - {id: b, uses: backup, with: {database: priv/app.sqlite, dest: dumps, name: "
                "app}}\n")
              .exit_code == 0);
  CHECK(Shell("stat -c '%a %G' " + s.Path("dumps/app.sqlite.gz")).out == "640 daemon\n");
}

// breakZ Z5: a replaced file lost its ACL: the backend's account, named in the database's and
// the flags file's ACL, was locked out, and the mask became the group's bits.
TEST_CASE("a replaced file keeps its ACL", "[steps][modes][restore]") {
  Site s;
  s.MakeDb();
  Shell("mkdir -p " + s.Path("dumps") + " " + s.Path("live") + " " + s.Path("config"));
  REQUIRE(s.Run("  - {id: b, uses: backup, with: {database: app.sqlite, dest: dumps, name: app}}\n")
              .exit_code == 0);
  REQUIRE(Shell("cd " + s.dir + " && cp app.sqlite live/app.sqlite && echo '{\"flags\": " +
                "{\"flag.x\": {\"rollout\": 5}}}' > config/flags.json && chmod 0640 " +
                "live/app.sqlite config/flags.json && setfacl -m u:nobody:rw live/app.sqlite " +
                "&& setfacl -m u:nobody:r config/flags.json")
              .exit_code == 0);
  Command c = s.Run(
      "  - {id: h, uses: hash, with: {files: [dumps/app.sqlite.gz], inventory: ''}}\n"
      "  - {id: r, uses: restore, needs: [h], with: {source: dumps/app.sqlite.gz, target: "
      "live/app.sqlite}}\n"
      "  - {id: f, uses: flag-update, with: {file: config/flags.json, flag: flag.x, rollout: "
      "0}}\n");
  INFO(c.out << c.err);
  REQUIRE(c.exit_code == 0);
  CHECK_THAT(Shell("getfacl -p " + s.Path("live/app.sqlite")).out,
             Catch::Contains("user:nobody:rw-") && Catch::Contains("group::r--"));
  CHECK_THAT(Shell("getfacl -p " + s.Path("config/flags.json")).out,
             Catch::Contains("user:nobody:r--"));
}

// breakZ Z17: a source with an access ACL has its mask in the mode's group bits: a database
// its owning group may not read (g::---, m::rw) was dumped group-readable.
TEST_CASE("a source's ACL decides what its owning group may read of a copy", "[steps][modes]") {
  Site s;
  s.MakeDb();
  Shell("chmod 0755 " + s.dir + " && mkdir -m 0755 " + s.Path("dumps") + " && chmod 0640 " +
        s.Path("app.sqlite") + " && setfacl -m g::-,u:nobody:rw " + s.Path("app.sqlite"));
  REQUIRE(Shell("stat -c %a " + s.Path("app.sqlite")).out == "660\n");  // the mask
  Command c =
      s.Run("  - {id: b, uses: backup, with: {database: app.sqlite, dest: dumps, name: app}}\n");
  INFO(c.out << c.err);
  REQUIRE(c.exit_code == 0);
  CHECK(Octal(s.Path("dumps/app.sqlite.gz")) == "600\n");
}

// breakAA A1: the folder's mode group bits are its ACL mask too: a folder its owning group
// may not enter (g::---, mask r-x) kept a 0640 database from that group, and its dump was
// made group-readable.
TEST_CASE("a folder's ACL decides whether its owning group reaches the source", "[steps][modes]") {
  Site s;
  Shell("mkdir " + s.Path("priv"));
  s.MakeDb("priv/app.sqlite");
  Shell("chmod 0755 " + s.dir + " && mkdir -m 0755 " + s.Path("dumps") + " && chgrp daemon " +
        s.Path("priv") + " " + s.Path("priv/app.sqlite") + " && chmod 0750 " + s.Path("priv") +
        " && chmod 0640 " + s.Path("priv/app.sqlite") + " && setfacl -m g::-,u:nobody:rx " +
        s.Path("priv"));
  REQUIRE(Shell("stat -c %a " + s.Path("priv")).out == "750\n");  // the mask, not the group
  Command c = s.Run(
      "  - {id: b, uses: backup, with: {database: priv/app.sqlite, dest: dumps, name: app}}\n");
  INFO(c.out << c.err);
  REQUIRE(c.exit_code == 0);
  CHECK(Octal(s.Path("dumps/app.sqlite.gz")) == "600\n");
  // The group's own entry lets it in: the group bits stay.
  Shell("rm -f " + s.Path("dumps/*") + " && setfacl -m g::rx " + s.Path("priv"));
  REQUIRE(s.Run("  - {id: b, uses: backup, with: {database: priv/app.sqlite, dest: dumps, name: "
                "app}}\n")
              .exit_code == 0);
  CHECK(Shell("stat -c '%a %G' " + s.Path("dumps/app.sqlite.gz")).out == "640 daemon\n");
}

// breakAA A6: run by nobody (not in group daemon), a restore over a 0640 nobody:daemon
// database handed back a 0600 nobody:nogroup one: the backend in group daemon lost it. What
// cannot keep its owner and group (only root may give them) is refused, the target untouched.
TEST_CASE("a file that cannot keep its owner or group is not replaced", "[steps][modes][restore]") {
  Site s;
  s.MakeDb();
  Shell("mkdir -p " + s.Path("dumps") + " " + s.Path("live"));
  REQUIRE(s.Run("  - {id: b, uses: backup, with: {database: app.sqlite, dest: dumps, name: app}}\n")
              .exit_code == 0);
  Shell("cd " + s.dir + " && sqlite3 live/app.sqlite 'create table live(a)' && chown -R " +
        "nobody:nogroup . && chmod 0755 .");
  const std::string as_nobody = "setpriv --reuid=65534 --regid=65534 --clear-groups ";
  const std::string steps =
      "  - {id: h, uses: hash, with: {files: [dumps/app.sqlite.gz], inventory: ''}}\n"
      "  - {id: r, uses: restore, needs: [h], with: {source: dumps/app.sqlite.gz, target: "
      "live/app.sqlite}}\n";
  struct Case {
    const char* owner;
    const char* mode;
    const char* error;  // "" when the restore may go on
  };
  const Case cases[] = {
      {"nobody:daemon", "0640", "cannot keep the group (gid 1) of"},
      {"daemon:nogroup", "0666", "cannot keep the owner (uid 1) of"},
      {"nobody:daemon", "0600", ""},  // the group may do nothing: nothing to keep
  };
  for (const Case& k : cases) {
    CAPTURE(k.owner, k.mode);
    Shell("cd " + s.dir + " && rm -f live/app.sqlite* && sqlite3 live/app.sqlite " +
          "'create table live(a)' && chown " + k.owner + " live/app.sqlite && chmod " + k.mode +
          " live/app.sqlite");
    std::string before = Shell("sha256sum < " + s.Path("live/app.sqlite")).out;
    Command c = s.Run(steps, as_nobody);
    INFO(c.out << c.err);
    if (*k.error == '\0') {
      CHECK(c.exit_code == 0);
      continue;
    }
    CHECK(c.exit_code == 1);
    CHECK_THAT(c.err, Catch::Contains(k.error) && Catch::Contains("only root may give a file"));
    CHECK(Shell("sha256sum < " + s.Path("live/app.sqlite")).out == before);
    CHECK(Shell("stat -c '%U:%G' " + s.Path("live/app.sqlite")).out == std::string(k.owner) + "\n");
  }
}

// breakZ Z4 variant: the rows of a 0600 -wal are in the dump of its 0644 database: the dump
// is no more readable than the -wal.
TEST_CASE("a dump is no more readable than its database's -wal", "[steps][modes]") {
  Site s;
  s.MakeDb();
  REQUIRE(Shell("cd " + s.dir + " && python3 -c \"import sqlite3, os; c = sqlite3.connect(" +
                "'app.sqlite'); c.execute('insert into users(email) values (1)'); c.commit(); " +
                "os._exit(0)\"")
              .exit_code == 0);
  REQUIRE(Shell("test -s " + s.Path("app.sqlite-wal")).exit_code == 0);
  Shell("chmod 0755 " + s.dir + " && mkdir -m 0755 " + s.Path("dumps") + " && chmod 0644 " +
        s.Path("app.sqlite") + " && chmod 0600 " + s.Path("app.sqlite-wal"));
  Command c =
      s.Run("  - {id: b, uses: backup, with: {database: app.sqlite, dest: dumps, name: app}}\n");
  INFO(c.out << c.err);
  REQUIRE(c.exit_code == 0);
  CHECK(Octal(s.Path("dumps/app.sqlite.gz")) == "600\n");
  // With a -wal as open as the database, the dump is too.
  Shell("rm -f " + s.Path("dumps/*"));
  REQUIRE(Shell("cd " + s.dir + " && python3 -c \"import sqlite3, os; c = sqlite3.connect(" +
                "'app.sqlite'); c.execute('insert into users(email) values (2)'); c.commit(); " +
                "os._exit(0)\" && chmod 0644 app.sqlite-wal")
              .exit_code == 0);
  REQUIRE(s.Run("  - {id: b, uses: backup, with: {database: app.sqlite, dest: dumps, name: app}}\n")
              .exit_code == 0);
  CHECK(Octal(s.Path("dumps/app.sqlite.gz")) == "644\n");
}
