// The subcommands. main.cpp parses the command line (CLI11) into these option structs and
// calls one function, which returns the process exit code (docs/cli.md).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "cli/run_place.h"
#include "engine/notify.h"
#include "engine/plugin/registry.h"

namespace runbook {

// Exit codes, as in the spec.
constexpr int kExitOk = 0;
constexpr int kExitStepFailed = 1;
constexpr int kExitInvalid = 2;
constexpr int kExitEnvironment = 3;
constexpr int kExitObjectiveMissed = 4;

struct ValidateOptions {
  std::vector<std::string> files;
  std::string format = "text";  // text | json | github
};
int CmdValidate(const StepRegistry& registry, const ValidateOptions& o);

struct PlanOptions {
  std::string file;
  std::vector<std::string> sets;  // k=v
  std::string format = "text";    // text | json (plan); dot | mermaid (graph)
};
int CmdPlan(const StepRegistry& registry, const PlanOptions& o);
int CmdGraph(const StepRegistry& registry, const PlanOptions& o);

// `runbook test FILE`: the scenarios beside the runbook (FILE.test.yaml, or --scenarios), each
// run with scripted steps (engine/testing/scenario_run.h). Exit 0 when every scenario ends as
// it expects, 1 when one does not, 2 when the runbook or the scenario file is invalid.
struct TestOptions {
  std::string file;
  std::string scenarios;  // with scenarios_given; else ScenarioPathOf(file)
  bool scenarios_given = false;
  std::string format = "text";  // text | json
};
int CmdTest(const StepRegistry& registry, const TestOptions& o);

struct RunCliOptions {
  std::string file;
  std::vector<std::string> sets;
  std::vector<std::string> approvals;  // step ids
  std::vector<std::string> inputs;     // STEP.NAME=VALUE for approval inputs
  bool yes = false;
  bool end_leftovers = false;  // resume: end what the interrupted run's steps left running
  bool adopt = false;          // resume: a run another account started, taken as one's own
  bool dry_run = false;
  int max_parallel = 0;
  std::string audit_db;      // --audit-db (else cli/run_place.h's rule)
  StoreChoice store;         // the store chosen by EnterRun (cli/launch.h)
  std::string sign_key;      // --sign-key: Ed25519 PEM; signs the chain head at the end
  std::string metrics_file;  // --metrics-file: Prometheus textfile
  bool wait_lock = false;    // --wait: wait for the lock instead of failing
  // resume only
  std::string resume_id;
  bool force = false;          // resume although the runbook file changed
  std::string resume_runbook;  // --runbook FILE: where the run's runbook is now
  // Hidden, for serve: --runbook-text COPY, the runbook's text as serve copied it when the run
  // started (a gate run resumed after a restart, its file edited meanwhile: breakWW WW8).
  std::string resume_text;
  std::string announce;  // a line Launch prints once the command line is checked ("resuming...")
  std::vector<std::string> reruns;  // --rerun STEP: run an interrupted non-idempotent step again
  // Hidden, for runbook serve (docs/serve.md): the new run's id, chosen by serve so that it
  // can answer with it at once; and what started the run, as a JSON object recorded in
  // run_started ({"kind": "schedule", ...}).
  std::string run_id;
  std::string trigger;
  NotifySender* notifier = nullptr;  // notify/sender.h's, from main; null: nothing is sent
  bool approvals_via_api = false;    // hidden: serve's runs wait for answers through its API
  // Hidden: serve saw run `run_id` exit with this code without recording its end; its
  // failure is notified, nothing is run (cli/run_lost.h). -1: a run.
  int lost_exit = -1;
  // Hidden, with lost_exit: the runbook as serve copied it when it started the run (what
  // ran, though the file be edited or removed since: breakNN NN5); and, when `run_id` was a
  // resume, the run it resumes (a resume refused before it started leaves that run to tell).
  std::string lost_copy;
  std::string lost_resumes;
  // Hidden, with lost_exit: the run's log (serve's LOG_DIR/RUN_ID.log), whose first error a
  // refused resume's failure quotes (breakWW WW10).
  std::string lost_log;
  // Hidden, with lost_exit: whether serve had cancelled the run (a cancel is no failure:
  // nothing is sent); where a run refused before it started has its params kept across
  // helpers (serve/kept_params.h).
  bool lost_cancelled = false;
  // Hidden, with lost_cancelled: the cancel was serve's own stop, no operator's (a run that
  // had not begun is then recorded interrupted, to be resumed: breakBB BB5).
  bool lost_stopped = false;
  std::string lost_params;
  // Hidden, with lost_exit: the names of the params serve started the run with, a JSON list
  // (LaunchedRun::set_names); "" when serve does not know them. Without the run's kept params
  // nor their values, those are recorded withheld (masked), not as their defaults (breakBB BB4).
  std::string lost_set_names;
  // Hidden, for runbook serve: where the run keeps what its end owes to tell and what it
  // sent (cli/notify_journal.h); with lost_exit, where the helper reads them.
  std::string notify_outbox;
  std::string notify_sent;
  // Hidden, for runbook serve: where what the run did is kept while its store is locked
  // (engine/audit/unrecorded.h); with lost_exit, what the helper records first.
  std::string unrecorded;
  // Hidden, for runbook serve: the params come on standard input (cli/sets_stdin.h).
  bool sets_stdin = false;
  const StepRegistry* registry = nullptr;  // set by CmdRun and CmdResume
};
int CmdRun(const StepRegistry& registry, const RunCliOptions& o);
int CmdResume(const StepRegistry& registry, const RunCliOptions& o);

struct AuditCliOptions {
  std::string audit_db;
  std::string runbook;          // history --runbook
  int limit = 20;               // history --limit
  std::string format;           // text | json | md | html | jsonl
  std::string run_id;           // show, report
  std::string step;             // show --step: one step, its whole recorded output
  std::string output;           // report --output
  std::string public_key;       // audit verify --public-key
  bool require_signed = false;  // audit verify --require-signed
  std::string sign_key;         // audit sign --sign-key
};
int CmdHistory(const AuditCliOptions& o);
// The backup catalog: every recorded dump with its age, size, place, copies and the checks
// that verified it (docs/backups.md). 0, or 3 when the store cannot be read.
int CmdBackups(const StepRegistry& registry, const AuditCliOptions& o);
int CmdShow(const StepRegistry& registry, const AuditCliOptions& o);
int CmdReport(const AuditCliOptions& o);
int CmdAuditVerify(const AuditCliOptions& o);
int CmdAuditExport(const AuditCliOptions& o);
int CmdAuditSign(const AuditCliOptions& o);

struct ScheduleOptions {
  std::vector<std::string> paths;  // runbook files, or folders of them
  int count = 3;                   // next fires per schedule
  std::string from;                // UTC instant the fires come after (default: now)
  std::string format = "text";     // text | json
};
int CmdSchedule(const StepRegistry& registry, const ScheduleOptions& o);

struct ServeCliOptions {
  std::string runbooks;                   // the folder of runbooks it serves
  std::string listen = "127.0.0.1:8765";  // HOST:PORT
  bool insecure_listen = false;
  std::string audit_db;
  std::string tokens;
  std::string tls_cert;
  std::string tls_key;
  std::string stop_grace = "30s";  // --stop-grace: how long a stop waits for the runs to end
};
int CmdServe(const StepRegistry& registry, const ServeCliOptions& o);
// runbook token add NAME --role ROLES --tokens FILE: prints the new token once.
int CmdTokenAdd(const std::string& name, const std::string& roles, const std::string& file);

int CmdSteps(const StepRegistry& registry, const std::string& type, const std::string& format);
int CmdSchema(const StepRegistry& registry);

}  // namespace runbook
