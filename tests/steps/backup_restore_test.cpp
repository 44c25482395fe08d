// backup, hash, integrity-check and restore through the real binary on real SQLite files:
// the happy path while the database is being written, and every kind of bad input.
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "steps/backup_site.h"

using namespace runbook;
using namespace runbook::test;

TEST_CASE("backup of a database being written: consistent, deterministic, signed",
          "[steps][backup]") {
  Site s;
  s.MakeDb();
  // The backend keeps writing while the backup runs.
  Shell("cd " + s.dir +
        " && (for i in $(seq 1 300); do sqlite3 app.sqlite \"INSERT INTO orders(user_id) "
        "VALUES(1)\"; done > /dev/null 2>&1 &)");
  std::string gz = s.Dump();
  CHECK(Shell("gzip -t " + gz).exit_code == 0);  // plain gzip reads the members
  CHECK(Shell("zcat " + gz + " > " + s.Path("copy.sqlite") + " && sqlite3 " +
              s.Path("copy.sqlite") + " 'PRAGMA integrity_check'")
            .out == "ok\n");
  std::string meta = ReadFile(gz + ".meta.json");
  for (const char* key :
       {"\"file\": \"app.sqlite.gz\"", "\"raw_sha256\"", "\"signature\"", "\"key_id\"",
        "\"users\": 2000", "\"page_size\": 4096", "\"format\": \"runbook-backup/1\""}) {
    CHECK(meta.find(key) != std::string::npos);
  }
  CHECK(s.Run(kVerify).exit_code == 0);
  // Same data, same bytes: two dumps of a database nobody writes are identical.
  Shell("sleep 1");
  Command again = s.Run(
      "  - {id: b1, uses: backup, with: {database: app.sqlite, dest: dumps, name: one}}\n"
      "  - {id: b2, uses: backup, needs: [b1], with: {database: app.sqlite, dest: dumps, name: "
      "two}}\n");
  REQUIRE(again.exit_code == 0);
  CHECK(Shell("cmp " + s.Path("dumps/one.sqlite.gz") + " " + s.Path("dumps/two.sqlite.gz"))
            .exit_code == 0);
  // The same name again: the same snapshot is already there (a resume), nothing written.
  std::string one = ReadFile(s.Path("dumps/one.sqlite.gz.meta.json"));
  Command same =
      s.Run("  - {id: b, uses: backup, with: {database: app.sqlite, dest: dumps, name: one}}\n");
  CHECK(same.exit_code == 0);
  CHECK(same.err.find("already holds this snapshot") != std::string::npos);
  CHECK(ReadFile(s.Path("dumps/one.sqlite.gz.meta.json")) == one);
  // Never overwrites an existing dump with other data.
  s.Sql("app.sqlite", "INSERT INTO orders(user_id) VALUES(1);");
  Command clash =
      s.Run("  - {id: b, uses: backup, with: {database: app.sqlite, dest: dumps, name: one}}\n");
  CHECK(clash.exit_code == 1);
  CHECK(clash.err.find("already exists; a backup never overwrites one (holding another "
                       "snapshot)") != std::string::npos);
  CHECK(ReadFile(s.Path("dumps/one.sqlite.gz.meta.json")) == one);
}

TEST_CASE("hash: a flipped byte, missing or wrong metadata, keys and signatures", "[steps][hash]") {
  Site s;
  s.MakeDb();
  std::string gz = s.Dump();
  SECTION("one flipped byte shows expected and actual") {
    Shell("printf '\\x00' | dd of=" + gz + " bs=1 seek=100 conv=notrunc 2>/dev/null");
    Command c = s.Run(kVerify);
    CHECK(c.exit_code == 1);
    CHECK(c.err.find("sha256 mismatch for dumps/app.sqlite.gz: expected ") != std::string::npos);
    CHECK(c.err.find(" (metadata), actual ") != std::string::npos);
  }
  SECTION("metadata missing") {
    Shell("rm " + gz + ".meta.json");
    Command c = s.Run(kVerify);
    CHECK(c.exit_code == 1);
    CHECK(c.err.find("metadata dumps/app.sqlite.gz.meta.json is missing") != std::string::npos);
  }
  SECTION("metadata malformed") {
    WriteFile(s.dir, "dumps/app.sqlite.gz.meta.json", "{\"file\": ");
    Command c = s.Run(kVerify);
    CHECK(c.err.find("metadata dumps/app.sqlite.gz.meta.json is not valid JSON") !=
          std::string::npos);
  }
  SECTION("metadata of another file") {
    Shell("cd " + s.dir +
          " && sed -i 's/\"file\": \"app.sqlite.gz\"/\"file\": \"old.sqlite.gz\"/' " + gz +
          ".meta.json");
    CHECK(s.Run(kVerify).err.find("metadata describes 'old.sqlite.gz', not 'app.sqlite.gz'") !=
          std::string::npos);
  }
  SECTION("a wrong public key") {
    Command c = s.Run(
        "  - {id: v, uses: hash, with: {files: [dumps/app.sqlite.gz], public_key: other.pub}}\n");
    CHECK(c.exit_code == 1);
    CHECK(c.err.find("bad signature on the metadata") != std::string::npos);
  }
  SECTION("no signature while a key is configured") {
    Shell("cd " + s.dir + " && sed -i '/\"signature\"/d' " + gz + ".meta.json");
    Command c = s.Run(kVerify);
    CHECK(c.err.find("the metadata is not signed, and a public key is configured") !=
          std::string::npos);
  }
  SECTION("an empty glob") {
    Command c = s.Run("  - {id: v, uses: hash, with: {files: ['dumps/*.nothing']}}\n");
    CHECK(c.exit_code == 1);
    CHECK(c.err.find("'dumps/*.nothing' matches no file") != std::string::npos);
  }
  SECTION("a sha256sum list") {
    Shell("cd " + s.dir + " && sha256sum dumps/app.sqlite.gz > SUMS");
    CHECK(s.Run("  - {id: v, uses: hash, with: {files: [dumps/app.sqlite.gz], verify: sums, "
                "sums_file: SUMS}}\n")
              .exit_code == 0);
  }
}

TEST_CASE("the inventory keeps every entry when two runs append at once", "[steps][hash]") {
  Site s;
  for (int i = 0; i < 40; ++i)
    WriteFile(s.dir, "f" + std::to_string(i) + ".bin", std::to_string(i));
  WriteFile(s.dir, "a.yaml",
            "version: 1\nname: a\nsteps:\n  - {id: h, uses: hash, with: {files: ['f1*.bin', "
            "'f2*.bin'], verify: none, inventory: inv/inventory.json}}\n");
  WriteFile(s.dir, "b.yaml",
            "version: 1\nname: b\nsteps:\n  - {id: h, uses: hash, with: {files: ['f3*.bin', "
            "'f0.bin'], verify: none, inventory: inv/inventory.json}}\n");
  for (int round = 0; round < 3; ++round) {
    Shell("cd " + s.dir + " && (" + Rb("run a.yaml --audit-db a.db") + " & " +
          Rb("run b.yaml --audit-db b.db") + " & wait)");
  }
  std::string inv = ReadFile(s.Path("inv/inventory.json"));
  int entries = 0;
  for (size_t p = inv.find("\"sha256\""); p != std::string::npos; p = inv.find("\"sha256\"", p + 1))
    ++entries;
  CHECK(entries == 3 * (22 + 12));  // f1*, f2*: 11 each; f3*: 11, f0: 1
  CHECK(inv.find("\"date\": \"") != std::string::npos);
}

TEST_CASE("integrity-check: good, truncated, random bytes, corrupt page, stray -wal",
          "[steps][integrity]") {
  Site s;
  s.MakeDb();
  std::string gz = s.Dump();
  const char* check =
      "  - {id: c, uses: integrity-check, with: {source: dumps/app.sqlite.gz, workspace: "
      "tmp/db-restore.sqlite}}\n";
  SECTION("a good dump passes; the workspace is removed") {
    Command c = s.Run(check);
    CHECK(c.exit_code == 0);
    CHECK(c.err.find("integrity ok: 100 % (2 tables") != std::string::npos);
    CHECK_FALSE(std::ifstream(s.Path("tmp/db-restore.sqlite")).good());
  }
  SECTION("a truncated gzip") {
    Shell("truncate -s 2000 " + gz);
    Command c = s.Run(check);
    CHECK(c.exit_code == 1);
    CHECK(c.err.find("dumps/app.sqlite.gz is truncated") != std::string::npos);
    CHECK_FALSE(std::ifstream(s.Path("tmp/db-restore.sqlite")).good());
  }
  SECTION("random bytes named .gz") {
    Shell("head -c 5000 /dev/urandom > " + gz);
    Command c = s.Run(check);
    CHECK(c.exit_code == 1);
    CHECK(c.err.find("is not valid gzip data") != std::string::npos);
  }
  SECTION("a stray -wal and -shm beside its own kept copy are not mixed in") {
    std::string kept = check;
    REQUIRE(s.Run(kept.replace(kept.find("}}"), 2, ", keep: true}}")).exit_code == 0);
    // A -wal of another database: were it mixed into the copy, the check would fail.
    Shell("cd " + s.dir +
          " && cp app.sqlite other.sqlite && python3 "
          "-c \"import sqlite3, os; c = sqlite3.connect('other.sqlite'); "
          "c.execute('PRAGMA wal_autocheckpoint=0'); c.execute('DROP TABLE orders'); "
          "c.commit(); os._exit(0)\" && cp other.sqlite-wal tmp/db-restore.sqlite-wal && "
          "cp other.sqlite-shm tmp/db-restore.sqlite-shm");
    REQUIRE(Shell("test -s " + s.Path("tmp/db-restore.sqlite-wal")).exit_code == 0);
    Command c = s.Run(check);
    CHECK(c.exit_code == 0);
    CHECK(c.err.find("integrity ok: 100 % (2 tables") != std::string::npos);
    CHECK(Shell("ls -A " + s.Path("tmp")).out == "");
  }
}

TEST_CASE(
    "a corrupt page in a well-formed, correctly hashed dump: check fails, restore "
    "refuses, the live database is untouched",
    "[steps][integrity][restore]") {
  Site s;
  s.MakeDb("bad.sqlite");
  // Overwrite the middle of a table page, then dump it (the hash describes the bad data).
  Shell("dd if=/dev/urandom of=" + s.Path("bad.sqlite") +
        " bs=1 seek=$((4096*3+100)) count=600 conv=notrunc 2>/dev/null");
  s.Keys();
  Shell("mkdir -p " + s.Path("dumps") + " " + s.Path("live"));
  REQUIRE(s.Run("  - {id: b, uses: backup, with: {database: bad.sqlite, dest: dumps, name: app, "
                "sign_key: key.pem}}\n")
              .exit_code == 0);
  s.MakeDb("live/app.sqlite");
  std::string live_before = Shell("sha256sum " + s.Path("live/app.sqlite")).out;
  Command c = s.Run(std::string(kVerify) +
                    "  - {id: c, uses: integrity-check, needs: [v], with: {source: "
                    "dumps/app.sqlite.gz, workspace: tmp/ws.sqlite}}\n"
                    "  - {id: r, uses: restore, needs: [c], with: {source: dumps/app.sqlite.gz, "
                    "target: live/app.sqlite}}\n");
  CHECK(c.exit_code == 1);
  CHECK(c.err.find("ok   v") != std::string::npos);  // the hash matches: it is the data
  CHECK(c.err.find("integrity check of dumps/app.sqlite.gz failed") != std::string::npos);
  CHECK(c.err.find("skip r") != std::string::npos);
  // The attempt's one-line verdict, as reports show it.
  Command json = Shell("cd " + s.dir + " && " +
                       Rb("report " + LatestRunId(s.db) + " --format json --audit-db " + s.db));
  CHECK(json.out.find("\"integrity\": \"failed: ") != std::string::npos);
  // Forced past the checks, restore's own quick_check still refuses.
  Command forced = s.Run(
      "  - {id: r, uses: restore, with: {source: dumps/app.sqlite.gz, target: live/app.sqlite, "
      "force: true}}\n");
  CHECK(forced.exit_code == 1);
  CHECK(forced.err.find("live/app.sqlite untouched") != std::string::npos);
  CHECK(Shell("sha256sum " + s.Path("live/app.sqlite")).out == live_before);
}

TEST_CASE("restore: refuses an unverified source, keeps the old database, writes the env file",
          "[steps][restore]") {
  Site s;
  s.MakeDb();
  s.Dump();
  Shell("mkdir -p " + s.Path("live"));
  s.Sql("live/app.sqlite", "CREATE TABLE old(x); INSERT INTO old VALUES(1);");
  Command unverified = s.Run(
      "  - {id: r, uses: restore, with: {source: dumps/app.sqlite.gz, target: live/app.sqlite}}\n");
  CHECK(unverified.exit_code == 1);
  CHECK(unverified.err.find("no hash or integrity-check step of this run verified it") !=
        std::string::npos);
  Command ok = s.Run(std::string(kVerify) +
                     "  - {id: r, uses: restore, needs: [v], with: {source: dumps/app.sqlite.gz, "
                     "target: live/app.sqlite, env_file: live/.env.local, env: {DATABASE_PATH: "
                     "live/app.sqlite, PORT: '4004'}}}\n");
  CHECK(ok.exit_code == 0);
  CHECK(ok.err.find("source verified by step 'v'") != std::string::npos);
  CHECK(Shell("sqlite3 " + s.Path("live/app.sqlite") +
              " 'PRAGMA journal_mode; SELECT count(*) "
              "FROM users'")
            .out == "wal\n2000\n");
  CHECK(Shell("sqlite3 " + s.Path("live/app.sqlite.before-restore") + " 'SELECT x FROM old'").out ==
        "1\n");
  CHECK(ReadFile(s.Path("live/.env.local")) == "DATABASE_PATH=live/app.sqlite\nPORT=4004\n");
}

TEST_CASE("backup retention keeps the newest dumps of the same database", "[steps][backup]") {
  Site s;
  s.MakeDb();
  Shell("mkdir -p " + s.Path("dumps"));
  for (const char* name : {"d1", "d2", "d3"}) {
    REQUIRE(s.Run(std::string("  - {id: b, uses: backup, with: {database: app.sqlite, dest: "
                              "dumps, keep_last: 2, name: ") +
                  name + "}}\n")
                .exit_code == 0);
    Shell("sleep 0.05");
  }
  CHECK_FALSE(std::ifstream(s.Path("dumps/d1.sqlite.gz")).good());
  CHECK_FALSE(std::ifstream(s.Path("dumps/d1.sqlite.gz.meta.json")).good());
  CHECK(std::ifstream(s.Path("dumps/d2.sqlite.gz")).good());
  CHECK(std::ifstream(s.Path("dumps/d3.sqlite.gz")).good());
}

TEST_CASE("backup of a database locked by a writer past the timeout fails, leaving nothing",
          "[steps][backup]") {
  Site s;
  s.Sql("app.sqlite", "CREATE TABLE t(x); INSERT INTO t VALUES(1);");  // rollback journal
  Shell("mkdir -p " + s.Path("dumps"));
  Shell("cd " + s.dir +
        " && (setsid sh -c \"(printf 'BEGIN EXCLUSIVE; INSERT INTO t VALUES(2);\\n'; sleep 3; "
        "printf 'COMMIT;\\n') | sqlite3 app.sqlite\" > /dev/null 2>&1 &) ; sleep 0.3");
  Command c = s.Run(
      "  - {id: b, uses: backup, with: {database: app.sqlite, dest: dumps, name: x, "
      "busy_timeout: 500ms}}\n");
  CHECK(c.exit_code == 1);
  CHECK(c.err.find("locked") != std::string::npos);
  CHECK(Shell("ls -A " + s.Path("dumps")).out == "");
  Shell("sleep 3");
}

TEST_CASE("a disk that fills up during decompression: workspace cleaned, live untouched",
          "[steps][integrity]") {
  Site s;
  s.MakeDb();
  s.Sql("app.sqlite",  // about 2.4 MB raw, so the copy outgrows the limit below
        "CREATE TABLE blobs(b); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n "
        "WHERE i<20000) INSERT INTO blobs SELECT randomblob(100) FROM n;");
  std::string gz = s.Dump();
  std::string live_before = Shell("sha256sum " + s.Path("app.sqlite")).out;
  // The file size limit plays a full disk (SIGXFSZ ignored: writes fail with EFBIG).
  WriteFile(s.dir, "rb.yaml",
            "version: 1\nname: t\nsteps:\n  - {id: c, uses: integrity-check, with: {source: "
            "dumps/app.sqlite.gz, workspace: tmp/ws.sqlite}}\n");
  Command full = Shell("cd " + s.dir + " && bash -c \"trap '' XFSZ; ulimit -f 512; exec " +
                       Rb("run rb.yaml --audit-db " + s.Path("other.db")) + "\"");
  CHECK(full.exit_code != 0);
  CHECK(full.err.find("File too large") != std::string::npos);
  CHECK(Shell("ls -A " + s.Path("tmp")).out == "");
  CHECK(Shell("sha256sum " + s.Path("app.sqlite")).out == live_before);
}

TEST_CASE("sign_key from a secret: the dump is signed, the key appears nowhere",
          "[steps][backup][secrets]") {
  Site s;
  s.MakeDb();
  s.Keys();
  Shell("mkdir -p " + s.Path("dumps"));
  WriteFile(
      s.dir, "rb.yaml",
      "version: 1\nname: t\nsecrets:\n  key: {env: BACKUP_SIGNING_KEY}\nsteps:\n"
      "  - {id: b, uses: backup, with: {database: app.sqlite, dest: dumps, name: app, "
      "sign_key: '${{ secrets.key }}'}}\n" +
          std::string(kVerify).replace(std::string(kVerify).find("id: v"), 5, "id: v, needs: [b]"));
  Command c = Shell("cd " + s.dir + " && BACKUP_SIGNING_KEY=\"$(cat key.pem)\" " +
                    Rb("run rb.yaml --audit-db " + s.db));
  CHECK(c.exit_code == 0);
  std::string key_body = Shell("sed -n 2p " + s.Path("key.pem")).out;
  REQUIRE(key_body.size() > 20);
  key_body.pop_back();
  CHECK(c.err.find(key_body) == std::string::npos);
  CHECK(Shell("sqlite3 " + s.db + " .dump").out.find(key_body) == std::string::npos);
}

TEST_CASE("restore over a damaged live database with a -wal keeps both as they were",
          "[steps][restore]") {
  Site s;
  s.UnsignedDump();
  Shell("mkdir -p " + s.Path("live") + " && head -c 8192 /dev/urandom > " +
        s.Path("live/app.sqlite") + " && head -c 4096 /dev/urandom > " +
        s.Path("live/app.sqlite-wal"));
  std::string before =
      Shell("cd " + s.Path("live") + " && sha256sum app.sqlite app.sqlite-wal").out;
  Command c = s.Run(
      "  - {id: r, uses: restore, with: {source: dumps/app.sqlite.gz, target: live/app.sqlite, "
      "force: true}}\n");
  CHECK(c.exit_code == 0);
  CHECK(c.err.find("cannot be read by SQLite: kept with its -wal") != std::string::npos);
  CHECK(Shell("cd " + s.Path("live") +
              " && sha256sum app.sqlite.before-restore app.sqlite.before-restore-wal | sed "
              "'s/.before-restore//'")
            .out == before);
  CHECK(Shell("ls -A " + s.Path("live")).out ==
        "app.sqlite\napp.sqlite.before-restore\napp.sqlite.before-restore-wal\n");
  CHECK(Shell("sqlite3 " + s.Path("live/app.sqlite") + " 'SELECT count(*) FROM users'").out ==
        "2000\n");
}

TEST_CASE("backups of a WAL database leave only dumps and metadata: no -wal, -shm or scratch",
          "[steps][backup]") {
  Site s;
  s.MakeDb();
  Shell("mkdir -p " + s.Path("dumps"));
  for (const char* name : {"one", "two", "three"}) {
    REQUIRE(s.Run(std::string("  - {id: b, uses: backup, with: {database: app.sqlite, dest: "
                              "dumps, name: ") +
                  name + "}}\n")
                .exit_code == 0);
  }
  CHECK(Shell("ls -A " + s.Path("dumps")).out ==
        "one.sqlite.gz\none.sqlite.gz.meta.json\nthree.sqlite.gz\nthree.sqlite.gz.meta.json\n"
        "two.sqlite.gz\ntwo.sqlite.gz.meta.json\n");
  // The dump is one rollback-journal file: opening its copy read-only creates nothing.
  Shell("cd " + s.dir + " && zcat dumps/one.sqlite.gz > copy.sqlite");
  CHECK(Shell("sqlite3 -readonly " + s.Path("copy.sqlite") +
              " 'PRAGMA journal_mode; SELECT count(*) FROM users'")
            .out == "delete\n2000\n");
  CHECK(Shell("ls " + s.Path("copy.sqlite") + "-* 2>/dev/null | wc -l").out == "0\n");
}

TEST_CASE("integrity-check never removes or replaces a database it did not place at workspace",
          "[steps][integrity][workspace]") {
  Site s;
  std::string gz = s.UnsignedDump();
  auto check = [&](bool keep) {
    return s.Run(std::string("  - {id: c, uses: integrity-check, with: {source: "
                             "dumps/app.sqlite.gz, workspace: ws/app.sqlite, keep: ") +
                 (keep ? "true" : "false") + "}}\n");
  };
  auto sums = [&] { return Shell("cd " + s.Path("ws") + " && sha256sum * 2>&1").out; };
  Shell("mkdir -p " + s.Path("ws"));
  SECTION("a live WAL database mistyped as the workspace") {
    s.MakeDb("ws/app.sqlite");
    s.Sql("ws/app.sqlite", "PRAGMA wal_autocheckpoint=0; INSERT INTO orders(user_id) VALUES(1);");
    std::string before = sums();
    for (bool keep : {false, true}) {
      Command c = check(keep);
      CHECK(c.exit_code == 1);
      CHECK(c.err.find("already exists and is not a copy integrity-check placed there") !=
            std::string::npos);
      CHECK(sums() == before);
    }
  }
  SECTION("its own kept copy is replaced; a database swapped in for it is not") {
    REQUIRE(check(true).exit_code == 0);
    REQUIRE(check(true).exit_code == 0);  // an earlier copy of its own: replaced
    CHECK(check(false).exit_code == 0);   // and removed
    CHECK(Shell("ls -A " + s.Path("ws")).out.empty());
    REQUIRE(check(true).exit_code == 0);
    s.MakeDb("other.sqlite");
    Shell("cp " + s.Path("other.sqlite") + " " + s.Path("ws/app.sqlite"));  // same path, new file
    std::string before = sums();
    CHECK(check(false).exit_code == 1);
    CHECK(sums() == before);
  }
  SECTION("a symlink to a database elsewhere") {
    s.MakeDb("live.sqlite");
    Shell("ln -s ../live.sqlite " + s.Path("ws/app.sqlite"));
    std::string live = Shell("sha256sum " + s.Path("live.sqlite")).out;
    CHECK(check(false).exit_code == 1);
    CHECK(Shell("sha256sum " + s.Path("live.sqlite")).out == live);
    CHECK(Shell("test -L " + s.Path("ws/app.sqlite")).exit_code == 0);
  }
}
