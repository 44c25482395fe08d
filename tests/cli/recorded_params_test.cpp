// What the store keeps of an attempt's parameters is bounded (breakJ J30): a string longer
// than kRecordedParamBytes is kept as its start, its length and its sha256; the secrets are
// masked before the cut, so no piece of one is kept; the run's own parameters, which resume
// reads back, are whole, and a resumed run gets them whole.
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "engine/util/strings.h"
#include "support/support.h"

using namespace runbook::test;

namespace {

int64_t Sql(const std::string& db, const std::string& sql) {
  Command c = Shell(kSqliteWaiting + db + " \"" + sql + "\"");
  REQUIRE(c.exit_code == 0);
  return std::stoll(c.out);
}

}  // namespace

TEST_CASE("an attempt's long parameters are recorded cut, the run's whole",
          "[cli][audit][bounds]") {
  std::string dir = TempDir();
  // A 125 KB argument built by an expression, the secret right where the cut falls, a
  // 70 KB run parameter, three attempts that fail.
  WriteFile(dir, "b.yaml",
            "version: 1\nname: b\nsecrets:\n  token: {env: BIG_TOKEN}\n"
            "params:\n  pad: {type: string, default: " +
                std::string(65530, 'a') +
                "}\n  tail: {type: string, default: " + std::string(60000, 'b') +
                "}\n  whole: {type: string, default: " + std::string(70000, 'w') +
                "}\nsteps:\n"
                "  - id: s\n    uses: exec\n    retry: {max_attempts: 3, delay: 10ms}\n"
                "    with: {run: [sh, -c, 'test -e go && test ${#1} -gt 100000', x, "
                "\"${{ format('{0}{1}{2}', params.pad, secrets.token, params.tail) }}\"]}\n");
  Command run = Shell("cd " + dir + " && BIG_TOKEN=SECRET-0123456789-XYZ " + Binary() +
                      " run b.yaml --audit-db a.db");
  REQUIRE(run.exit_code == 1);
  std::string db = dir + "/a.db";
  CHECK(Sql(db, "SELECT count(*) FROM events WHERE kind='attempt_started'") == 3);
  // Each attempt: about 64 KiB, not 125 KB (the masked value is 125533 bytes).
  CHECK(Sql(db, "SELECT max(length(body)) FROM events WHERE kind='attempt_started'") < 70000);
  CHECK(Sql(db,
            "SELECT count(*) FROM events WHERE kind='attempt_started' AND body LIKE "
            "'%... [cut by runbook: %bytes in all, sha256 %'") == 3);
  // The secret straddled the cut: masked first, so not one character of it is kept.
  CHECK(Sql(db,
            "SELECT count(*) FROM events WHERE body LIKE '%SECRET-0%' OR body LIKE "
            "'%0123456789%'") == 0);
  // The run's parameters are whole: the 70 KB one too.
  CHECK(Sql(db, "SELECT length(body) FROM events WHERE kind='run_started'") > 195000);
  // show prints the cut value, and the chain is intact.
  std::string id = LatestRunId(db);
  Command show = Shell(Binary() + " show --audit-db " + db + " " + id + " 2>&1");
  CHECK(show.exit_code == 0);
  CHECK(Shell(Binary() + " audit verify --audit-db " + db).exit_code == 0);
  // resume runs with the whole values: the step's argument is over 100 KB again.
  Shell("touch " + dir + "/go");
  Command resumed = Shell("cd " + dir + " && BIG_TOKEN=SECRET-0123456789-XYZ " + Binary() +
                          " resume " + id + " --audit-db a.db");
  CHECK(resumed.exit_code == 0);
}

TEST_CASE("a param recorded masked is given again to a resume, checked by its mask",
          "[cli][audit][resume]") {
  std::string dir = TempDir();
  // `url` holds the secret's text when given on the command line; `n` is an integer.
  WriteFile(dir, "m.yaml",
            "version: 1\nname: m\nsecrets:\n  token: {env: M_TOKEN}\n"
            "params:\n  url: {type: string, default: none}\n  n: {type: integer, default: 1}\n"
            "steps:\n"
            "  - {id: a, uses: exec, with: {shell: true, run: 'test -f go && printf %s "
            "\"${{ params.url }}|${{ params.n }}\" > got.txt'}}\n");
  std::string env = "cd " + dir + " && M_TOKEN=s3cr3t-T0KEN-42 ";
  Command failed = Shell(env + Binary() +
                         " run m.yaml --set url=https://u:s3cr3t-T0KEN-42@h/x --set n=5 "
                         "--audit-db a.db");
  REQUIRE(failed.exit_code == 1);
  std::string id = LatestRunId(dir + "/a.db");
  REQUIRE(!id.empty());
  CHECK(Shell(kSqliteWaiting + dir +
              "/a.db \"select count(*) from events where body like "
              "'%s3cr3t-T0KEN%'\"")
            .out == "0\n");
  Shell("touch " + dir + "/go");
  // Not given again: refused, naming the param and --set; nothing ran.
  Command bare = Shell(env + Binary() + " resume " + id + " --audit-db a.db");
  CHECK(bare.exit_code == 2);
  CHECK_THAT(bare.err, Catch::Contains("param 'url' of run " + id +
                                       " was recorded masked (its value holds a secret's text); "
                                       "give it again: on a terminal, where it is asked for "
                                       "without echo, or --set url=VALUE"));
  CHECK(ReadFile(dir + "/got.txt").empty());
  // Another value: its mask differs from the recorded one.
  Command wrong =
      Shell(env + Binary() + " resume " + id + " --audit-db a.db --set url=https://u:x@h/x");
  CHECK(wrong.exit_code == 2);
  CHECK_THAT(wrong.err, Catch::Contains("--set url: not the value run " + id + " had"));
  // A param that was not masked keeps the run's value: --set for it is refused.
  Command other = Shell(env + Binary() + " resume " + id +
                        " --audit-db a.db --set url=https://u:s3cr3t-T0KEN-42@h/x --set n=6");
  CHECK(other.exit_code == 2);
  CHECK_THAT(other.err, Catch::Contains("--set n: a resume runs with the parameters of run"));
  CHECK(ReadFile(dir + "/got.txt").empty());
  // The value itself: the resume runs with it, the other param as recorded.
  Command resumed = Shell(env + Binary() + " resume " + id +
                          " --audit-db a.db --set url=https://u:s3cr3t-T0KEN-42@h/x");
  CHECK(resumed.exit_code == 0);
  CHECK(ReadFile(dir + "/got.txt") == "https://u:s3cr3t-T0KEN-42@h/x|5");
  CHECK(resumed.err.find("s3cr3t-T0KEN") == std::string::npos);
}

TEST_CASE(
    "a masked param: the mask itself is refused, a default is taken from the file, numbers "
    "are masked, and the continue line says what to add (breakL L1 L2 L15 L18)",
    "[cli][audit][resume]") {
  std::string dir = TempDir();
  WriteFile(dir, "m.yaml",
            "version: 1\nname: m\nsecrets:\n  pin: {env: M_PIN}\n"
            "params:\n  url: {type: string, default: 'https://u:98765432@h/x'}\n"
            "  port: {type: integer, default: 1}\n  ids: {type: list, default: []}\n"
            "steps:\n"
            "  - {id: a, uses: exec, with: {shell: true, run: 'test -f go && printf %s "
            "\"${{ params.url }}|${{ params.port }}\" > got.txt'}}\n");
  std::string env = "cd " + dir + " && M_PIN=98765432 ";
  // The url keeps its default (holding the secret); port and ids hold it as numbers.
  Command failed = Shell(env + Binary() +
                         " run m.yaml --set port=98765432 --set 'ids=[98765432]' --audit-db a.db");
  REQUIRE(failed.exit_code == 1);
  std::string id = LatestRunId(dir + "/a.db");
  REQUIRE(!id.empty());
  CHECK(Shell(kSqliteWaiting + dir + "/a.db .dump | grep -c 98765432").out == "0\n");
  // The continue line, then what to add: port and ids, not url (its default is in the file).
  CHECK_THAT(failed.err, Catch::Contains("runbook: add --set ids=VALUE: param 'ids' was "
                                         "recorded masked"));
  CHECK_THAT(failed.err, Catch::Contains("runbook: add --set port=VALUE"));
  CHECK_THAT(failed.err, !Catch::Contains("add --set url="));
  Shell("touch " + dir + "/go");
  // What show prints ("***") given back is refused.
  Command mask = Shell(env + Binary() + " resume " + id +
                       " --audit-db a.db --set 'port=***' --set 'ids=[98765432]'");
  CHECK(mask.exit_code == 2);
  CHECK_THAT(mask.err, Catch::Contains("--set port: give the value itself; '***' is what runbook "
                                       "shows in place of a secret"));
  // Another number is not the value the run had.
  Command other = Shell(env + Binary() + " resume " + id +
                        " --audit-db a.db --set port=12345678 --set 'ids=[98765432]'");
  CHECK(other.exit_code == 2);
  CHECK_THAT(other.err, Catch::Contains("--set port: not the value run " + id + " had"));
  CHECK(ReadFile(dir + "/got.txt").empty());
  // The values themselves; url comes from the file's default.
  Command resumed = Shell(env + Binary() + " resume " + id +
                          " --audit-db a.db --set port=98765432 --set 'ids=[98765432]'");
  CHECK(resumed.exit_code == 0);
  CHECK(ReadFile(dir + "/got.txt") == "https://u:98765432@h/x|98765432");
}

// breakO O11: masking was decided on the parsed value's text, so a PIN with leading zeros,
// a '+' or trailing zeros given to a number param reached the step's output and the store
// as most of its digits. The form it reads as is masked as the secret is; a resume given the
// same spelling again is taken (the fingerprint is of the same read value).
TEST_CASE("a secret given as a number param in another spelling stays masked (breakO O11)",
          "[cli][audit][resume][secrets]") {
  std::string dir = TempDir();
  WriteFile(dir, "p.yaml",
            "version: 1\nname: p\nsecrets:\n  s: {env: SV}\n"
            "params:\n  pin: {type: integer, default: 0}\n  amt: {type: number, default: 0}\n"
            "  ids: {type: list, default: []}\n"
            "steps:\n"
            "  - {id: a, uses: exec, with: {shell: true, run: 'echo pin=${{ params.pin }} "
            "amt=${{ params.amt }} ids=${{ params.ids }}; test -f go'}}\n");
  struct Case {
    std::string secret, sets, digits;
  };
  for (const Case& c : {Case{"00424242", "--set pin=00424242", "424242"},
                        Case{"+9876543", "--set pin=+9876543", "9876543"},
                        Case{"1234.500", "--set amt=1234.500", "1234.5"},
                        Case{"1234.500", "--set 'ids=[1234.500]'", "1234.5"}}) {
    CAPTURE(c.secret, c.sets);
    Shell("rm -f " + dir + "/a.db* " + dir + "/go");
    std::string env = "cd " + dir + " && SV='" + c.secret + "' ";
    Command failed = Shell(env + Binary() + " run p.yaml " + c.sets + " --audit-db a.db");
    REQUIRE(failed.exit_code == 1);
    CHECK(failed.err.find(c.digits) == std::string::npos);
    CHECK(Shell(kSqliteWaiting + dir + "/a.db .dump | grep -c '" + c.digits + "'").out == "0\n");
    std::string id = LatestRunId(dir + "/a.db");
    Shell("touch " + dir + "/go");
    Command resumed =
        Shell(env + Binary() + " resume " + id + " --audit-db a.db " + c.sets + " 2>&1");
    CHECK(resumed.exit_code == 0);
    CHECK(resumed.out.find(c.digits) == std::string::npos);
  }
}

// breakL L18: `--set` puts the secret in argv, where `ps` shows it to every user. On a
// terminal the resume asks for it instead, without echo, as ssh asks for a password.
TEST_CASE("on a terminal a masked param is asked for without echo, not taken from argv",
          "[cli][resume][secrets][tty]") {
  std::string dir = TempDir();
  WriteFile(dir, "m.yaml",
            "version: 1\nname: m\nsecrets:\n  token: {env: M_TOKEN}\n"
            "params:\n  url: {type: string, default: none}\n"
            "steps:\n"
            "  - {id: a, uses: exec, with: {shell: true, run: 'test -f go && printf %s "
            "\"${{ params.url }}\" > got.txt'}}\n");
  std::string env = "cd " + dir + " && M_TOKEN=s3cr3t-T0KEN-42 ";
  REQUIRE(Shell(env + Binary() + " run m.yaml --set url=https://u:s3cr3t-T0KEN-42@h/x " +
                "--audit-db a.db")
              .exit_code == 1);
  std::string id = LatestRunId(dir + "/a.db");
  Shell("touch " + dir + "/go");
  // A wrong value typed: said as a wrong --set is, named as typed, never echoed, and asked
  // again (breakFF F10: it ended the resume); three wrong ones end it, as sudo's tries do.
  std::string nope = " --send-on 'not shown): ' 'https://u:nope@h/x\\n'";
  Command wrong = Shell(env + PtyRun() + nope + nope + nope + " -- " + Binary() + " resume " + id +
                        " --audit-db a.db");
  CHECK(wrong.exit_code == 2);
  CHECK_THAT(wrong.out, Catch::Contains("the value typed for url: not the value run " + id) &&
                            Catch::Contains("; try again") && Catch::Contains("(3 tries)") &&
                            !Catch::Contains("nope"));
  // Ctrl-D at the question gives up.
  Command gave_up = Shell(env + PtyRun() + nope + " --send-on 'not shown): ' '\\x04' -- " +
                          Binary() + " resume " + id + " --audit-db a.db");
  CHECK(gave_up.exit_code == 2);
  CHECK_THAT(gave_up.out, Catch::Contains("give it again"));
  // A mistyped value, then the right one: the resume goes on.
  Command typed = Shell(env + PtyRun() + nope + " --send-on 'not shown): ' " +
                        "'https://u:s3cr3t-T0KEN-42@h/x\\n' -- " + Binary() + " resume " + id +
                        " --audit-db a.db");
  INFO(typed.out);
  CHECK(typed.exit_code == 0);
  CHECK_THAT(typed.out, Catch::Contains("param 'url' of run " + id + " was recorded masked") &&
                            !Catch::Contains("s3cr3t-T0KEN"));
  CHECK(ReadFile(dir + "/got.txt") == "https://u:s3cr3t-T0KEN-42@h/x");
}

// breakN N5: the check compared masks, so another secret at the same place, or an encoded form
// of the same one, masked alike and passed. The run records a keyed fingerprint instead.
TEST_CASE("a masked param given again must be the value itself, not one that masks alike",
          "[cli][resume][secrets]") {
  std::string dir = TempDir();
  WriteFile(dir, "m.yaml",
            "version: 1\nname: m\nsecrets:\n  prod: {env: PROD_PW}\n  staging: {env: STAGING_PW}\n"
            "params:\n  pw: {type: string, default: x}\n"
            "steps:\n  - {id: a, uses: exec, env: {P: '${{ params.pw }}'}, with: {shell: true, "
            "run: 'test -f go && printf %s \"$P\" > got.txt'}}\n");
  std::string env = "cd " + dir + " && PROD_PW=prodpassword1 STAGING_PW=stagingpw222 ";
  // A credential the run inherited but the value does not hold (a per-job token) changes by
  // the resume, and one appears: the value is still the run's (breakO O2: refused forever).
  REQUIRE(Shell(env + "GITHUB_TOKEN=ghs_jobone111111 " + Binary() +
                " run m.yaml --set pw=prodpassword1 --audit-db a.db")
              .exit_code == 1);
  std::string id = LatestRunId(dir + "/a.db");
  Shell("touch " + dir + "/go");
  for (const char* other : {"stagingpw222", "prodpassword%31", "prod%70assword1"}) {
    INFO(other);
    Command c = Shell(env + Binary() + " resume " + id + " --set pw=" + other +
                      " --audit-db a.db </dev/null");
    CHECK(c.exit_code == 2);
    CHECK_THAT(c.err, Catch::Contains("--set pw: not the value run " + id + " had"));
  }
  CHECK(ReadFile(dir + "/got.txt").empty());
  Command same = Shell(env + "GITHUB_TOKEN=ghs_jobtwo222222 AWS_SESSION_TOKEN=newsession9999 " +
                       Binary() + " resume " + id + " --set pw=prodpassword1 --audit-db a.db");
  INFO(same.err);
  CHECK(same.exit_code == 0);
  CHECK(ReadFile(dir + "/got.txt") == "prodpassword1");
  // The fingerprint is no secret's text: the store holds neither password.
  CHECK(Shell("grep -c -a -e prodpassword1 -e stagingpw222 " + dir + "/a.db").out == "0\n");
}

// breakN N8: a refused value was quoted whole in the error, a secret included.
TEST_CASE("a refused --set or --input value holding a secret is masked in the error",
          "[cli][secrets]") {
  std::string dir = TempDir();
  WriteFile(dir, "n.yaml",
            "version: 1\nname: n\nparams:\n  n: {type: integer, default: 1}\n"
            "  e: {type: string, enum: [a, b], default: a}\n  d: {type: duration, default: 1s}\n"
            "secrets:\n  s: {env: N_SECRET}\nsteps:\n  - id: g\n    uses: approval\n"
            "    with: {prompt: 'ok?', inputs: {k: {type: integer, default: 1}}}\n");
  std::string env = "cd " + dir + " && N_SECRET=hunter2secret GITHUB_TOKEN=ghp_abcdefghijklmnop ";
  const std::string run = "run n.yaml --audit-db a.db ";
  for (const std::string& args :
       {run + "--set n=hunter2secret", std::string("plan n.yaml --set e=hunter2secret"),
        run + "--set d=hunter2secret", run + "--input g.k=hunter2secret",
        run + "--set n=ghp_abcdefghijklmnop", run + "--set hunter2secret",
        run + "--input hunter2secret"}) {
    INFO(args);
    Command c = Shell(env + Binary() + " " + args + " </dev/null");
    CHECK(c.exit_code == 2);
    CHECK_THAT(c.err, Catch::Contains("error") && !Catch::Contains("hunter2secret") &&
                          !Catch::Contains("ghp_abcdefghijklmnop"));
  }
  // breakO O19: a value over 40 bytes was cut to 37 before it was masked, so a longer secret
  // was printed nearly whole. Variants: a declared secret, a credential variable, with a
  // byte before them; --set of each type and --input.
  const std::string key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";  // 40 bytes
  const std::string token(60, 'q');
  std::string env2 = "cd " + dir + " && N_SECRET=" + token + " AWS_SECRET_ACCESS_KEY=" + key + " ";
  for (const std::string& args :
       {run + "--set n=x" + key, run + "--set e=" + token, run + "--set d=" + token,
        run + "--input g.k=" + token, std::string("plan n.yaml --set n=") + token,
        run + "--set n=" + std::string(60, '7')}) {
    INFO(args);
    Command c = Shell(env2 + Binary() + " " + args + " </dev/null");
    CHECK(c.exit_code == 2);
    CHECK_THAT(c.err, Catch::Contains("error") && Catch::Contains("bytes, not shown)"));
    CHECK_THAT(c.err, !Catch::Contains(key.substr(0, 8)) && !Catch::Contains("qqqqqqqq") &&
                          !Catch::Contains("77777777"));
  }
}

TEST_CASE("a masked param's fingerprint is keyed by the store's own key, kept from readers",
          "[cli][resume][secrets]") {
  // breakO O15: keyed by the secrets alone, the fingerprint of a param holding a 6-digit PIN
  // let any reader of the store (or of an export) test guesses offline. The key is random,
  // per store, beside it with mode 0600: two stores give the same value different prints.
  std::string dir = TempDir();
  WriteFile(dir, "pin.yaml",
            "version: 1\nname: pin\nparams:\n  pin: {type: integer, default: 0}\n"
            "secrets:\n  card_pin: {env: CARD_PIN}\nsteps:\n"
            "  - {id: a, uses: exec, with: {run: [test, -f, " +
                dir + "/go]}}\n");
  std::string env = "cd " + dir + " && CARD_PIN=482193 " + Binary();
  auto print = [&](const std::string& db) {
    return Shell(kSqliteWaiting + dir + "/" + db +
                 " \"select json_extract(body, '$.masked_param_fingerprints.pin') from events "
                 "where kind='run_started'\"")
        .out;
  };
  for (const char* db : {"a.db", "b.db"})
    REQUIRE(Shell(env + " run pin.yaml --set pin=482193 --audit-db " + db).exit_code == 1);
  CHECK(print("a.db").size() == 65);  // 64 hex digits and a newline
  CHECK(print("a.db") != print("b.db"));
  CHECK(Shell("stat -c %a " + dir + "/a.db-fingerprint-key").out == "600\n");
  CHECK(Shell("grep -c -a 482193 " + dir + "/a.db " + dir + "/a.db-fingerprint-key").out ==
        dir + "/a.db:0\n" + dir + "/a.db-fingerprint-key:0\n");
  // The resume checks the value with the key: the right one passes, another does not.
  std::string id = LatestRunId(dir + "/a.db");
  Shell("touch " + dir + "/go");
  Command wrong = Shell(env + " resume " + id + " --set pin=482194 --audit-db a.db </dev/null");
  CHECK(wrong.exit_code == 2);
  Command right = Shell(env + " resume " + id + " --set pin=482193 --audit-db a.db </dev/null");
  INFO(right.err);
  CHECK(right.exit_code == 0);
  // Without the key (lost with a copy of the store) a resume compares masks, as for records
  // older than fingerprints.
  Shell("rm " + dir + "/b.db-fingerprint-key");
  std::string other = LatestRunId(dir + "/b.db");
  Command masked = Shell(env + " resume " + other + " --set pin=482193 --audit-db b.db </dev/null");
  INFO(masked.err);
  CHECK(masked.exit_code == 0);
}

// breakO O26: outputs were masked when made, so `${{ steps.a.outputs.dsn }}` gave later steps
// `postgres://app:***@db/prod`, in a run and a resume alike, and the run passed. A run gives
// the value; a resume, which has only the masked record, fails the step that reads it and
// names --rerun, which runs the step again to get the value back.
TEST_CASE("an output holding a secret reaches later steps whole, and a resume says it lacks it",
          "[cli][resume][secrets]") {
  std::string dir = TempDir();
  WriteFile(dir, "co.yaml",
            "version: 1\nname: co\nsecrets:\n  pw: {env: DB_PW}\nsteps:\n"
            "  - {id: a, uses: exec, with: {shell: true, run: 'echo "
            "\"dsn=postgres://app:${{ secrets.pw }}@db/prod\" >> $RUNBOOK_OUTPUT; "
            "echo \"${{ secrets.pw }}=named\" >> $RUNBOOK_OUTPUT'}}\n"
            "  - {id: b, uses: exec, needs: [a], with: {shell: true, run: 'test -e ok && "
            "echo \"${{ steps.a.outputs.dsn }}\" > app.env'}}\n");
  std::string env = "cd " + dir + " && DB_PW=hunter2pw ";
  Command failed = Shell(env + Binary() + " run co.yaml --audit-db a.db");
  REQUIRE(failed.exit_code == 1);
  std::string id = LatestRunId(dir + "/a.db");
  CHECK(Shell(kSqliteWaiting + dir + "/a.db .dump | grep -c hunter2pw").out == "0\n");
  Shell("touch " + dir + "/ok");
  // --rerun of a step that neither stopped mid-way nor passed with masked outputs: refused.
  Command typo = Shell(env + Binary() + " resume " + id + " --audit-db a.db --rerun b");
  CHECK(typo.exit_code == 2);
  CHECK_THAT(typo.err, Catch::Contains("nor passed with outputs or paths recorded masked"));
  // The resume carries a; b reads its masked output: b fails before it starts.
  Command resumed = Shell(env + Binary() + " resume " + id + " --audit-db a.db");
  CHECK(resumed.exit_code == 1);
  CHECK_THAT(resumed.err, Catch::Contains("output 'dsn' of step 'a' held a secret and was "
                                          "recorded masked in run " +
                                          id));
  CHECK_THAT(resumed.err, Catch::Contains("--rerun a"));
  CHECK(!std::filesystem::exists(dir + "/app.env"));
  // breakQ Q2: the command that continues, printed at the end and by show, has that --rerun.
  std::string again = LatestRunId(dir + "/a.db");
  CHECK_THAT(resumed.err, Catch::Contains("to continue this run: runbook resume " + again) &&
                              Catch::Contains(" --rerun a\n"));
  CHECK_THAT(Shell(env + Binary() + " show " + again + " --audit-db a.db").out,
             Catch::Contains("--rerun a\n"));
  // --rerun a: a runs again, b gets the value.
  Command rerun = Shell(env + Binary() + " resume " + again + " --audit-db a.db --rerun a");
  CHECK(rerun.exit_code == 0);
  CHECK(ReadFile(dir + "/app.env") == "postgres://app:hunter2pw@db/prod\n");
  // A fresh run gives b the value; nothing of it is printed or recorded.
  Shell("rm " + dir + "/app.env");
  Command fresh = Shell(env + Binary() + " run co.yaml --audit-db a.db");
  CHECK(fresh.exit_code == 0);
  CHECK(ReadFile(dir + "/app.env") == "postgres://app:hunter2pw@db/prod\n");
  CHECK(fresh.err.find("hunter2pw") == std::string::npos);
  CHECK(Shell(kSqliteWaiting + dir + "/a.db .dump | grep -c hunter2pw").out == "0\n");
}

// breakQ Q2: whatever reads the masked output (a step's env, its `if:`, a finally step's
// message), the command that continues names --rerun of the step that made it, and running
// that command as printed completes the run.
TEST_CASE("the command that continues names --rerun for a masked output, whatever read it",
          "[cli][resume][secrets]") {
  const char* readers[] = {
      "  - {id: c, uses: exec, needs: [b], env: {DSN: '${{ steps.a.outputs.dsn }}'}, "
      "with: {run: [true]}}\n",
      "  - {id: c, uses: log, needs: [b], if: \"${{ steps.a.outputs.dsn != '' }}\", "
      "with: {message: c}}\n",
      "finally:\n  - {id: c, uses: log, with: {message: '${{ steps.a.outputs.dsn }}'}}\n"};
  for (const char* reader : readers) {
    DYNAMIC_SECTION(reader) {
      std::string dir = TempDir();
      WriteFile(dir, "r.yaml",
                std::string("version: 1\nname: r\nsecrets:\n  pw: {env: DB_PW}\nsteps:\n"
                            "  - {id: a, uses: exec, with: {shell: true, run: 'echo "
                            "\"dsn=pg://u:${{ secrets.pw }}@h\" >> $RUNBOOK_OUTPUT'}}\n"
                            "  - {id: b, uses: exec, needs: [a], with: {run: [test, -e, ") +
                    dir + "/ok]}}\n" + reader);
      std::string env = "cd " + dir + " && DB_PW=hunter2pw " + Binary();
      REQUIRE(Shell(env + " run r.yaml --audit-db a.db").exit_code == 1);
      Shell("touch " + dir + "/ok");
      Command resumed = Shell(env + " resume " + LatestRunId(dir + "/a.db") + " --audit-db a.db");
      INFO(resumed.err);
      CHECK(resumed.exit_code == 1);
      std::string again = LatestRunId(dir + "/a.db");
      std::string line = "runbook resume " + again + " --audit-db " +
                         runbook::ShellQuote(dir + "/a.db") + " --rerun a";
      CHECK_THAT(resumed.err, Catch::Contains("to continue this run: " + line + "\n"));
      CHECK_THAT(Shell(env + " show " + again + " --audit-db a.db").out,
                 Catch::Contains(line + "\n"));
      Command continued = Shell("cd " + dir + " && DB_PW=hunter2pw " +
                                line.replace(0, 7, Binary()) + " </dev/null");
      INFO(continued.err);
      CHECK(continued.exit_code == 0);
    }
  }
}

// A folder with pin.yaml: an integer param `pin` and a secret `card` from CARD_PIN.
static std::string PinRunbook() {
  std::string dir = TempDir();
  WriteFile(dir, "pin.yaml",
            "version: 1\nname: pin\nparams:\n  pin: {type: integer, default: 0}\n"
            "secrets:\n  card: {env: CARD_PIN}\nsteps:\n"
            "  - {id: a, uses: exec, with: {run: [echo, '${{ params.pin }}']}}\n");
  return dir;
}

// breakP P8: a fingerprint key file planted by another account (or left readable by others)
// was used, so the fingerprints verified guesses offline again. It is not used, with a
// warning; the run records no fingerprint.
TEST_CASE("a fingerprint key that is not private to this account is not used",
          "[cli][audit][secrets]") {
  std::string dir = PinRunbook();
  std::string key(64, 'a');
  for (std::string how : {"chmod 644", "chmod 600 a.db-fingerprint-key && chown 65534"}) {
    CAPTURE(how);
    Shell("cd " + dir + " && rm -f a.db* && printf " + key + " > a.db-fingerprint-key && " + how +
          " a.db-fingerprint-key");
    Command run = Shell("cd " + dir + " && CARD_PIN=482193 " + Binary() +
                        " run pin.yaml --set pin=482193 --audit-db a.db");
    CHECK(run.exit_code == 0);
    CHECK_THAT(run.err, Catch::Contains("warning: masked params get no fingerprint: ") &&
                            Catch::Contains("is not a private key file of yours"));
    CHECK(Shell(kSqliteWaiting + dir + "/a.db \"select body from events where kind='run_started'\"")
              .out.find("\"pin\":\"\"") != std::string::npos);
  }
}

// breakQ Q1, Q4: the number a secret reads as reached the store as a JSON number through the
// step's resolved params, an approval input and a log step's outputs, and `plan`.
TEST_CASE("a secret read as a number is masked in every sink that records values",
          "[cli][audit][secrets]") {
  std::string dir = TempDir();
  WriteFile(dir, "s.yaml",
            "version: 1\nname: sec\nsecrets:\n  pin: {env: PIN}\n"
            "params:\n  n: {type: integer, default: 1}\n  f: {type: number, default: 1}\n"
            "steps:\n"
            "  - id: gate\n    uses: approval\n    with:\n      prompt: ok?\n      inputs:\n"
            "        num: {type: integer, required: true}\n"
            "  - {id: a, needs: [gate], uses: exec, with: {run: [sh, -c, 'echo $0 $1', "
            "'${{ params.n }}', '${{ params.f }}']}}\n"
            "  - {id: l, needs: [a], uses: log, with: {message: x, outputs: {pin: "
            "'${{ params.n }}'}}}\n");
  std::string rb = "cd " + dir + " && PIN=00424242 " + Binary();
  Command run = Shell(rb +
                      " run s.yaml --set n=00424242 --set f=424242.000 --approve gate "
                      "--input gate.num=00424242 --audit-db a.db");
  INFO(run.err);
  CHECK(run.exit_code == 0);
  CHECK(run.err.find("424242") == std::string::npos);
  CHECK(Shell(kSqliteWaiting + dir + "/a.db .dump | grep -c 424242").out == "0\n");
  std::string id = LatestRunId(dir + "/a.db");
  for (const char* format : {"md", "html", "json"})
    CHECK(Shell(rb + " report " + id + " --format " + format + " --audit-db a.db | grep -c 424242")
              .out == "0\n");
  CHECK(Shell(rb + " show " + id + " --audit-db a.db | grep -c 424242").out == "0\n");
  for (const char* format : {"text", "json"})
    CHECK(Shell(rb + " plan s.yaml --set n=00424242 --format " + std::string(format) +
                " | grep -c 424242")
              .out == "0\n");
}

// breakQ Q7: `plan` read a `file:` secret against the caller's folder, not the run's base, so
// from another folder it masked nothing and printed the secret.
TEST_CASE("plan reads a file secret against the run's base, from any folder",
          "[cli][secrets][plan]") {
  std::string dir = TempDir();
  Shell("mkdir -p " + dir + "/proj/runbooks && printf 'wd-secret-5555\\n' > " + dir +
        "/proj/sec.txt");
  WriteFile(dir + "/proj/runbooks", "p.yaml",
            "version: 1\nname: p\nworking_directory: ..\nsecrets:\n  fs: {file: sec.txt}\n"
            "params:\n  s: {type: string, default: x}\nsteps:\n"
            "  - {id: a, uses: exec, with: {run: [echo, '${{ params.s }}']}}\n");
  for (const std::string& from : {dir + "/proj", dir + "/proj/runbooks", std::string("/")}) {
    CAPTURE(from);
    for (const char* format : {"text", "json"}) {
      Command plan = Shell("cd " + from + " && " + Binary() + " plan " + dir +
                           "/proj/runbooks/p.yaml --set s=wd-secret-5555 --format " + format);
      CHECK(plan.exit_code == 0);
      CHECK(plan.out.find("wd-secret-5555") == std::string::npos);
    }
  }
}

// breakR R4: `resume` read `file:` secrets before entering the run's base, against the
// caller's folder: from a folder with a decoy `sec.txt` it masked the decoy and printed and
// recorded the secret; from one without, it refused. Variants: resume from the decoy folder,
// from `/`, and `--runbook` at a new place called from the decoy folder.
TEST_CASE("resume reads a file secret against the run's base, from any folder",
          "[cli][secrets][resume]") {
  std::string dir = TempDir();
  auto project = [&](const std::string& at) {
    Shell("mkdir -p " + at + "/runbooks && printf 'wd-secret-5555\\n' > " + at + "/sec.txt");
    WriteFile(at + "/runbooks", "p.yaml",
              "version: 1\nname: p\nworking_directory: ..\nsecrets:\n  fs: {file: sec.txt}\n"
              "steps:\n  - {id: a, uses: exec, with: {run: [sh, -c, 'cat sec.txt; test -e " +
                  dir + "/ok']}}\n");
  };
  project(dir + "/proj");
  Shell("mkdir -p " + dir + "/decoy && printf 'decoy-text-77\\n' > " + dir + "/decoy/sec.txt");
  std::string db = " --audit-db " + dir + "/a.db";
  auto failed_run = [&] {
    Shell("rm -f " + dir + "/ok");
    Command run =
        Shell("cd " + dir + "/decoy && " + Binary() + " run " + dir + "/proj/runbooks/p.yaml" + db);
    REQUIRE(run.exit_code == 1);
    CHECK(run.err.find("wd-secret-5555") == std::string::npos);
    Shell("touch " + dir + "/ok");
    return LatestRunId(dir + "/a.db");
  };
  for (const std::string& from : {dir + "/decoy", std::string("/")}) {
    CAPTURE(from);
    Command resumed = Shell("cd " + from + " && " + Binary() + " resume " + failed_run() + db);
    INFO(resumed.err);
    CHECK(resumed.exit_code == 0);
    CHECK_THAT(resumed.err, Catch::Contains("a | ***") && !Catch::Contains("wd-secret-5555"));
  }
  std::string id = failed_run();
  Shell("cp -r " + dir + "/proj " + dir + "/moved");
  Command moved = Shell("cd " + dir + "/decoy && " + Binary() + " resume " + id + db +
                        " --runbook " + dir + "/moved/runbooks/p.yaml");
  INFO(moved.err);
  CHECK(moved.exit_code == 0);
  CHECK_THAT(moved.err, Catch::Contains("a | ***") && !Catch::Contains("wd-secret-5555"));
  CHECK(Shell(kSqliteWaiting + dir + "/a.db .dump | grep -c wd-secret-5555").out == "0\n");
}

// breakQ Q8: a FIFO at the fingerprint key's name hung the run in open(), deaf to Ctrl-C.
TEST_CASE("a FIFO at the fingerprint key's name is refused, not waited on",
          "[cli][audit][secrets]") {
  std::string dir = PinRunbook();
  Shell("mkfifo " + dir + "/a.db-fingerprint-key");
  Command run = Shell("cd " + dir + " && CARD_PIN=482193 timeout -k 1 20 " + Binary() +
                      " run pin.yaml --set pin=482193 --audit-db a.db");
  CHECK(run.exit_code == 0);
  CHECK_THAT(run.err, Catch::Contains("is not a private key file of yours (a FIFO, uid"));
}
