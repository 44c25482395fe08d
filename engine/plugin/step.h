// The step plugin interface: what a step type implements and what it is given. Steps
// include only engine/plugin/ and engine/util/. A StepType is stateless and shared: Run()
// may be called for several steps at once from different threads.
#pragma once

#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/plugin/cancel.h"
#include "engine/plugin/params.h"
#include "engine/plugin/process.h"
#include "engine/plugin/progress.h"
#include "engine/plugin/resource.h"
#include "engine/plugin/spec.h"
#include "engine/source/location.h"
#include "engine/util/clock.h"
#include "engine/util/value.h"

namespace runbook {

// A human gate. The CLI provides one (a TTY prompt, or --approve / --yes).
struct ApprovalRequest {
  std::string step_id;
  std::string prompt;
  std::vector<ParamSpec> inputs;
  // Text of the request (prompt, an input's doc and default) as a person may see it: the
  // run's secrets masked, control characters escaped (breakK K17, K22). Identity if empty.
  std::function<std::string(std::string)> shown;
  std::string Shown(std::string text) const { return shown ? shown(std::move(text)) : text; }
  // The attempt's deadline (its step's `timeout:`), when it has one. An approver that carries
  // a gate over from the run a resume continues counts the time it waited there against it.
  std::optional<Clock::Mono> deadline;
};
struct ApprovalAnswer {
  bool approved = false;
  std::string by;   // who approved: the user name, or "--approve" / "--yes"
  std::string how;  // "tty", "flag"
  Value::Map inputs;
  std::string error;       // why not approved (declined, not interactive, ...)
  bool timed_out = false;  // no answer came before the gate's deadline (error says so)
};
class Approver {
 public:
  virtual ~Approver() = default;
  virtual ApprovalAnswer Ask(const ApprovalRequest& request, const CancelToken& cancel) = 0;
};

// A step of this run that passed before the attempt began (also one carried over by
// resume), as later steps may need to know it: `restore` looks for the `hash` or
// `integrity-check` that verified its source.
struct PassedStep {
  std::string id;
  std::string type;
  Value::Map outputs;
};

// What the audit store can say of verified dumps (StepContext::verified_state).
struct VerifiedState {
  std::string unknown;  // "" when the store was read and believed; else why nothing is known
  bool hold = false;    // the store cannot be believed or read: delete nothing
};

// Everything one attempt may use. Owned by the executor for the attempt's duration.
struct StepContext {
  // Resolved (expressions evaluated, defaults applied, types checked), read by name through
  // the typed view (engine/plugin/params.h).
  const StepParams& params;
  std::string step_id;
  std::string run_id;
  int attempt = 1;
  const EnvMap& env;  // complete environment for child processes
  ProcessRunner& processes;
  const CancelToken& cancel;
  std::optional<Clock::Mono> deadline;
  Millis kill_grace{5000};
  const Clock& clock;
  Approver* approver = nullptr;
  // A note for people (what the step did, found, decided): kept on screen in the live view
  // and recorded with the attempt (the last kMaxLogLines).
  std::function<void(std::string_view line)> log;
  // Earlier passed steps of this run; filled only for types with reads_passed_steps.
  const std::vector<PassedStep>* passed = nullptr;
  // Hands the run something that must outlive this attempt (a started service); the
  // executor stops it when the run ends. Empty in dry runs.
  std::function<void(std::unique_ptr<RunResource>)> keep;
  // Masks the run's secrets (engine/redact.h) in text the step writes for people: reports,
  // summaries. Set by the engine; Redact() is the identity when it is empty.
  std::function<std::string(std::string)> redact;
  std::string Redact(std::string text) const { return redact ? redact(std::move(text)) : text; }
  // A line a process the step runs printed: shown while the step runs (the live view's last
  // line, or a plain line off a terminal), not recorded line by line: the step captures it.
  std::function<void(std::string_view line)> output;
  // How far the step got (engine/plugin/progress.h). Steps call it through a
  // ProgressMeter (steps/common/progress.h), which bounds how often; empty in tests.
  std::function<void(const StepProgress&)> progress;
  // Resume: the runs this one continues, nearest first (null or empty in a first run). With
  // run_id, how a step tells that something it finds was done by an earlier attempt of its
  // own (flag-update: a change that landed before a kill is not made twice).
  const std::vector<std::string>* continues = nullptr;
  // The files other steps of this run read (PathRole::kReads), as resolved or as far as they
  // can be known, relative ones against the run's base: a step that deletes files it did not
  // write (backup's retention) leaves these alone (breakCC C25: a safety backup's retention
  // deleted the dump the same runbook was about to restore). Null or empty: none.
  const std::vector<std::string>* read_elsewhere = nullptr;
  bool ReadElsewhere(const std::string& path) const;
  // The reads of steps still to run whose paths cannot be known yet, for people ("step
  // 'verify' as 'source'"): they may name any file, so a step that deletes files it did not
  // write deletes none this time (breakEE E4). Reads that wait only for this step's own
  // outputs are not among them: they name what this step makes. Null or empty: none.
  const std::vector<std::string>* reads_unknown = nullptr;
  // Who proved the dump of this sha256 (64 hex digits) sound, for people ("step check of run
  // ... at ..."): a passed integrity check recorded in the audit store
  // (engine/audit/backup_catalog.h VerifiedDumps). "" when none did, or when nothing can say
  // (no store: a test). Retention never deletes the newest such dump (docs/backup.md).
  std::function<std::string(const std::string& sha256)> verified_by = {};
  // What verified_by rests on: "" when the store was read and its chain holds; else why
  // nothing is known verified ("no passed integrity check is recorded in ..."), and `hold`
  // when the store cannot be believed or read (its chain breaks): a step that deletes by what
  // was verified then deletes nothing (breakMM MM3, MM5). Empty function: no store (a test).
  std::function<VerifiedState()> verified_state = {};
  bool OwnRun(const std::string& id) const {
    if (id == run_id) return true;
    return continues != nullptr &&
           std::find(continues->begin(), continues->end(), id) != continues->end();
  }
};

// How many of an attempt's ctx.log notes are recorded (the last ones): a step that notes
// every file of a large sync does not fill the audit store.
constexpr size_t kMaxLogLines = 200;

enum class AttemptStatus { kSuccess, kFailure, kTimeout, kCancelled };
const char* AttemptStatusName(AttemptStatus status);

struct AttemptResult {
  AttemptStatus status = AttemptStatus::kFailure;
  std::optional<int> exit_code;
  std::string error;  // why it failed, for people
  Value::Map outputs;
  std::string stdout_text;
  std::string stderr_text;
  Millis waited{0};         // time spent waiting for a person (approvals), reported on its own
  std::string approved_by;  // a human gate: who approved (recorded as an approval)
  // Set by the executor: processes that had left a run's group, ended with it (runbook's
  // notes, "process 123 (sleep 9): SIGTERM"); steps leave it empty.
  std::vector<std::string> ended_processes;
  // Set by the engine: the attempt's ctx.log notes (masked), the last kMaxLogLines of them,
  // and how many earlier ones were not kept.
  std::vector<std::string> log_lines;
  size_t log_lines_dropped = 0;
  // Set by the engine: the last lines the step's processes printed (ctx.output), both streams
  // in the order they came, masked and printable, at most 4 KiB: what a failed attempt last
  // said (breakR R6: its stderr alone hid a test's failure printed on stdout).
  std::string output_tail;

  static AttemptResult Success(Value::Map outputs = {});
  static AttemptResult Failure(std::string error);
};

// Load-time view of a step's `with`: each given parameter, its static value when it has
// no expression, and its location for errors.
struct ConfigParam {
  std::string name;
  std::optional<Value> value;  // nullopt when the value contains ${{ }} expressions
  Loc loc;
  // The value with each part that holds an expression Unknown (TNode::ShapeValue): for a type
  // that checks what it can around them (breakR R8: one expression in a gate's inputs hid
  // every other mistake in them until the gate).
  Value shape;
  // Text with ${{ }} expressions inside other text (not one whole expression): what the
  // expressions give is pasted into it.
  bool pastes_expressions = false;
  // Where the part inside the value at `pointer` (JSON Pointer, RFC 6901, from the value:
  // "/approver/type" for `inputs: {approver: {type: ...}}`) is written, or nullopt when it
  // is not; empty at run time (what an expression gave has no place of its own).
  std::function<std::optional<Loc>(const std::string& pointer)> locate = {};
  // Where the part at `pointer` is written: its own place, else its nearest parent's, else
  // `loc` (every mistake in a value placed where it is: break24a D1).
  Loc LocOf(const std::string& pointer) const;
};
// What a step type's load-time check found: errors (the runbook is invalid) and warnings
// (valid, but probably not what the author meant: validate says them, exit 0).
class ConfigureReport {
 public:
  void Error(Loc loc, std::string message) { errors_.push_back({loc, std::move(message)}); }
  void Warning(Loc loc, std::string message) { warnings_.push_back({loc, std::move(message)}); }
  const std::vector<std::pair<Loc, std::string>>& errors() const { return errors_; }
  const std::vector<std::pair<Loc, std::string>>& warnings() const { return warnings_; }

 private:
  std::vector<std::pair<Loc, std::string>> errors_;
  std::vector<std::pair<Loc, std::string>> warnings_;
};
class ConfigureView {
 public:
  // `spec` (may be null in tests) must outlive the view.
  ConfigureView(std::vector<ConfigParam> params, Loc step_loc, const StepSpec* spec = nullptr)
      : params_(std::move(params)), step_loc_(step_loc), spec_(spec) {}
  // The given parameter `name`, or null when it was not given. A name `spec` does not
  // declare is a bug in the step: ParamError (params.h), which the loader reports.
  const ConfigParam* Find(const std::string& name) const;
  Loc step_loc() const { return step_loc_; }

 private:
  std::vector<ConfigParam> params_;
  Loc step_loc_;
  const StepSpec* spec_ = nullptr;
};

// What a step's own dry run found by looking (StepType::DryRun).
struct DryLook {
  bool looked = false;  // false: the engine logs Describe's lines instead
  // Why the step would fail, one reason each (a missing source folder, a guard that refuses);
  // empty: nothing it looked at stops it. Any reason fails the step in the dry run, and so
  // the dry run (breakO O14: it said "would fail", then "ok", and ended "success", exit 0).
  std::vector<std::string> would_fail;
};

class StepType {
 public:
  virtual ~StepType() = default;
  virtual const StepSpec& spec() const = 0;
  // Checks beyond what the spec says (types, enums, ranges and required parameters are
  // checked by the engine from the spec). Errors are located at a parameter.
  virtual void Configure(const ConfigureView& with, ConfigureReport& report) const;
  // What the step would do, one line per action, for plan and dry runs. `params` may hold
  // Unknown values (known only at run time). Must not touch anything.
  virtual std::vector<std::string> Describe(const StepParams& params) const = 0;
  // One attempt. Never throws out: the executor turns an escaped exception (and a
  // ParamError) into a failed attempt, "internal error in step ... — please report".
  virtual AttemptResult Run(StepContext& ctx) const = 0;
  // `run --dry-run` with every parameter known: may look (list a bucket, read a folder)
  // but must change nothing; logs what it would do, and returns why it would fail. The
  // default looks at nothing (Describe's lines are logged instead).
  virtual DryLook DryRun(StepContext& /*ctx*/) const { return {}; }
  // Whether running it again with these resolved parameters (a map) is safe, when that
  // depends on them (flag-update's `rollback: previous` moves again from wherever the flag
  // is: breakY Y15). Default: spec().idempotent.
  virtual bool Idempotent(const Value& /*params*/) const { return spec().idempotent; }
};

}  // namespace runbook
