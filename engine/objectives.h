// The run's recovery objectives measured (docs/format.md "RTO and RPO"; the seed procedure's
// quarterly drill: RTO under 2 h): the RTO from the step marked `rto: start` (or the run's
// start, or the incident's first start on a resume) to the end of the step marked
// `rto: end` (or the run's end); the RPO as the age of the backup a step restored.
#pragma once

#include <optional>
#include <vector>

#include "engine/model.h"
#include "engine/plan.h"
#include "engine/util/clock.h"

namespace runbook {

// What the RTO is measured from: the run's steps as they ended, and its clocks.
struct RtoInput {
  const Runbook& rb;
  const std::vector<StepRun>& steps;  // by the runbook's step order
  size_t finally_begin;               // steps from here on are `finally` steps
  Clock::Mono started;                // the run's start, and now, on the monotonic clock
  Clock::Mono now;
  Clock::Wall started_wall;  // the run's start on the wall clock (carried steps' ends)
  bool dry_run = false;
  // A resume's incident clock: the time the chain had counted before this run (the rto:
  // start step then ran in an earlier run), else none.
  std::optional<Millis> incident_elapsed;
  Millis prior_approval_wait{0};  // approval waits of the earlier runs of the chain
};

// The RTO. Not measured (with a note saying why) for a dry run or when a marked step did not
// run; failed (no objective met) when the `rto: end` step did not pass, or is a finally step
// that ran after main steps failed (breakFF N10, breakGG G10); a step carried over by a resume
// ends where it ended in its own run (breakO O8).
RtoResult MeasureRto(const RtoInput& in);

// Notes in `rpo` the age of the backup step `step` (which ran as `run`) restored, when it
// reports its creation time (its type's rpo_output, else the output `backup_created_at`,
// RFC 3339): its age at `finished` (now, or when a carried step finished in its own run). An
// age more than kRpoClockSkew in the future is marked `future` (a wrong clock or forged
// metadata); one within the skew counts as 0.
void NoteRpo(RpoResult& rpo, const StepDecl& step, const StepRun& run, Clock::Wall finished);

}  // namespace runbook
