// `runbook audit verify` on the real binary: an intact chain with no signed head is intact
// and unsigned (exit 0), even with --public-key; --require-signed makes a missing signature
// exit 1 in its own words, never "chain broken" (issue 13 D2).
#include <catch2/catch.hpp>

#include "support/support.h"

using namespace runbook::test;

namespace {

// A folder with a store holding one run, and an Ed25519 key pair key.pem / pub.pem.
std::string StoreAndKeys() {
  std::string dir = TempDir();
  REQUIRE(Shell("cd " + dir +
                " && openssl genpkey -algorithm ed25519 -out key.pem 2>/dev/null"
                " && openssl pkey -in key.pem -pubout -out pub.pem")
              .exit_code == 0);
  std::string file = WriteFile(dir, "t.yaml",
                               "version: 1\nname: v\nsteps:\n"
                               "  - {id: a, uses: exec, with: {run: [/bin/true]}}\n");
  REQUIRE(Shell(Binary() + " run --audit-db " + dir + "/audit.db " + file).exit_code == 0);
  return dir;
}

Command Verify(const std::string& dir, const std::string& flags) {
  return Shell(Binary() + " audit verify --audit-db " + dir + "/audit.db " + flags);
}

}  // namespace

TEST_CASE("audit verify: an intact unsigned chain with --public-key is ok and says unsigned",
          "[cli][audit-verify]") {
  std::string dir = StoreAndKeys();
  Command c = Verify(dir, "--public-key " + dir + "/pub.pem");
  CHECK(c.exit_code == 0);
  CHECK_THAT(c.out, Catch::Contains("ok, 5 events, chain intact; unsigned: no signed head"));
  CHECK_THAT(c.out, !Catch::Contains("broken"));
}

TEST_CASE("audit verify --require-signed: exit 1 without a signed head, 0 with a valid one",
          "[cli][audit-verify]") {
  std::string dir = StoreAndKeys();
  Command unsigned_chain = Verify(dir, "--require-signed");
  CHECK(unsigned_chain.exit_code == 1);
  CHECK_THAT(unsigned_chain.out, Catch::Contains("the chain is intact but unsigned"));
  CHECK_THAT(unsigned_chain.out, !Catch::Contains("broken"));
  REQUIRE(
      Shell(Binary() + " audit sign --audit-db " + dir + "/audit.db --sign-key " + dir + "/key.pem")
          .exit_code == 0);
  Command signed_chain = Verify(dir, "--require-signed --public-key " + dir + "/pub.pem");
  CHECK(signed_chain.exit_code == 0);
  CHECK_THAT(signed_chain.out, Catch::Contains("signed head at event 5 valid"));
  // Variant: the signed head removed afterwards is the unsigned case again, not a break.
  REQUIRE(Shell(kSqliteWaiting + dir + "/audit.db 'delete from heads'").exit_code == 0);
  Command removed = Verify(dir, "--require-signed --public-key " + dir + "/pub.pem");
  CHECK(removed.exit_code == 1);
  CHECK_THAT(removed.out, Catch::Contains("intact but unsigned"));
}

TEST_CASE("run --sign-key that cannot sign stops before the first step", "[cli][audit-verify]") {
  // breakI I19: every step ran, the head was left unsigned, and the exit code was 0.
  std::string dir = StoreAndKeys();
  REQUIRE(Shell("cd " + dir + " && sed '2s/^MC4/XX4/' key.pem > bad.pem && echo x > nota.pem")
              .exit_code == 0);
  std::string file = WriteFile(dir, "m.yaml",
                               "version: 1\nname: m\nsteps:\n"
                               "  - {id: a, uses: exec, with: {run: [touch, " +
                                   dir + "/ran]}}\n");
  for (const char* key : {"/bad.pem", "/nota.pem", "/missing.pem", "/pub.pem"}) {
    CAPTURE(key);
    Command c = Shell(Binary() + " run --audit-db " + dir + "/audit.db --sign-key " + dir + key +
                      " " + file);
    CHECK(c.exit_code == 2);
    CHECK_THAT(c.err, Catch::Contains("--sign-key: ") && Catch::Contains("nothing was run"));
    CHECK(Shell("test -e " + dir + "/ran").exit_code != 0);
  }
  Command good = Shell(Binary() + " run --audit-db " + dir + "/audit.db --sign-key " + dir +
                       "/key.pem " + file);
  CHECK(good.exit_code == 0);
  CHECK(Verify(dir, "--require-signed --public-key " + dir + "/pub.pem").exit_code == 0);
}

// break22 #9: an RSA key given to `audit sign --sign-key` was called "--public-key".
TEST_CASE("audit sign with a key it cannot sign with names --sign-key", "[cli][audit-verify]") {
  std::string dir = StoreAndKeys();
  REQUIRE(Shell("cd " + dir +
                " && openssl genpkey -algorithm rsa -pkeyopt "
                "rsa_keygen_bits:1024 -out rsa.pem 2>/dev/null")
              .exit_code == 0);
  Command c = Shell(Binary() + " audit sign --audit-db " + dir + "/audit.db --sign-key " + dir +
                    "/rsa.pem");
  CHECK(c.exit_code == 3);
  CHECK_THAT(c.err, Catch::Contains("--sign-key " + dir + "/rsa.pem: key ") &&
                        Catch::Contains("is not an Ed25519 key"));
  CHECK(c.err.find("--public-key") == std::string::npos);
  // A public key given to sign with is said as that, not as "not a PEM Ed25519 key"
  // (break25a #11).
  Command pub = Shell(Binary() + " audit sign --audit-db " + dir + "/audit.db --sign-key " + dir +
                      "/pub.pem");
  CHECK(pub.exit_code == 3);
  CHECK_THAT(pub.err, Catch::Contains("--sign-key " + dir + "/pub.pem: key " + dir +
                                      "/pub.pem is a public key: signing needs "
                                      "the private one"));
}

TEST_CASE("audit verify with a key it cannot use, or another key, never says the chain broke",
          "[cli][audit-verify]") {
  // breakO O22: a mistyped --public-key path, a file that is no key and another team's key
  // all read "chain broken at event 5: the signature of the head is invalid" (exit 1).
  std::string dir = StoreAndKeys();
  REQUIRE(
      Shell(Binary() + " audit sign --audit-db " + dir + "/audit.db --sign-key " + dir + "/key.pem")
          .exit_code == 0);
  REQUIRE(Shell("cd " + dir + " && echo hello > not.pem && openssl genpkey -algorithm ed25519 " +
                "-out o.pem 2>/dev/null && openssl pkey -in o.pem -pubout -out o.pub")
              .exit_code == 0);
  for (const char* key : {"/missing.pem", "/not.pem"}) {
    CAPTURE(key);
    Command c = Verify(dir, "--public-key " + dir + key);
    CHECK(c.exit_code == 2);
    CHECK_THAT(c.err, Catch::Contains("--public-key " + dir + key));
    CHECK_THAT(c.out + c.err, !Catch::Contains("broken"));
  }
  Command other = Verify(dir, "--public-key " + dir + "/o.pub");
  CHECK(other.exit_code == 1);
  CHECK_THAT(other.out, Catch::Contains("is signed with key ") &&
                            Catch::Contains("not with the key given") &&
                            !Catch::Contains("broken"));
  CHECK(Verify(dir, "--public-key " + dir + "/pub.pem").exit_code == 0);
}

// breakP P4: the signer signed whatever head was there and verify checked only the latest
// head, so a rewrite of the signed part, found by verify, verified as intact once the next
// routine signed run signed over it. Each head is checked, and a chain that does not verify
// is never signed (`audit sign` and `run --sign-key` alike).
TEST_CASE("a rewrite of the signed part is never signed over, and verify checks every head",
          "[cli][audit-verify]") {
  std::string dir = StoreAndKeys();
  std::string db = dir + "/audit.db", key = dir + "/key.pem", pub = dir + "/pub.pem";
  std::string file = WriteFile(dir, "r.yaml",
                               "version: 1\nname: r\nsteps:\n  - {id: x, uses: exec, with: "
                               "{run: [sh, -c, 'echo deleted prod db']}}\n");
  REQUIRE(Shell(Binary() + " run " + file + " --audit-db " + db + " --sign-key " + key).exit_code ==
          0);
  REQUIRE(Shell("python3 " + std::string(RUNBOOK_SOURCE_DIR) + "/tests/cli/rehash.py " + db +
                " 'deleted prod db' 'checked prod db'")
              .exit_code == 0);
  Command found = Verify(dir, "--public-key " + pub);
  CHECK(found.exit_code == 1);
  CHECK_THAT(found.out, Catch::Contains("differs from the head signed at event 10"));
  // The next signed run, and audit sign: refused, exit 1, nothing signed.
  Command next = Shell(Binary() + " run " + file + " --audit-db " + db + " --sign-key " + key);
  CHECK(next.exit_code != 0);
  CHECK_THAT(next.err, Catch::Contains("the chain does not verify") &&
                           Catch::Contains("the head is not signed"));
  Command sign = Shell(Binary() + " audit sign --audit-db " + db + " --sign-key " + key);
  CHECK(sign.exit_code == 1);
  CHECK(Shell(kSqliteWaiting + db + " 'select count(*) from heads'").out == "1\n");
  // --require-signed gives the same verdict: the rewrite is under a signed head.
  Command again = Verify(dir, "--require-signed --public-key " + pub);
  CHECK(again.exit_code == 1);
  // Variant: the earlier head's hash rewritten to match: its signature no longer holds.
  Shell(kSqliteWaiting + db + " \"update heads set hash=(select hash from events where seq=10)\"");
  Command forged = Verify(dir, "--public-key " + pub);
  CHECK(forged.exit_code == 1);
  CHECK_THAT(forged.out, Catch::Contains("the signature of the head at event 10 is invalid"));
}

TEST_CASE("an intact chain signed twice verifies every head", "[cli][audit-verify]") {
  std::string dir = StoreAndKeys();
  std::string sign =
      Binary() + " audit sign --audit-db " + dir + "/audit.db --sign-key " + dir + "/key.pem";
  REQUIRE(Shell(sign).exit_code == 0);
  std::string file = WriteFile(dir, "t.yaml",
                               "version: 1\nname: v\nsteps:\n"
                               "  - {id: a, uses: exec, with: {run: [/bin/true]}}\n");
  REQUIRE(Shell(Binary() + " run --audit-db " + dir + "/audit.db " + file).exit_code == 0);
  REQUIRE(Shell(sign).exit_code == 0);
  Command c = Verify(dir, "--require-signed --public-key " + dir + "/pub.pem");
  CHECK(c.exit_code == 0);
  CHECK_THAT(c.out, Catch::Contains("signed head at event 10 valid"));
}

// breakQ Q3: a chain truncated below a signed head verified as intact without the head's key,
// and `audit sign` with another key signed it.
TEST_CASE("a truncation below a signed head is found without its key, and never signed",
          "[cli][audit-verify]") {
  std::string dir = StoreAndKeys();
  std::string db = dir + "/audit.db";
  REQUIRE(Shell("cd " + dir + " && openssl genpkey -algorithm ed25519 -out k2.pem 2>/dev/null")
              .exit_code == 0);
  REQUIRE(Shell(Binary() + " audit sign --audit-db " + db + " --sign-key " + dir + "/key.pem")
              .exit_code == 0);
  Shell(kSqliteWaiting + db + " 'delete from events where seq>3'");
  for (const char* flags : {"", "--require-signed"}) {
    Command v = Verify(dir, flags);
    CHECK(v.exit_code == 1);
    CHECK_THAT(v.out, Catch::Contains("the chain ends at event 3 but a signed head covers 5"));
  }
  Command other =
      Shell(Binary() + " audit sign --audit-db " + db + " --sign-key " + dir + "/k2.pem");
  CHECK(other.exit_code == 1);
  CHECK(Shell(kSqliteWaiting + db + " 'select count(*) from heads'").out == "1\n");
}

// breakQ Q8 (variant): --sign-key naming a FIFO blocked the run in open(), deaf to Ctrl-C.
TEST_CASE("run --sign-key naming a FIFO is refused at once", "[cli][audit-verify]") {
  std::string dir = StoreAndKeys();
  Shell("mkfifo " + dir + "/fifo.pem");
  std::string file = WriteFile(dir, "t.yaml",
                               "version: 1\nname: v\nsteps:\n"
                               "  - {id: a, uses: exec, with: {run: [/bin/true]}}\n");
  Command c = Shell("timeout -k 1 20 " + Binary() + " run --audit-db " + dir + "/audit.db " + file +
                    " --sign-key " + dir + "/fifo.pem");
  CHECK(c.exit_code == 2);
  CHECK_THAT(c.err, Catch::Contains("fifo.pem is a FIFO, not a regular file"));
}

// breakR R1: the key was checked with stat() and then opened by name with a blocking open(),
// several times a run: a FIFO swapped in between hung the run past SIGTERM. Every open of
// the key now is non-blocking and checked on what it opened: no open of it can wait.
TEST_CASE("the signing key is never opened in a way that can block", "[cli][audit-verify]") {
  REQUIRE(Shell("command -v strace").exit_code == 0);
  std::string dir = StoreAndKeys();
  std::string file = WriteFile(dir, "t.yaml",
                               "version: 1\nname: v\nsteps:\n"
                               "  - {id: a, uses: exec, with: {run: [/bin/true]}}\n");
  Command c =
      Shell(std::string(kStrace) + " -f -e trace=openat -o " + dir + "/trace " + Binary() +
            " run --audit-db " + dir + "/audit.db " + file + " --sign-key " + dir + "/key.pem");
  REQUIRE(c.exit_code == 0);
  std::string opens = Shell("grep -F '" + dir + "/key.pem' " + dir + "/trace").out;
  INFO(opens);
  CHECK(!opens.empty());
  CHECK(Shell("grep -F '" + dir + "/key.pem' " + dir + "/trace | grep -vc O_NONBLOCK").out ==
        "0\n");
}
