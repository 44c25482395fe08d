#include "engine/attempt.h"

#include <algorithm>
#include <deque>
#include <mutex>

#include "engine/attempt_stop.h"
#include "engine/plugin/check_value.h"
#include "engine/process_tree.h"
#include "engine/util/strings.h"

namespace runbook {

std::string CallStep(const StepDecl& step, const char* operation,
                     const std::function<void()>& call) {
  std::string while_ = operation, what;
  try {
    call();
    return "";
  } catch (const ParamError& e) {
    while_ = "reading its parameters";
    what = e.message;
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
    what = "an exception of unknown type";
  }
  return "internal error in step " + step.id + " (" + step.type->spec().type + ") while " + while_ +
         ": " + what + " — please report";
}

namespace {

// What is wrong with `v`, as CheckValue says it. Its message quotes the value cut to 40
// bytes: a value that holds a secret is checked again masked, so the quote is masked first
// and cut after (no piece of a secret beside the cut, breakI I1).
std::string Problem(const ParamSpec& spec, const Value& v, const Redactor* redactor) {
  std::string problem = CheckValue(spec, v);
  if (problem.empty() || redactor == nullptr) return problem;
  Value masked = redactor->Apply(v);
  if (masked == v) return problem;
  std::string shown = CheckValue(spec, masked);
  return shown.empty() ? "its value (which holds a secret, not shown) is not valid" : shown;
}

// Where the parameter `name` is written in the step's `with` (unknown when it is not).
Loc WrittenAt(const StepDecl& step, const std::string& name) {
  const TNode* node = step.With(name);
  return node != nullptr ? node->loc : Loc{};
}

// `message` located at the parameter `name` as written (LocateError's form).
std::string AtParam(const StepDecl& step, const std::string& name, const std::string& message) {
  return LocateError(Status::Error(message), WrittenAt(step, name)).message();
}

// The step type's own checks (StepType::Configure), run again on the resolved values: a
// value an expression gave is held to the same rules as one written literally (breakJ J20:
// `part_size: "${{ params.p }}"` ran with 1 KiB parts that validate refuses). "" when they
// pass; else the first error, located at the parameter as written (J25). Messages may quote
// a value: masked by the caller's redactor.
std::string RecheckResolved(const StepDecl& step, const Value::Map& params) {
  std::vector<ConfigParam> view;
  for (const auto& [name, value] : params) {
    Loc loc = WrittenAt(step, name).line > 0 ? WrittenAt(step, name) : step.uses_loc;
    // Known only when the run gets there (plan, dry run): as at load, not checked yet.
    view.push_back(
        {name, value.has_unknown() ? std::nullopt : std::optional<Value>(value), loc, value});
  }
  ConfigureReport report;
  ConfigureView with(std::move(view), step.uses_loc, &step.type->spec());
  std::string bug =
      CallStep(step, "checking its parameters", [&] { step.type->Configure(with, report); });
  if (!bug.empty()) return bug;
  if (report.errors().empty()) return "";
  const auto& [loc, message] = report.errors().front();
  return LocateError(Status::Error(message), loc).message();
}

}  // namespace

Value ResolveParams(const StepDecl& step, const RunScope& scope, std::string& error,
                    const Redactor* redactor, EvalBudget* budget, bool* by_values) {
  if (by_values != nullptr) *by_values = true;
  auto resolved = ResolveTree(step.with, scope, budget);
  if (!resolved.ok()) {
    error = resolved.status().message();
    return Value();
  }
  Value::Map params = resolved.value().as_map();
  for (const ParamSpec& spec : step.type->spec().params) {
    auto it = params.find(spec.name);
    // An expression's null: as if not given. A `~` written in the runbook is checked like
    // any value (for a string it is "", as in GitHub Actions).
    if (it == params.end() || (it->second.is_null() && !it->second.written())) {
      if (spec.required && spec.default_value.is_null() && it != params.end()) {
        // breakI I12: a required parameter whose expression gave null is the author's
        // mistake, said as one, never "internal error ... please report".
        error = AtParam(step, spec.name,
                        "parameter '" + spec.name + "' is required; its expression gave null");
        return Value();
      }
      if (!spec.default_value.is_null())
        params[spec.name] = spec.default_value;
      else if (it != params.end())
        params.erase(it);
      continue;
    }
    std::string problem = Problem(spec, it->second, redactor);
    if (!problem.empty()) {
      error = AtParam(step, spec.name, "parameter '" + spec.name + "': " + problem);
      return Value();
    }
    it->second = NormaliseValue(spec, it->second);
  }
  error = RecheckResolved(step, params);
  if (!error.empty() && by_values != nullptr) *by_values = false;
  if (!error.empty()) {
    if (redactor != nullptr) error = redactor->Apply(error);
    return Value();
  }
  return Value(std::move(params));
}

namespace {

// Whether the step may look in a dry run: every parameter known, but those its type can do
// without (StepSpec::looks_without).
bool MayLook(const AttemptInput& in) {
  if (!in.params.is_map()) return !in.params.has_unknown();
  const std::vector<std::string>& without = in.step.type->spec().looks_without;
  for (const auto& [name, value] : in.params.as_map())
    if (value.has_unknown() && std::find(without.begin(), without.end(), name) == without.end())
      return false;
  return true;
}

AttemptResult DryRun(AttemptInput& in, StepContext& ctx) {
  DryLook look;
  if (MayLook(in)) {  // the step may look at the world itself
    std::string error =
        CallStep(in.step, "looking (dry run)", [&] { look = in.step.type->DryRun(ctx); });
    if (!error.empty()) ctx.log(error);
  }
  if (!look.would_fail.empty() && in.dry_upstream.empty())
    return AttemptResult::Failure("would fail: " + Join(look.would_fail, "; "));
  if (!look.would_fail.empty())
    ctx.log("would fail as things are now: " + Join(look.would_fail, "; ") + "; step '" +
            in.dry_upstream + "' before it, only described in this dry run, may change that");
  std::vector<std::string> lines;
  std::string error = look.looked ? "" : CallStep(in.step, "describing what it would do", [&] {
    lines = in.step.type->Describe(ctx.params);
  });
  if (!error.empty()) return AttemptResult::Failure(error);
  for (const std::string& line : lines) ctx.log("would " + line);
  Value::Map outputs;
  for (const OutputSpec& o : in.step.type->spec().outputs) {
    outputs[o.name] = Value::Unknown("${{ steps." + in.step.id + ".outputs." + o.name + " }}");
  }
  return AttemptResult::Success(std::move(outputs));
}

// The step's view of the process runner: passes every call through and keeps what each run
// ended besides its own process group (ProcessResult::ended), for the attempt's record and
// the live view, apart from the tool's output.
class NotingRunner final : public ProcessRunner {
 public:
  NotingRunner(ProcessRunner& inner, std::function<void(const std::string&)> live,
               const Redactor& redactor)
      : inner_(inner), live_(std::move(live)), redactor_(redactor) {}

  ProcessResult Run(const ProcessRequest& request, const CancelToken& cancel) override {
    ProcessRequest masked = request;
    masked.redact = MaskerOf(redactor_);
    masked.form_begun_at_end = [this](std::string_view text) {
      return redactor_.FormBegunAtEnd(text);
    };
    masked.redact_part = [this](std::string_view text, size_t begin, size_t end, unsigned edges) {
      return redactor_.ApplyPart(text, begin, end, edges);
    };
    ProcessResult result = inner_.Run(masked, cancel);
    std::lock_guard<std::mutex> lock(mu_);
    for (const std::string& line : result.ended) {
      live_("runbook: ended " + line + ", which had left the step's process group");
      if (ended_.size() < kMaxEndedNoted) ended_.push_back(line);
      ++total_;
    }
    for (const std::string& line : result.left_in_group) {  // breakG #3: never silently
      std::string noted = line + ": SIGTERM, left running in the step's process group";
      live_("runbook: ended " + noted);
      if (ended_.size() < kMaxEndedNoted) ended_.push_back(noted);
      ++total_;
    }
    return result;
  }
  std::unique_ptr<BackgroundProcess> Start(const BackgroundRequest& request,
                                           std::string& error) override {
    BackgroundRequest masked = request;
    masked.redact = MaskerOf(redactor_);  // the run's: it outlives the service, not this
    return inner_.Start(masked, error);
  }
  std::vector<std::string> Take() {
    std::lock_guard<std::mutex> lock(mu_);
    if (total_ > ended_.size())
      ended_.push_back("... and " + std::to_string(total_ - ended_.size()) + " more");
    return std::move(ended_);
  }

 private:
  ProcessRunner& inner_;
  std::function<void(const std::string&)> live_;
  const Redactor& redactor_;
  std::mutex mu_;  // a step may run processes from several threads
  std::vector<std::string> ended_;
  size_t total_ = 0;
};

// An attempt's notes (ctx.log, runbook's own notes about it): each goes to the observers
// at once and the last kMaxLogLines to the attempt's record. Steps may note from several
// threads.
class Notes {
 public:
  Notes(RunObserver& observer, const StepDecl& step) : observer_(observer), step_(step) {}
  // Shown, not recorded: what the record holds elsewhere (ended processes).
  void Show(const std::string& masked) { observer_.StepNote(step_, masked); }
  void Add(std::string masked) {
    observer_.StepNote(step_, masked);
    std::lock_guard<std::mutex> lock(mu_);
    lines_.push_back(std::move(masked));
    if (lines_.size() > kMaxLogLines) {
      lines_.pop_front();
      ++dropped_;
    }
  }
  AttemptResult Into(AttemptResult r) {
    std::lock_guard<std::mutex> lock(mu_);
    r.log_lines.assign(lines_.begin(), lines_.end());
    r.log_lines_dropped = dropped_;
    return r;
  }

 private:
  RunObserver& observer_;
  const StepDecl& step_;
  std::mutex mu_;
  std::deque<std::string> lines_;
  size_t dropped_ = 0;
};

}  // namespace

AttemptResult RunAttempt(AttemptInput& in) {
  if (!in.resolve_error.empty()) return AttemptResult::Failure(in.resolve_error);
  const StepDecl& step = in.step;
  RunObserver& observer = in.svc.observer;
  const Redactor& redactor = *in.redactor;
  Notes notes(observer, step);
  NotingRunner processes(
      in.svc.processes, [&](const std::string& line) { notes.Show(redactor.Apply(line)); },
      redactor);
  const CancelToken& cancel = in.stop ? *in.stop : *in.cancel;
  StepParams params(step.type->spec(), in.params);
  StepContext ctx{params,
                  step.id,
                  in.run_id,
                  in.number,
                  in.env,
                  processes,
                  cancel,
                  in.deadline,
                  in.kill_grace,
                  in.svc.clock,
                  in.svc.approver,
                  {},
                  &in.passed,
                  {},
                  {},
                  {},
                  {},
                  in.continues};
  ctx.redact = [&redactor](std::string text) { return redactor.Apply(std::move(text)); };
  ctx.read_elsewhere = &in.read_elsewhere;
  ctx.reads_unknown = &in.reads_unknown;
  ctx.verified_by = in.svc.verified_by;
  ctx.verified_state = in.svc.verified_state;
  ctx.log = [&](std::string_view line) {  // K9: no escape sequence reaches a terminal
    std::string note = PrintableLines(redactor.Apply(std::string(line)));
    if (in.so_far) in.so_far->Add(note);
    notes.Add(std::move(note));
  };
  OutputSoFar tail;  // both streams, as they came (AttemptResult::output_tail)
  ctx.output = [&](std::string_view line) {
    std::string shown = redactor.Apply(std::string(line));
    tail.Add(PrintableLines(shown));
    if (in.so_far) in.so_far->Add(PrintableLines(shown));
    observer.StepLine(step, false, shown);
  };
  ctx.progress = [&](const StepProgress& p) {
    StepProgress masked = p;  // a phase may name a file or key
    masked.phase = redactor.Apply(std::move(masked.phase));
    observer.ProgressReported(step, masked);
  };
  if (in.dry_run) return notes.Into(DryRun(in, ctx));
  ctx.keep = in.keep;
  AttemptResult r;
  std::string error = CallStep(step, "running", [&] { r = step.type->Run(ctx); });
  if (!error.empty()) r = AttemptResult::Failure(error);
  if (r.status != AttemptStatus::kSuccess && in.stop && StoppedByDeadline(*in.stop))
    r.status = AttemptStatus::kTimeout;  // however the step reported being stopped
  if (r.status == AttemptStatus::kTimeout)
    r.error = "timed out after " + FormatDuration(in.timeout);
  r.ended_processes = processes.Take();
  r.output_tail = tail.Text();
  return notes.Into(std::move(r));
}

}  // namespace runbook
