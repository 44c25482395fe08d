// The executor: one loop that starts ready steps up to the parallel limit (highest
// critical-path priority first), waits for the next completion or retry time, applies the
// result, and repeats; then finally steps. Attempts run on their own threads; all plan
// state is touched only by the loop thread. Reports through RunObserver; never prints.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "engine/events.h"
#include "engine/graph.h"
#include "engine/journal.h"
#include "engine/model.h"
#include "engine/plan.h"
#include "engine/plugin/cancel.h"
#include "engine/plugin/process.h"
#include "engine/plugin/step.h"
#include "engine/util/clock.h"
#include "engine/util/status.h"

namespace runbook {

// Resume: a step that already passed in an earlier run of the same incident.
struct PriorStep {
  Outcome outcome = Outcome::kSuccess;
  Value::Map outputs;
  std::string run_id;  // where it ran
  // When it finished there: the RPO a carried-over restore measured is the backup's age at
  // that moment (issue 14 #2). Unknown: the carried step measures no RPO.
  std::optional<Clock::Wall> finished_at;
  // Outputs recorded masked (they held a secret): a step of the resume that reads one fails,
  // naming --rerun (breakO O26).
  std::set<std::string> masked_outputs;
  // Its measurements where it ran (CarryMeasurements), for the end-of-run table (breakO O24).
  int attempts = 0;
  Millis duration{0};
  // The resolved parameters of its last attempt as recorded (masked where they held a
  // secret): the paths it acted on, for the rule of engine/path_roles.h (breakW W5).
  Value::Map params = {};
  // For each of those paths recorded masked, its keyed fingerprint (RunJournal): the resume
  // resolves the path again and takes it only when the fingerprints match (breakBB2 F7).
  Value::Map path_fingerprints = {};
  // For a step that decided on its parameters (StepSpec::decided_on_params) whose parameters
  // held a secret's text, the keyed fingerprint of them whole, else "" (breakGG G9).
  std::string params_fingerprint = "";
};

struct RunOptions {
  std::string run_id;
  Value::Map params;  // bound with BindParams
  bool dry_run = false;
  int max_parallel = 0;  // 0: the runbook's max_parallel, else the number of cores
  Millis kill_grace{5000};
  Millis default_timeout{6 * 3600 * 1000};  // like GitHub Actions' job limit
  // Resume: steps not run again (by id), and the RTO already elapsed in the incident when
  // this run starts (the clock counts the whole incident).
  std::map<std::string, PriorStep> prior;
  // Resume: the runs this one continues, nearest first (RunContext::continues), for steps.
  std::vector<std::string> continues;
  // Resume: when the incident's RTO clock started (an earlier run of the chain), on the wall
  // clock. The chain's RTO counts from there to this run's end, a wait for the store before
  // this run's start included (breakXX XX4: it was left out, and a missed objective met).
  std::optional<Clock::Wall> incident_started;
  Millis prior_approval_wait{0};
  // The secrets, when the caller resolved them already (ResolveSecrets) to mask what it
  // prints itself with the same values; else Execute resolves them from base_env.
  std::optional<Value::Map> secrets;
};

struct RunServices {
  ProcessRunner& processes;
  const Clock& clock;
  RunObserver& observer;
  CancelToken& cancel;
  Approver* approver = nullptr;
  EnvMap base_env;                // the environment steps inherit (usually runbook's own)
  RunJournal* journal = nullptr;  // the audit store; null: nothing recorded (dry runs, tests)
  // StepContext::verified_by for every attempt (thread-safe); empty: none is known.
  std::function<std::string(const std::string& sha256)> verified_by = {};
  std::function<VerifiedState()> verified_state = {};  // StepContext::verified_state
};

// Params from --set k=v pairs, typed and checked, defaults applied. Errors (unknown param,
// bad value, missing required) are usage errors: exit 2.
// One --set NAME=VALUE: `text` as param `key`'s type. Errors: no such param (with the closest
// name), a value that is not of its type.
Result<Value> ParseSet(const Runbook& rb, const std::string& key, const std::string& text);
// With `plan_unset`, a required param not given is bound to Unknown ("${{ params.NAME }}"),
// as plan shows it (authoring.md: "unset"), instead of an error (breakFF N13: the CI recipe
// stopped at the first runbook with a required param).
Result<Value::Map> BindParams(const Runbook& rb,
                              const std::vector<std::pair<std::string, std::string>>& sets,
                              bool plan_unset = false);
// A ParseSet or BindParams error in the words of a caller who gave the params as "params"
// (serve's API, a schedule's `params:`) rather than --set: "params.NAME: ..." and "give it
// in "params": {"NAME": ...}" (newcomer round of issue 16: an API caller was told to use
// --set). Other messages unchanged.
std::string InParamsWords(std::string message);

// The runbook's secrets, read from `env` and their files (a dry run reads them too, and gets
// placeholders: breakII2 II2-6, it ends as the run would). Errors: a secret that is not set,
// cannot be read (a FIFO is refused) or is too short. Read once per run: a secret file
// may be a pipe. A relative `file:` is read against `base` (absolute: the run's base,
// cli/run_place.h), never the current folder: a resume reads them before it enters its
// base (breakR R4: resumed from another folder it masked that folder's file and printed the
// secret). "" only where the current folder is the base.
Result<Value::Map> ResolveSecrets(const Runbook& rb, const EnvMap& env, bool placeholders,
                                  const std::string& base);
// The secrets that can be read now, for masking only (breakL L28): `plan` and a dry run use
// placeholders as values, yet a --set value holding a secret's text must be masked there as
// the run masks it. A secret not set or unreadable is left out (no error); a FIFO is never
// read (ReadSecretFile reads regular files only).
// A relative `file:` is read against `base` as in ResolveSecrets (breakQ Q7: `plan` from
// another folder read no secret, or another file, and printed the secret in clear).
Value::Map SecretsToMask(const Runbook& rb, const EnvMap& env, const std::string& base);

// Runs the runbook. Errors (nothing ran): a secret cannot be read, the audit store cannot
// record the run's start. A store that stops recording later leaves the result with
// `unrecorded` set: what the run did is known to its caller though not recorded (breakRR RR4:
// a failed run whose store was locked told nobody).
Result<RunResult> Execute(const Runbook& rb, const Graph& graph, const RunOptions& options,
                          RunServices& services);

// Resume, before the run starts: the ids of the carried steps (options.prior) that decide on
// their parameters (StepSpec::decided_on_params: an approval gate) and will run again, as the
// run would judge them when it reaches them: their parameters, resolved now from the params,
// env and secrets, are not those recorded (nor shown to be, when the record is masked, by
// their keyed fingerprint under `fingerprint_key`, the store's: AuditStore::FingerprintKey). One
// whose parameters need a step's outputs is judged only when the run reaches it and is not listed;
// so is every step when the secrets cannot be bound (the run says why). For checks that must come
// before the first step (breakHH HH8: a gate no one could answer was reached after other work ran).
// Nothing runs or is recorded.
std::set<std::string> DecisionsToTakeAgain(const Runbook& rb, const Graph& graph,
                                           const RunOptions& options, const EnvMap& base_env,
                                           const std::string& fingerprint_key);

// Before the run starts: whether each step will run, by step id, where that is known already
// — false when its `if:` is known false, or when it is a main step whose `if:` reads no status
// function and a step it needs is known not to run (breakII II2-1); true when its `if:` is
// known true (its needs then decide, as for a step without `if:`). An `if:` is known when it
// reads only params, env, secrets, literals and always() (a peek, engine/run_scope.h: what a
// step gives, run.status and the other status functions are not known). Steps absent: not
// known, or no `if:` and nothing known skipped before them. For checks that must come before
// the first step (breakHH HH9, breakII II4: a gate with `if: ${{ true }}` was reached after
// other work ran). Secrets: `options.secrets`, else those readable without consuming anything
// (SecretsToMask). Nothing runs or is recorded.
std::map<std::string, bool> ConditionsKnownBeforeRun(const Runbook& rb, const Graph& graph,
                                                     const RunOptions& options,
                                                     const EnvMap& base_env);

// The runbook's `lock`, resolved with the bound params and the run's `secrets` ("" when it has
// none; mask it before showing or storing it); `base` is the run's absolute base, for
// realpath(). Errors: an expression that fails, or stays unknown unless `unknown_ok` (a dry
// run's placeholder secrets: "" then).
Result<std::string> ResolveLock(const Runbook& rb, const Value::Map& params,
                                const Value::Map& secrets, const std::string& base,
                                bool unknown_ok = false);

// A fresh run id: UTC time plus random bits, sortable ("20261127T181102Z-3fa2c1").
std::string NewRunId(const Clock& clock);

}  // namespace runbook
