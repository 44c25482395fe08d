// Whoever can write beside a dump can rewrite its .meta.json (sha256, size, manifest) to
// describe a dump of their own. Only a signature checked with the backup job's public key
// tells the two apart: integrity-check and restore check it when given `public_key`, and
// restore says whether the source it placed was authenticated.
#include <catch2/catch.hpp>

#include "steps/backup_site.h"

using namespace runbook;
using namespace runbook::test;

namespace {

// Replaces dumps/app.sqlite.gz by a dump of another database (an intruder's: one user, an
// 'admin' row) and rewrites the metadata to describe it; `keep_signature` leaves the
// genuine signature in place (it no longer matches), otherwise the field goes.
void Forge(const Site& s, bool keep_signature) {
  s.Sql("evil.sqlite",
        "CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT);"
        "CREATE TABLE orders(id INTEGER PRIMARY KEY, user_id INTEGER);"
        "INSERT INTO users(email) VALUES('admin@evil');");
  std::string py =
      "import json, hashlib, gzip, os; raw = open('evil.sqlite', 'rb').read(); "
      "open('dumps/app.sqlite.gz', 'wb').write(gzip.compress(raw)); "
      "p = 'dumps/app.sqlite.gz.meta.json'; m = json.load(open(p)); "
      "gz = open('dumps/app.sqlite.gz', 'rb').read(); "
      "m['sha256'] = hashlib.sha256(gz).hexdigest(); m['size'] = len(gz); "
      "m['raw_sha256'] = hashlib.sha256(raw).hexdigest(); "
      "m['tables'] = {'users': 1, 'orders': 0}; " +
      std::string(keep_signature ? "" : "m.pop('signature'); ") + "json.dump(m, open(p, 'w'))";
  REQUIRE(Shell("cd " + s.dir + " && python3 -c \"" + py + "\"").exit_code == 0);
}

// A live database the restores must leave alone when they refuse.
std::string MakeLive(const Site& s) {
  Shell("mkdir -p " + s.Path("live"));
  s.MakeDb("live/app.sqlite");
  return Shell("sha256sum " + s.Path("live/app.sqlite")).out;
}

std::string LiveSum(const Site& s) { return Shell("sha256sum " + s.Path("live/app.sqlite")).out; }

const char* kCheckWithKey =
    "  - {id: c, uses: integrity-check, with: {source: dumps/app.sqlite.gz, workspace: "
    "tmp/ws.sqlite, public_key: pub.pem}}\n";

const char* kCheckThenRestore =
    "  - {id: c, uses: integrity-check, with: {source: dumps/app.sqlite.gz, workspace: "
    "tmp/ws.sqlite}}\n"
    "  - {id: r, uses: restore, needs: [c], with: {source: dumps/app.sqlite.gz, target: "
    "live/app.sqlite, public_key: pub.pem}}\n";

}  // namespace

TEST_CASE(
    "rewritten metadata with the old signature: integrity-check with a key and restore refuse",
    "[steps][integrity][restore][signature]") {
  Site s;
  s.MakeDb();
  s.Dump();
  std::string live = MakeLive(s);
  Forge(s, true);
  // Without a key the checksums and the manifest agree: only a signature can tell.
  Command unkeyed = s.Run(
      "  - {id: c, uses: integrity-check, with: {source: dumps/app.sqlite.gz, workspace: "
      "tmp/ws.sqlite}}\n"
      "  - {id: out, uses: exec, needs: [c], with: {run: [echo, "
      "'A=${{ steps.c.outputs.authenticated }}']}}\n");
  CHECK(unkeyed.exit_code == 0);
  CHECK(unkeyed.err.find("A=false") != std::string::npos);
  Command keyed = s.Run(kCheckWithKey);
  CHECK(keyed.exit_code == 1);
  CHECK(keyed.err.find("not authentic: bad signature on the metadata") != std::string::npos);
  CHECK(keyed.err.find("100 %") == std::string::npos);
  // The restore is vouched for by the unkeyed check, but checks the signature itself.
  Command r = s.Run(kCheckThenRestore);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("untouched: not authentic: bad signature on the metadata") != std::string::npos);
  CHECK(LiveSum(s) == live);
  // force skips the "verified in this run" rule, never the signature.
  Command forced = s.Run(
      "  - {id: r, uses: restore, with: {source: dumps/app.sqlite.gz, target: live/app.sqlite, "
      "public_key: pub.pem, force: true}}\n");
  CHECK(forced.exit_code == 1);
  CHECK(LiveSum(s) == live);
}

TEST_CASE("metadata stripped of its signature, or signed for another dump, is not authentic",
          "[steps][integrity][restore][signature]") {
  Site s;
  s.MakeDb();
  s.Dump();
  std::string live = MakeLive(s);
  SECTION("the signature removed") {
    Forge(s, false);
    Command c = s.Run(kCheckWithKey);
    CHECK(c.exit_code == 1);
    CHECK(c.err.find("not authentic: the metadata is not signed") != std::string::npos);
    CHECK(s.Run(kCheckThenRestore)
              .err.find("untouched: not authentic: the metadata is not "
                        "signed") != std::string::npos);
  }
  SECTION("a genuine dump and its metadata under another name") {
    // An old, genuinely signed dump presented as another: the metadata names its own file.
    Shell("cd " + s.dir + "/dumps && cp app.sqlite.gz app-new.sqlite.gz && cp " +
          "app.sqlite.gz.meta.json app-new.sqlite.gz.meta.json");
    Command c = s.Run(
        "  - {id: c, uses: integrity-check, with: {source: dumps/app-new.sqlite.gz, workspace: "
        "tmp/ws.sqlite, public_key: pub.pem}}\n");
    CHECK(c.exit_code == 1);
    CHECK(c.err.find("not authentic: metadata describes 'app.sqlite.gz', not "
                     "'app-new.sqlite.gz'") != std::string::npos);
  }
  SECTION("signed with another key") {
    Command c = s.Run(
        "  - {id: c, uses: integrity-check, with: {source: dumps/app.sqlite.gz, workspace: "
        "tmp/ws.sqlite, public_key: other.pub}}\n");
    CHECK(c.exit_code == 1);
    CHECK(c.err.find("not authentic: bad signature") != std::string::npos);
  }
  CHECK(LiveSum(s) == live);
}

TEST_CASE("a genuine signed dump: restore says authenticated, and says so when nothing checked",
          "[steps][integrity][restore][signature]") {
  Site s;
  s.MakeDb();
  s.Dump();
  MakeLive(s);
  const char* outputs =
      "  - {id: out, uses: exec, needs: [r], with: {run: [echo, "
      "'A=${{ steps.r.outputs.authenticated }}']}}\n";
  SECTION("verified by integrity-check with the key") {
    Command c = s.Run(std::string(kCheckWithKey) +
                      "  - {id: r, uses: restore, needs: [c], with: {source: "
                      "dumps/app.sqlite.gz, target: live/app.sqlite}}\n" +
                      outputs);
    CHECK(c.exit_code == 0);
    CHECK(c.err.find(", signed metadata") != std::string::npos);
    CHECK(c.err.find("source verified by step 'c'; its metadata's signature is valid") !=
          std::string::npos);
    CHECK(c.err.find("A=true") != std::string::npos);
  }
  SECTION("verified by hash with the key") {
    Command c = s.Run(std::string(kVerify) +
                      "  - {id: r, uses: restore, needs: [v], with: {source: "
                      "dumps/app.sqlite.gz, target: live/app.sqlite}}\n" +
                      outputs);
    CHECK(c.exit_code == 0);
    CHECK(c.err.find("A=true") != std::string::npos);
  }
  SECTION("checksums only: restored, and the log and output say it was not authenticated") {
    Command c = s.Run(
        "  - {id: v, uses: hash, with: {files: [dumps/app.sqlite.gz]}}\n"
        "  - {id: r, uses: restore, needs: [v], with: {source: dumps/app.sqlite.gz, target: "
        "live/app.sqlite}}\n" +
        std::string(outputs));
    CHECK(c.exit_code == 0);
    CHECK(c.err.find("NOT authenticated: no step checked its signature") != std::string::npos);
    CHECK(c.err.find("A=false") != std::string::npos);
  }
  CHECK(Shell("sqlite3 " + s.Path("live/app.sqlite") + " 'SELECT count(*) FROM users'").out ==
        "2000\n");
}

TEST_CASE("a signing backup's retention ignores forged dumps: they neither count nor go",
          "[steps][backup][signature]") {
  Site s;
  s.MakeDb();
  s.Keys();
  Shell("mkdir -p " + s.Path("dumps"));
  auto backup = [&](const std::string& name) {
    return s.Run("  - {id: b, uses: backup, with: {database: app.sqlite, dest: dumps, name: " +
                 name + ", sign_key: key.pem, keep_last: 2}}\n");
  };
  REQUIRE(backup("g1").exit_code == 0);
  REQUIRE(backup("g2").exit_code == 0);
  // Three dumps of "this" database dated in the future: one unsigned, one with g1's
  // signature kept under rewritten fields, one genuine g1 metadata under another name.
  std::string py =
      "import json, shutil\n"
      "g = json.load(open('dumps/g1.sqlite.gz.meta.json'))\n"
      "for i, how in enumerate(['unsigned', 'old signature', 'renamed']):\n"
      "    n = 'zfake%d' % i; shutil.copy('dumps/g1.sqlite.gz', 'dumps/%s.sqlite.gz' % n)\n"
      "    m = dict(g)\n"
      "    if how != 'renamed': m.update(file=n + '.sqlite.gz', created_at='2099-01-0%dT00:00:00Z' "
      "% (i + 1))\n"
      "    if how == 'unsigned': m.pop('signature')\n"
      "    open('dumps/%s.sqlite.gz.meta.json' % n, 'w').write(json.dumps(m))\n";
  WriteFile(s.dir, "forge.py", py);
  REQUIRE(Shell("cd " + s.dir + " && python3 forge.py").exit_code == 0);
  Command third = backup("g3");
  CHECK(third.exit_code == 0);
  auto there = [&](const std::string& name) {
    return Shell("test -e " + s.Path("dumps/" + name + ".sqlite.gz")).exit_code == 0;
  };
  CHECK_FALSE(there("g1"));  // the oldest genuine one goes, as keep_last: 2 says
  CHECK(there("g2"));
  CHECK(there("g3"));
  for (const char* fake : {"zfake0", "zfake1", "zfake2"}) {
    CAPTURE(fake);
    CHECK(there(fake));  // not deleted either: retention deletes only what it can trust
  }
}

TEST_CASE("metadata rewritten after a step checked its signature is not believed by restore",
          "[steps][restore][signature]") {
  Site s;
  s.MakeDb();
  s.Dump();
  std::string live = MakeLive(s);
  // Stands for anyone who can write beside the dump, between the check and the restore.
  const char* rewrite =
      "  - {id: rewrite, uses: exec, needs: [v], with: {run: [python3, -c, \"import json; "
      "p = 'dumps/app.sqlite.gz.meta.json'; m = json.load(open(p)); "
      "m['created_at'] = '2031-01-01T00:00:00Z'; json.dump(m, open(p, 'w'))\"]}}\n"
      "  - {id: r, uses: restore, needs: [rewrite], with: {source: dumps/app.sqlite.gz, target: "
      "live/app.sqlite}}\n";
  SECTION("checked by hash") {
    Command c = s.Run(std::string(kVerify) + rewrite);
    CHECK(c.exit_code == 1);
    CHECK(c.err.find("changed after step 'v' checked its signature") != std::string::npos);
  }
  SECTION("checked by integrity-check") {
    Command c = s.Run(
        "  - {id: v, uses: integrity-check, with: {source: dumps/app.sqlite.gz, workspace: "
        "tmp/ws.sqlite, public_key: pub.pem}}\n" +
        std::string(rewrite));
    CHECK(c.exit_code == 1);
    CHECK(c.err.find("changed after step 'v' checked its signature") != std::string::npos);
  }
  CHECK(LiveSum(s) == live);
}

TEST_CASE("metadata that is there but cannot be parsed is not 'no manifest'",
          "[steps][integrity][restore][manifest]") {
  Site s;
  std::string gz = s.UnsignedDump();
  std::string live = MakeLive(s);
  WriteFile(s.dir, "dumps/app.sqlite.gz.meta.json", "{\"file\": \"app.sqlite.gz\", \"size\": ");
  Command c = s.Run(
      "  - {id: c, uses: integrity-check, with: {source: dumps/app.sqlite.gz, workspace: "
      "tmp/ws.sqlite}}\n");
  CHECK(c.exit_code == 1);
  CHECK(c.err.find("app.sqlite.gz.meta.json is not valid JSON") != std::string::npos);
  CHECK(c.err.find("no manifest") == std::string::npos);
  Command r = s.Run(
      "  - {id: r, uses: restore, with: {source: dumps/app.sqlite.gz, target: live/app.sqlite, "
      "force: true}}\n");
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("untouched: metadata") != std::string::npos);
  CHECK(LiveSum(s) == live);
}

TEST_CASE("an empty public_key is refused by every step, never taken as no key",
          "[steps][hash][integrity][restore][signature]") {
  Site s;
  s.MakeDb();
  s.Dump();
  Forge(s, false);  // unsigned: an empty key that skipped the check would pass it
  for (const char* step :
       {"{id: v, uses: hash, with: {files: [dumps/app.sqlite.gz], public_key: ''}}",
        "{id: v, uses: integrity-check, with: {source: dumps/app.sqlite.gz, workspace: "
        "tmp/ws.sqlite, public_key: ''}}",
        "{id: v, uses: restore, with: {source: dumps/app.sqlite.gz, target: live/app.sqlite, "
        "force: true, public_key: ''}}"}) {
    CAPTURE(step);
    Command c = s.Run(std::string("  - ") + step + "\n");
    CHECK(c.exit_code == 1);
    CHECK(c.err.find("public_key is empty") != std::string::npos);
  }
}

TEST_CASE("a backup dated in the future makes the RPO unknown and its objective missed",
          "[steps][restore][rpo]") {
  Site s;
  std::string gz = s.UnsignedDump();
  MakeLive(s);
  REQUIRE(Shell("cd " + s.dir +
                " && python3 -c \"import json; p = 'dumps/app.sqlite.gz.meta.json'; " +
                "m = json.load(open(p)); m['created_at'] = '2031-01-01T00:00:00Z'; " +
                "json.dump(m, open(p, 'w'))\"")
              .exit_code == 0);
  WriteFile(s.dir, "rb.yaml",
            "version: 1\nname: t\nobjectives: {rpo: 26h}\nsteps:\n"
            "  - {id: r, uses: restore, with: {source: dumps/app.sqlite.gz, target: "
            "live/app.sqlite, force: true}}\n");
  Command c = Shell("cd " + s.dir + " && " + Rb("run rb.yaml --audit-db " + s.db));
  CHECK(c.exit_code == 4);  // a missed objective
  CHECK(c.err.find("RPO unknown: the backup restored by 'r' says it was taken in the future") !=
        std::string::npos);
  CHECK(c.err.find("MISSED") != std::string::npos);
}

TEST_CASE("a metadata file with 100,000 extra keys is checked in linear time, not past timeout",
          "[steps][signature][big-meta]") {
  // breakH H17: the canonical text of the metadata was quadratic in its keys; a planted
  // 1.7 MB metadata file held `hash` with public_key for minutes past its timeout.
  Site s;
  s.MakeDb();
  s.Dump();
  REQUIRE(Shell("cd " + s.dir +
                " && python3 -c \"import json; p = 'dumps/app.sqlite.gz.meta.json'; "
                "m = json.load(open(p)); m['extra'] = {f'k{i}': i for i in range(100000)}; "
                "json.dump(m, open(p, 'w'))\"")
              .exit_code == 0);
  Command c = s.Run(
      "  - {id: h, uses: hash, timeout: 60s, with: {files: [dumps/app.sqlite.gz], "
      "public_key: pub.pem, inventory: ''}}\n");
  CHECK(c.exit_code == 1);
  CHECK(c.err.find("bad signature on the metadata") != std::string::npos);
  CHECK(c.err.find("timed out") == std::string::npos);
}

TEST_CASE("metadata naming a key twice is refused, never read as its last value",
          "[steps][signature][big-meta]") {
  // breakF M3 / breakH H11: {"sha256": genuine, ..., "sha256": forged} — readers disagree on
  // which counts; a signed field could be shadowed.
  Site s;
  s.MakeDb();
  s.Dump();
  REQUIRE(Shell("cd " + s.dir +
                " && python3 -c \"p = 'dumps/app.sqlite.gz.meta.json'; t = open(p).read(); "
                "open(p, 'w').write(t.rstrip().rstrip('}') + ', \\\"sha256\\\": \\\"00\\\"}')\"")
              .exit_code == 0);
  Command c = s.Run(kCheckWithKey);
  CHECK(c.exit_code == 1);
  CHECK(c.err.find("a key appears twice in one object") != std::string::npos);
}

// Newcomer N19: a dump signed with another key (a rotation, the wrong key file) said only "the
// signature does not match", as a forged one does; `audit verify` names both keys. It says
// which key the metadata names and which was given; a changed dump under the right key says
// it changed after it was signed.
TEST_CASE("a dump signed with another key says which key, apart from a changed one",
          "[steps][signature]") {
  Site s;
  s.MakeDb();
  s.Dump();
  Command other = s.Run(
      "  - {id: h, uses: hash, with: {files: [dumps/app.sqlite.gz], public_key: other.pub, "
      "inventory: ''}}\n");
  INFO(other.err);
  CHECK(other.exit_code == 1);
  CHECK_THAT(other.err,
             Catch::Matches("(.|\n)*it says it was signed with key [0-9a-f]{16}, not "
                            "with the key given \\(other.pub, key [0-9a-f]{16}\\)(.|\n)*"));
  Forge(s, true);  // the metadata rewritten, the old signature kept
  Command forged = s.Run(
      "  - {id: h, uses: hash, with: {files: [dumps/app.sqlite.gz], public_key: pub.pem, "
      "inventory: ''}}\n");
  CHECK(forged.exit_code == 1);
  CHECK_THAT(forged.err, Catch::Contains("the dump or its metadata changed after it was signed") &&
                             !Catch::Contains("not with the key given"));
}
