#include "engine/objectives.h"

#include <algorithm>
#include <string>

#include "engine/util/time_format.h"

namespace runbook {
namespace {

// Why the `rto: end` step `s` (which ran as `r`) recovered nothing, "" when it did. `main_failed`:
// it is a finally step and a main step failed (not tolerated) or was cancelled.
std::string NothingRecovered(const StepDecl& s, const StepRun& r, bool main_failed) {
  if (s.rto != RtoMark::kEnd || (r.outcome == Outcome::kSuccess && !main_failed)) return "";
  std::string how = r.outcome == Outcome::kSuccess   ? "ran after main steps that failed"
                    : r.outcome == Outcome::kFailure ? "failed"
                    : r.outcome == Outcome::kWarning ? "failed (tolerated as a warning)"
                                                     : "was " + std::string(OutcomeName(r.outcome));
  return "the step marked 'rto: end' ('" + s.id + "') " + how + ": nothing was recovered";
}

}  // namespace

RtoResult MeasureRto(const RtoInput& in) {
  RtoResult rto;
  rto.objective = in.rb.rto_objective;
  if (in.dry_run) {  // breakO O14: "RTO 4ms - met" of a run that restored nothing
    rto.note = "a dry run restores nothing";
    return rto;
  }
  Clock::Mono start = in.started, end = in.now;
  bool incident = in.incident_elapsed.has_value();  // resume: the clock started earlier
  bool main_failed = std::any_of(
      in.steps.begin(), in.steps.begin() + static_cast<std::ptrdiff_t>(in.finally_begin),
      [](const StepRun& m) {
        return (m.outcome == Outcome::kFailure && !m.tolerated) || m.outcome == Outcome::kCancelled;
      });
  for (size_t i = 0; i < in.steps.size(); ++i) {
    const StepDecl& s = in.rb.steps[i];
    if (s.rto == RtoMark::kNone || (incident && s.rto == RtoMark::kStart)) continue;
    const StepRun& r = in.steps[i];
    if (s.rto == RtoMark::kEnd && !r.started && r.restored_finished_at) {
      // Carried over by a resume: it ended in an earlier run, at that wall time (breakO
      // O8: the incident's RTO was "not measured" whenever its end step had passed).
      end = in.started - std::chrono::duration_cast<Clock::Mono::duration>(in.started_wall -
                                                                           *r.restored_finished_at);
      continue;
    }
    if (!r.started || !r.finished || r.outcome == Outcome::kSkipped) {
      rto.note =
          "the step marked 'rto: " + std::string(s.rto == RtoMark::kStart ? "start" : "end") +
          "' ('" + s.id + "') did not run";
      return rto;
    }
    // breakFF N10: "RTO 2s met" of a failed restore; breakGG G10: one tolerated
    // (continue_on_error), or a finally step marked rto: end after the main steps failed.
    std::string nothing = NothingRecovered(s, r, i >= in.finally_begin && main_failed);
    if (!nothing.empty()) {
      rto.note = nothing;
      rto.failed = true;
      return rto;
    }
    (s.rto == RtoMark::kStart ? start : end) = s.rto == RtoMark::kStart ? *r.started : *r.finished;
  }
  rto.approval_wait = in.prior_approval_wait;
  for (const StepRun& r : in.steps) rto.approval_wait += r.waited;
  rto.measured = true;
  rto.elapsed = std::chrono::duration_cast<Millis>(end - start) +
                (incident ? *in.incident_elapsed : Millis(0));
  return rto;
}

void NoteRpo(RpoResult& rpo, const StepDecl& step, const StepRun& run, Clock::Wall finished) {
  const StepType* type = step.type;
  std::string key =
      type && !type->spec().rpo_output.empty() ? type->spec().rpo_output : "backup_created_at";
  auto it = run.outputs.find(key);
  if (it == run.outputs.end() || !it->second.is_string()) return;
  auto created = ParseUtc(it->second.as_string());
  if (!created) return;
  rpo.measured = true;
  rpo.step = step.id;
  rpo.age = std::chrono::duration_cast<Millis>(finished - *created);
  rpo.future = rpo.age < -kRpoClockSkew;
  if (rpo.age < Millis(0)) rpo.age = Millis(0);  // within the skew allowed: taken just now
}

}  // namespace runbook
