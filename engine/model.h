// The runbook model: what a loaded, validated runbook says, with source locations kept
// for later diagnostics. Built by the loader; immutable afterwards and shared read-only
// by plan and executor threads.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/plugin/spec.h"
#include "engine/plugin/step.h"
#include "engine/schedule/cron.h"
#include "engine/source/diagnostics.h"
#include "engine/template.h"
#include "engine/util/duration.h"

namespace runbook {

enum class ContinueOnError { kNo, kYes, kWarn };
enum class Backoff { kConstant, kExponential };
enum class RtoMark { kNone, kStart, kEnd };

struct RetryPolicy {
  int max_attempts = 1;  // total, the first included
  Millis delay{1000};
  Backoff backoff = Backoff::kConstant;
  Millis max_delay{60000};
  bool jitter = false;
  bool on_failure = true;
  bool on_timeout = true;
  std::vector<int> exit_codes;  // when set, only failures with these exit codes are retried
};

struct SecretDecl {
  std::string name;
  std::string env;  // one of env / file is set
  std::string file;
  Loc loc;
};

// `on.overlap`: what a fire does while a run of the runbook (or of its lock) goes on.
enum class Overlap { kSkip, kQueue, kCancelRunning };
// As written in a runbook: "skip", "queue", "cancel_running".
inline const char* OverlapName(Overlap o) {
  return o == Overlap::kQueue ? "queue" : o == Overlap::kCancelRunning ? "cancel_running" : "skip";
}

// One `on.schedule` entry, checked: its cron parsed, its zone found, its params valid.
struct ScheduleDecl {
  std::string cron_text;
  CronExpr cron;
  std::string timezone = "UTC";
  std::vector<std::pair<std::string, Value>> params;  // normalised like --set values
  Loc loc;
};

// `on:`: when the runbook runs by itself (runbook serve).
struct TriggersDecl {
  std::vector<ScheduleDecl> schedules;
  Millis catchup{0};  // 0: a missed fire is skipped
  Overlap overlap = Overlap::kSkip;
};

// One `notify` entry: the events that send and one channel, its settings as templates
// (`${{ secrets.x }}` resolved when the run ends). docs/notify.md.
struct NotifyDecl {
  std::vector<std::string> on;  // success | failure | objective_missed | recovered
  std::string channel;          // webhook | slack | alertmanager | email
  TNode config;                 // the channel's mapping
  Loc loc;
};

using TemplateMap = std::vector<std::pair<std::string, TNode>>;

// A step's `for_each:` (docs/format.md#loops): the step runs once per item, each item a step
// of its own (`ID[0]`, `ID[1]` ...) once the run's params are bound (engine/loops.h).
struct LoopDecl {
  TNode items;  // a YAML list, or one ${{ }} expression giving a list; reads params only
  std::optional<int> max_parallel;  // items running at once; unset: the run's limit only
  bool fail_fast = true;            // a failed item skips the items that have not started yet
  Loc loc;                          // the `for_each` value
};

struct Runbook;

// What a step of a run is to a used runbook (engine/calls.h, docs/format.md#reusable-runbooks).
// A step `X` that uses a runbook becomes, once expanded: a start step `X.@start` (the call's
// needs and if:), the used runbook's steps `X.<id>` (members), and the outputs step `X` (its
// declared outputs; what `needs: [X]` and `steps.X` name).
enum class CallRole { kNone, kStart, kMember, kOutputs };

struct StepDecl {
  std::string id;
  std::string name;  // display name; the id when not given
  // The display name when the author gave one other than the id, else "" (breakFF F3: views
  // show it beside the id).
  std::string OwnName() const { return name == id ? std::string() : name; }
  std::string uses;
  const StepType* type = nullptr;
  TNode with;  // a mapping (possibly empty)
  std::vector<std::string> needs;
  std::vector<Loc> needs_loc;
  std::optional<TNode> condition;     // a template; a bare expression is accepted too
  bool condition_has_status = false;  // the condition calls success()/failure()/...
  std::optional<Millis> timeout;
  RetryPolicy retry;
  ContinueOnError continue_on_error = ContinueOnError::kNo;
  TemplateMap env;
  RtoMark rto = RtoMark::kNone;
  std::optional<bool> idempotent;  // the step's `idempotent:`; unset: its type's
  bool is_finally = false;
  // `for_each:` as written; items keep it (their loop's limit and policy).
  // Shared, never changed once loaded: each of a loop's items keeps it, and a copy per item
  // of a written list made `validate` of 1,000 items of 3 KB take 3 GB (break24a M1).
  std::shared_ptr<const LoopDecl> loop;
  // An item of a loop, made by ExpandLoops: its loop's id, its index from 0, its value.
  // `loop_of` is "" for any other step, and for a loop not expanded yet.
  std::string loop_of;
  int loop_index = -1;
  Value loop_item;
  // A step that uses a runbook file (`uses: ./lib/x.yaml`), before expansion: that runbook,
  // loaded and checked; `type` is then its call type (params: its params; outputs: its
  // declared outputs). Kept by the steps expansion makes from it.
  std::shared_ptr<const Runbook> callee;
  // After expansion: the call this step belongs to ("" for the runbook's own steps), by the
  // id of its outputs step ("dump", "dump[1]", "dump.inner"), and its role in it.
  std::string call_of;
  CallRole call_role = CallRole::kNone;
  // The file a used runbook's step is written in (its locations are that file's lines): a
  // member's, a nested call's start's (its `with`), an outputs step's (the `outputs:`); ""
  // for the runbook's own steps and the start of a call it writes.
  std::string source_file;
  Loc loc;  // the step's mapping
  Loc id_loc;
  Loc uses_loc;
  Loc with_loc;

  // Whether running the step again is safe: its `idempotent:`, else its type's (false for an
  // unknown type). A resume asks before running again a step stopped mid-way that is not.
  bool Idempotent() const;
  // The same for one attempt's resolved parameters: the step's `idempotent:` when written,
  // else what its type says of these values (StepType::Idempotent).
  bool Idempotent(const Value& params) const;
  // The value written for parameter `param` in `with`; nullptr when it is not written.
  const TNode* With(const std::string& param) const;
};

// One call of a used runbook in an expanded run (engine/calls.h): where its steps read their
// `params` from.
struct CallFrame {
  std::string id;      // the call's outputs step id
  std::string parent;  // the frame its `with:` is evaluated in ("": the runbook's own steps)
  std::shared_ptr<const Runbook> callee;
  TNode with;            // the call's `with`, a mapping: the callee's params
  std::string start_id;  // its start step's id, whose loop item `item` gives in `with`
};

struct Runbook {
  SourceText source;  // path and text
  int version = 1;
  std::string name;
  std::string description;
  std::string kind = "custom";
  std::optional<Millis> rto_objective;
  std::optional<Millis> rpo_objective;
  std::vector<ParamSpec> params;
  std::vector<SecretDecl> secrets;
  TemplateMap env;
  std::optional<Millis> default_timeout;
  RetryPolicy default_retry;
  int max_parallel = 0;  // 0: number of cores
  std::optional<TNode> lock;
  TriggersDecl on;
  std::vector<NotifyDecl> notify;
  // The base of the run's relative paths, as written (relative to the file's folder); ""
  // is the file's folder (cli/run_place.h).
  std::string working_directory;
  // `outputs:` of a runbook used by others: name -> template over its steps (main ones).
  TemplateMap outputs;
  Loc outputs_loc;
  std::vector<StepDecl> steps;  // main steps first, then finally steps
  size_t finally_begin = 0;

  std::unordered_map<std::string, size_t> step_index;  // id -> index, by IndexSteps()
  // Loop id -> the indices of its items in `steps`, in item order (ExpandLoops); a loop that
  // is not expanded (plan without its params) is a step of `steps` instead.
  std::unordered_map<std::string, std::vector<size_t>> loops;
  // Call id -> its frame, once used runbooks are expanded (engine/calls.h).
  std::unordered_map<std::string, CallFrame> calls;
  // The files this runbook uses (directly or not) as loaded, for diagnostics and `plan`.
  std::vector<std::shared_ptr<const SourceText>> used_sources;
  // Set on a runbook loaded for `uses:` (engine/calls.h): the step types of a call of it
  // (its params in, its declared outputs out) and of its outputs step.
  std::shared_ptr<const StepType> call_type;
  std::shared_ptr<const StepType> start_type;
  std::shared_ptr<const StepType> outputs_type;

  const std::string& path() const { return source.path; }
  // Builds step_index; the first of duplicate ids wins. Call after `steps` is final.
  void IndexSteps();
  const StepDecl* FindStep(const std::string& id) const;
  const ParamSpec* FindParam(const std::string& param) const;  // nullptr when none
};

}  // namespace runbook
