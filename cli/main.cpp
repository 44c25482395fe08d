// runbook's entry point: builds the step registry from the built-in registrations, parses
// the command line with CLI11 and hands over to one subcommand (cli/*_cmd.cpp).
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string_view>

#include "cli/bidi_stderr.h"
#include "cli/cli_errors.h"
#include "cli/commands.h"
#include "cli/completion_cmd.h"
#include "cli/sets_stdin.h"
#include "engine/process_tree.h"
#include "engine/util/strings.h"
#include "notify/sender.h"

namespace {

// The store rule (cli/run_place.h), as --help and the man page give it (breakK K18).
const char* const kAuditDbHelp =
    "the audit store (default $RUNBOOK_AUDIT_DB, else the nearest .runbook/audit.db walking "
    "up, else $XDG_STATE_HOME/runbook/audit.db)";

// Options of `run` and `resume` about the record they leave.
void AddRunRecordOptions(CLI::App* cmd, runbook::RunCliOptions& o) {
  cmd->add_option("--audit-db", o.audit_db, kAuditDbHelp);
  cmd->add_option("--sign-key", o.sign_key,
                  "Ed25519 private key (PEM): sign the audit chain head when the run ends");
  cmd->add_option("--metrics-file", o.metrics_file,
                  "write Prometheus metrics here (node_exporter textfile collector)");
  cmd->add_flag("--wait", o.wait_lock, "wait for the runbook's lock instead of failing");
  // Hidden (no group): what runbook serve passes (docs/serve.md).
  cmd->add_option("--run-id", o.run_id, "the new run's id (runbook serve)")->group("");
  cmd->add_option("--trigger", o.trigger, "what started the run, a JSON object (runbook serve)")
      ->group("");
  cmd->add_flag("--approvals-via-api", o.approvals_via_api,
                "approval gates wait for an answer through serve's API (runbook serve)")
      ->group("");
  cmd->add_option("--notify-outbox", o.notify_outbox,
                  "where the run's end keeps what it owes to tell (runbook serve)")
      ->group("");
  cmd->add_option("--notify-sent", o.notify_sent, "the journal of what was told (runbook serve)")
      ->group("");
  cmd->add_option("--unrecorded", o.unrecorded,
                  "where what a locked store has not recorded yet is kept (runbook serve)")
      ->group("");
  cmd->add_flag("--sets-stdin", o.sets_stdin,
                "params on standard input, a JSON list of [NAME, VALUE] (runbook serve)")
      ->group("");
}

// serve's runs get their params on standard input, never argv (cli/sets_stdin.h). Returns
// whether they were taken; says why not.
bool TakeSets(runbook::RunCliOptions& o) {
  if (!o.sets_stdin) return true;
  runbook::Status s = runbook::TakeSetsFromStdin(o.sets);
  if (!s.ok()) std::cerr << "runbook: error: " << s.message() << "\n";
  return s.ok();
}

// An approval input is STEP.NAME=VALUE, checked while parsing: `--input ticket=X` is a
// usage error before anything is loaded (and in RUNBOOK_PARSE_ONLY mode).
std::string CheckStepInput(const std::string& s) {
  size_t eq = s.find('='), dot = eq == std::string::npos ? s.find('.') : s.rfind('.', eq);
  if (eq != std::string::npos && dot != std::string::npos && dot < eq) return "";
  // The value is not quoted: it may be a secret given without its name (breakN N8).
  return "expected STEP.NAME=VALUE (the approval step's id, a dot, the input's name), found " +
         (eq == std::string::npos ? std::string("an argument without '=' (not shown)")
                                  : "'" + runbook::Printable(s.substr(0, eq)) + "=...'");
}

// RUNBOOK_NOTIFY_RETRY_MS: the first wait between delivery attempts (docs/notify.md),
// milliseconds, 0 to 600000; unset 1000. Anything else is said and the default used, as the
// other RUNBOOK_* variables do (break24a N2: `abc`, `-5`, `1e3` and 20 digits meant no wait).
int NotifyRetryMs(const char* text) {
  if (text == nullptr) return 1000;
  const std::string_view t(text);
  int ms = -1;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), ms);
  if (ec == std::errc() && end == t.data() + t.size() && ms >= 0 && ms <= 600'000) return ms;
  std::cerr << "runbook: warning: RUNBOOK_NOTIFY_RETRY_MS='" << runbook::Printable(text)
            << "' is not 0 to 600000 (ms): 1000\n";
  return 1000;
}

int Main(int argc, char** argv) {
  using namespace runbook;
  // Before anything: past a file-size limit (ulimit -f) a write then fails with EFBIG and
  // becomes an error with a message, instead of SIGXFSZ killing runbook silently. Children
  // get the default disposition back (spawn.h).
  signal(SIGXFSZ, SIG_IGN);
  StepRegistry registry = MakeBuiltinRegistry();
  auto notifier = MakeHttpNotifySender(NotifyRetryMs(std::getenv("RUNBOOK_NOTIFY_RETRY_MS")));
  CLI::App app{"runbook - declarative runbooks: validate, plan and run them with evidence"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("runbook ") + RUNBOOK_VERSION);

  ValidateOptions validate;
  auto* v = app.add_subcommand("validate", "check runbooks; every mistake with file:line:col");
  v->add_option("files", validate.files, "runbook files")->required();
  v->add_option("--format", validate.format, "text, json or github")
      ->check(CLI::IsMember({"text", "json", "github"}));

  PlanOptions plan;
  auto* p =
      app.add_subcommand("plan", "what would run, in which order, and what each step would do");
  p->add_option("file", plan.file, "runbook file")->required();
  p->add_option("--set", plan.sets, "param value NAME=VALUE (repeatable)");
  p->add_option("--format", plan.format, "text or json")->check(CLI::IsMember({"text", "json"}));

  ScheduleOptions schedule;
  auto* sd = app.add_subcommand("schedule", "each runbook's schedules and next fire times");
  sd->add_option("paths", schedule.paths,
                 "runbook files, or folders of them (default: the current folder)");
  sd->add_option("--count", schedule.count, "next fires per schedule (default 3)")
      ->check(CountFrom1To(1000));
  sd->add_option("--from", schedule.from, "list fires after this UTC time (default: now)");
  sd->add_option("--format", schedule.format, "text or json")
      ->check(CLI::IsMember({"text", "json"}));

  ServeCliOptions serve;
  auto* sv = app.add_subcommand(
      "serve", "fire the schedules of a folder of runbooks and serve the HTTP API");
  sv->add_option("--runbooks", serve.runbooks, "the folder of runbooks (*.yaml, *.yml)")
      ->required();
  sv->add_option("--listen", serve.listen, "HOST:PORT to listen on (default 127.0.0.1:8765)");
  sv->add_flag("--insecure-listen", serve.insecure_listen,
               "listen on a non-loopback address without TLS");
  sv->add_option("--audit-db", serve.audit_db, kAuditDbHelp);
  sv->add_option("--tokens", serve.tokens,
                 "the token file: every API call then needs a bearer token of its role");
  sv->add_option("--tls-cert", serve.tls_cert, "PEM certificate: serve HTTPS");
  sv->add_option("--tls-key", serve.tls_key, "PEM private key of --tls-cert");
  sv->add_option("--stop-grace", serve.stop_grace,
                 "on SIGTERM, how long the runs get to end once cancelled (default 30s)");

  std::string token_name, token_roles, token_file;
  auto* tk = app.add_subcommand("token", "manage the tokens of runbook serve's API");
  tk->require_subcommand(1);
  auto* ta = tk->add_subcommand("add", "add a token; it is printed once, stored hashed");
  ta->add_option("name", token_name, "who holds it (recorded with what it does)")->required();
  ta->add_option("--role", token_roles, "viewer, operator, approver, or a comma list")->required();
  ta->add_option("--tokens", token_file, "the token file (made 0600 when missing)")->required();

  PlanOptions graph;
  graph.format = "dot";
  auto* g = app.add_subcommand("graph", "the step graph as Graphviz dot or Mermaid");
  g->add_option("file", graph.file, "runbook file")->required();
  g->add_option("--format", graph.format, "dot or mermaid")
      ->check(CLI::IsMember({"dot", "mermaid"}));

  TestOptions test;
  auto* ts = app.add_subcommand(
      "test",
      "run a runbook's scenarios (FILE.test.yaml) with scripted steps; coverage of its branches");
  ts->add_option("file", test.file, "runbook file")->required();
  ts->add_option("--scenarios", test.scenarios, "the scenario file (default: FILE.test.yaml)")
      ->check(CLI::Validator(
          [](std::string& name) {
            return name.empty() ? std::string("an empty file name") : std::string();
          },
          "FILE"));
  ts->add_option("--format", test.format, "text or json")->check(CLI::IsMember({"text", "json"}));

  RunCliOptions run;
  run.notifier = notifier.get();
  auto* r = app.add_subcommand("run", "run a runbook");
  r->add_option("file", run.file, "runbook file")->required();
  r->add_option("--set", run.sets, "param value NAME=VALUE (repeatable)");
  r->add_flag("--dry-run", run.dry_run, "describe every step instead of running it");
  r->add_option("--approve", run.approvals, "approve the approval step with this id (repeatable)");
  r->add_option("--input", run.inputs, "approval input STEP.NAME=VALUE (repeatable)")
      ->check(CheckStepInput);
  r->add_flag("--yes", run.yes, "approve every approval step");
  r->add_option("--max-parallel", run.max_parallel, "steps running at once")
      ->check(CountFrom1To(1024));
  AddRunRecordOptions(r, run);
  r->add_option("--lost-exit", run.lost_exit,
                "the run --run-id exited so without recording its end: notify (runbook serve)")
      ->group("");
  r->add_option("--lost-copy", run.lost_copy, "with --lost-exit: the runbook as the run read it")
      ->group("");
  r->add_option("--lost-resumes", run.lost_resumes, "with --lost-exit: the run --run-id resumed")
      ->group("");
  r->add_option("--lost-log", run.lost_log, "with --lost-exit: the run's log")->group("");
  r->add_flag("--lost-cancelled", run.lost_cancelled, "with --lost-exit: serve cancelled the run")
      ->group("");
  r->add_flag("--lost-stopped", run.lost_stopped,
              "with --lost-cancelled: the cancel was serve's own stop")
      ->group("");
  r->add_option("--lost-params", run.lost_params,
                "with --lost-exit: where a run never started keeps its params")
      ->group("");
  r->add_option("--lost-set-names", run.lost_set_names,
                "with --lost-exit: the names of the params the run was started with (JSON)")
      ->group("");

  RunCliOptions resume;
  resume.notifier = notifier.get();
  auto* re = app.add_subcommand(
      "resume", "continue a failed or interrupted run; steps that passed are not repeated");
  re->add_option("run_id", resume.resume_id, "the run to continue (id or unique prefix)")
      ->required();
  re->add_flag("--force", resume.force, "resume although the runbook file changed");
  auto* resume_file =
      re->add_option("--runbook", resume.resume_runbook,
                     "the run's runbook file, when it is no longer where the run recorded it "
                     "(its sha256 must be the recorded one, or add --force)");
  re->add_option("--runbook-text", resume.resume_text,
                 "with --runbook: read the runbook's text from this copy (serve's, as the run "
                 "started); its paths still resolve from --runbook's folder")
      ->needs(resume_file)
      ->group("");
  re->add_flag("--adopt", resume.adopt,
               "resume a run another account started, taking its params, carried outputs and "
               "approvals as yours (check them first with show)");
  re->add_flag("--end-leftovers", resume.end_leftovers,
               "first end processes the interrupted run's steps left running (SIGTERM, 10 s, "
               "SIGKILL); without it such processes stop the resume");
  re->add_option("--set", resume.sets,
                 "give again a param the run recorded masked (its value held a secret's text) "
                 "NAME=VALUE; the others keep the run's values (repeatable)");
  re->add_flag("--yes", resume.yes, "approve every approval step (as in run)");
  re->add_option(
      "--rerun", resume.reruns,
      "run this step again: it was stopped mid-way (killed, cancelled, timed out) and it is "
      "not idempotent, or it passed with outputs recorded masked (repeatable)");
  re->add_option("--approve", resume.approvals, "approve the approval step with this id");
  re->add_option("--input", resume.inputs, "approval input STEP.NAME=VALUE (repeatable)")
      ->check(CheckStepInput);
  re->add_option("--max-parallel", resume.max_parallel, "steps running at once")
      ->check(CountFrom1To(1024));
  AddRunRecordOptions(re, resume);

  AuditCliOptions hist;
  hist.format = "text";
  auto* h = app.add_subcommand("history", "past runs, newest first");
  h->add_option("--runbook", hist.runbook, "only runs of this runbook (its name)");
  h->add_option("--limit", hist.limit, "at most this many runs")->check(CountFrom1To(1000000));
  h->add_option("--format", hist.format, "text or json")->check(CLI::IsMember({"text", "json"}));
  h->add_option("--audit-db", hist.audit_db, kAuditDbHelp);

  AuditCliOptions backups;
  backups.format = "text";
  auto* bk = app.add_subcommand(
      "backups", "the dumps recorded: age, size, copies, and the drills that verified each");
  bk->add_option("--runbook", backups.runbook,
                 "only dumps made by runs of this runbook (its name)");
  bk->add_option("--format", backups.format, "text or json")
      ->check(CLI::IsMember({"text", "json"}));
  bk->add_option("--audit-db", backups.audit_db, kAuditDbHelp);

  AuditCliOptions show;
  auto* sh = app.add_subcommand("show", "one run: attempt timeline, outputs, approvals, errors");
  sh->add_option("run_id", show.run_id, "run id or unique prefix")->required();
  sh->add_option("--audit-db", show.audit_db, kAuditDbHelp);
  sh->add_option("--step", show.step, "only this step, with everything recorded of its output");

  AuditCliOptions report;
  report.format = "";  // md, or from --output's extension (report_cmd.cpp)
  auto* rp = app.add_subcommand("report", "a run's report for a ticket: md, json, html or pdf");
  rp->add_option("run_id", report.run_id, "run id or unique prefix")->required();
  rp->add_option("--format", report.format,
                 "md, json, html or pdf (default: from --output's extension, else md)")
      ->check(CLI::IsMember({"md", "json", "html", "pdf"}));
  rp->add_option("--output", report.output, "write to this file instead of stdout");
  rp->add_option("--audit-db", report.audit_db, kAuditDbHelp);

  AuditCliOptions audit;
  audit.format = "jsonl";
  auto* au = app.add_subcommand("audit", "check, export or sign the audit store");
  au->require_subcommand(1);
  auto* av = au->add_subcommand("verify", "walk the hash chain; exit 1 at the first bad event");
  av->add_option("--public-key", audit.public_key, "Ed25519 public key (PEM) of signed heads");
  av->add_flag("--require-signed", audit.require_signed,
               "exit 1 when the chain has no signed head (an intact unsigned chain is ok without)");
  auto* ae = au->add_subcommand("export", "every event, one JSON object per line");
  ae->add_option("--format", audit.format, "jsonl")->check(CLI::IsMember({"jsonl"}));
  auto* as = au->add_subcommand("sign", "sign the current chain head with an Ed25519 key");
  as->add_option("--sign-key", audit.sign_key, "Ed25519 private key (PEM)")->required();
  au->add_option("--audit-db", audit.audit_db, kAuditDbHelp);
  for (auto* sub : {av, ae, as}) {
    sub->add_option("--audit-db", audit.audit_db, kAuditDbHelp);
  }

  std::string steps_type, steps_format = "text";
  auto* st = app.add_subcommand("steps", "step types with their parameters and outputs");
  st->add_option("type", steps_type, "one step type");
  st->add_option("--format", steps_format, "text, json or md")
      ->check(CLI::IsMember({"text", "json", "md"}));

  auto* sc = app.add_subcommand("schema", "print the runbook JSON Schema");

  // Hidden (no group): the build runs it to make the installed completion scripts.
  std::string shell;
  auto* co = app.add_subcommand("completion", "print a bash or zsh completion script")->group("");
  co->add_option("shell", shell, "bash or zsh")->required()->check(CLI::IsMember({"bash", "zsh"}));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return ReportParseError(app, e, argc, argv) == 0 ? kExitOk : kExitInvalid;
  }
  // RUNBOOK_PARSE_ONLY=1 (not in --help: for tests): stop once the command line parsed.
  // tests/docs checks every command line the docs show against this very parser.
  // Said on stderr: left set in an operator's environment it would make every command do
  // nothing with exit 0 (breakN N26).
  if (const char* only = std::getenv("RUNBOOK_PARSE_ONLY"); only && std::string(only) == "1") {
    std::cerr << "runbook: RUNBOOK_PARSE_ONLY=1: the command line parsed; nothing was run\n";
    return kExitOk;
  }
  if (v->parsed()) return CmdValidate(registry, validate);
  if (p->parsed()) return CmdPlan(registry, plan);
  if (g->parsed()) return CmdGraph(registry, graph);
  if (ts->parsed()) {
    test.scenarios_given = ts->count("--scenarios") > 0;
    return CmdTest(registry, test);
  }
  if (sd->parsed()) return CmdSchedule(registry, schedule);
  if (sv->parsed()) return CmdServe(registry, serve);
  if (ta->parsed()) return CmdTokenAdd(token_name, token_roles, token_file);
  if (r->parsed()) return TakeSets(run) ? CmdRun(registry, run) : kExitInvalid;
  if (re->parsed()) return TakeSets(resume) ? CmdResume(registry, resume) : kExitInvalid;
  if (h->parsed()) return CmdHistory(hist);
  if (bk->parsed()) return CmdBackups(registry, backups);
  if (sh->parsed()) return CmdShow(registry, show);
  if (rp->parsed()) return CmdReport(report);
  if (av->parsed()) return CmdAuditVerify(audit);
  if (ae->parsed()) return CmdAuditExport(audit);
  if (as->parsed()) return CmdAuditSign(audit);
  if (st->parsed()) return CmdSteps(registry, steps_type, steps_format);
  if (sc->parsed()) return CmdSchema(registry);
  if (co->parsed()) return CmdCompletion(app, shell);
  return kExitInvalid;
}

// A command whose standard output could not all be written failed, whatever else it did:
// exit 3 and a word on stderr (breakFF F2: `audit export > events.jsonl` on a full disk exited
// 0 with an empty file; `report > r.md` likewise). A reader that closed the pipe (`| head`)
// is no failure, as for coreutils, which SIGPIPE ends quietly.
int StdoutWritten(int code) {
  errno = 0;
  std::cout.flush();
  bool failed = std::cout.fail() || std::fflush(stdout) != 0 || std::ferror(stdout);
  int why = errno;
  // Everything `run` and `resume` say goes to stderr: a log on a full disk (`>> run.log 2>&1`)
  // that lost it is no success either; there is nowhere to say so (breakGG G4).
  std::cerr.flush();
  if (std::cerr.fail() && code == 0) return runbook::kExitEnvironment;
  if (!failed || why == EPIPE) return code;
  std::cerr << "runbook: error: cannot write standard output"
            << (why != 0 ? std::string(": ") + std::strerror(why) : std::string()) << "\n";
  return code == 0 ? runbook::kExitEnvironment : code;
}

}  // namespace

// What escaped every layer (errors are Status values and failed attempts; exceptions are
// caught where third-party code is called) is a bug: said in words, never as a bare
// exception text or std::terminate's abort.
int main(int argc, char** argv) {
  runbook::BidiSafeStderr bidi_safe;  // every message on stderr (breakT T5)
  std::string what;
  try {
    return StdoutWritten(Main(argc, argv));
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
    what = "an exception of unknown type";
  }
  std::string command = argc > 1 ? std::string(" ") + argv[1] : "";
  std::cerr << "runbook: internal error in 'runbook" << command << "': " << what
            << " — please report\n";
  return runbook::kExitEnvironment;
}
