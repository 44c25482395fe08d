// engine/objectives.h: the RTO and RPO measured from a run's steps, without running one.
#include "engine/objectives.h"

#include <catch2/catch.hpp>

#include "engine/util/time_format.h"

using namespace runbook;

namespace {

using std::chrono::milliseconds;

struct Fixture {
  Runbook rb;
  std::vector<StepRun> steps;
  size_t finally_begin = 0;
  Clock::Mono t0 = Clock::Mono{} + std::chrono::hours(1);
  Clock::Wall wall0 = Clock::Wall{} + std::chrono::hours(24 * 365 * 50);

  // A step `id` marked `mark` that ran from t0+from to t0+to ms with `outcome`.
  void Add(const std::string& id, RtoMark mark, int from, int to, Outcome outcome) {
    StepDecl s;
    s.id = id;
    s.rto = mark;
    rb.steps.push_back(s);
    StepRun r;
    r.outcome = outcome;
    r.started = t0 + milliseconds(from);
    r.finished = t0 + milliseconds(to);
    steps.push_back(r);
  }
  RtoResult Measure(int now_ms, std::optional<Millis> incident = std::nullopt) const {
    return MeasureRto({rb, steps, finally_begin, t0, t0 + milliseconds(now_ms), wall0, false,
                       incident, Millis(0)});
  }
};

}  // namespace

TEST_CASE("the RTO runs from the rto: start step's start to the rto: end step's end",
          "[engine][rto]") {
  Fixture f;
  f.rb.rto_objective = Millis(1000);
  f.Add("prep", RtoMark::kNone, 0, 100, Outcome::kSuccess);
  f.Add("declare", RtoMark::kStart, 200, 300, Outcome::kSuccess);
  f.Add("restore", RtoMark::kEnd, 300, 900, Outcome::kSuccess);
  f.Add("after", RtoMark::kNone, 900, 5000, Outcome::kSuccess);
  f.finally_begin = 4;
  RtoResult rto = f.Measure(5000);
  CHECK(rto.measured);
  CHECK(rto.elapsed == Millis(700));
  CHECK(rto.met());
  // A resume: counted from the incident's start, this run's part added to what came before.
  RtoResult resumed = f.Measure(5000, Millis(60000));
  CHECK(resumed.elapsed == Millis(60000 + 900));  // from this run's start to restore's end
  CHECK_FALSE(resumed.met());
}

TEST_CASE("an rto: end step that did not pass measures no RTO and meets no objective",
          "[engine][rto]") {
  for (Outcome o : {Outcome::kFailure, Outcome::kCancelled, Outcome::kWarning}) {
    CAPTURE(OutcomeName(o));
    Fixture f;
    f.rb.rto_objective = Millis(1000);
    f.Add("restore", RtoMark::kEnd, 0, 10, o);
    f.finally_begin = 1;
    RtoResult rto = f.Measure(20);
    CHECK_FALSE(rto.measured);
    CHECK(rto.failed);
    CHECK_FALSE(rto.met());
    CHECK_THAT(rto.note, Catch::Contains("nothing was recovered"));
  }
  // A finally step marked rto: end after a main step failed recovered nothing either.
  Fixture f;
  f.Add("restore", RtoMark::kNone, 0, 10, Outcome::kFailure);
  f.Add("report", RtoMark::kEnd, 10, 20, Outcome::kSuccess);
  f.finally_begin = 1;
  CHECK(f.Measure(20).failed);
  CHECK_THAT(f.Measure(20).note, Catch::Contains("ran after main steps that failed"));
  // ... unless the failure was tolerated (continue_on_error).
  f.steps[0].tolerated = true;
  CHECK(f.Measure(20).measured);
}

TEST_CASE("a marked step that never ran leaves the RTO unmeasured, saying which", "[engine][rto]") {
  Fixture f;
  f.Add("declare", RtoMark::kStart, 0, 10, Outcome::kSuccess);
  f.Add("restore", RtoMark::kEnd, 0, 0, Outcome::kSkipped);
  f.finally_begin = 2;
  RtoResult rto = f.Measure(20);
  CHECK_FALSE(rto.measured);
  CHECK_FALSE(rto.failed);
  CHECK(rto.note == "the step marked 'rto: end' ('restore') did not run");
  // A dry run restores nothing.
  RtoResult dry = MeasureRto(
      {f.rb, f.steps, f.finally_begin, f.t0, f.t0, f.wall0, true, std::nullopt, Millis(0)});
  CHECK(dry.note == "a dry run restores nothing");
}

TEST_CASE("the RPO is the restored backup's age, future ones marked", "[engine][rpo]") {
  StepDecl step;
  step.id = "restore";
  StepRun run;
  run.outputs["backup_created_at"] = Value("2026-12-04T10:00:00.000Z");
  Clock::Wall finished = *ParseUtc("2026-12-04T10:30:00.000Z");
  RpoResult rpo;
  NoteRpo(rpo, step, run, finished);
  CHECK(rpo.measured);
  CHECK(rpo.step == "restore");
  CHECK(rpo.age == Millis(30 * 60 * 1000));
  CHECK_FALSE(rpo.future);
  RpoResult ahead;
  NoteRpo(ahead, step, run, *ParseUtc("2026-12-04T09:00:00.000Z"));
  CHECK(ahead.future);
  RpoResult skew;  // within the clock skew allowed: taken just now
  NoteRpo(skew, step, run, *ParseUtc("2026-12-04T09:59:00.000Z"));
  CHECK_FALSE(skew.future);
  CHECK(skew.age == Millis(0));
  RpoResult none;  // no creation time: nothing measured
  NoteRpo(none, step, StepRun{}, finished);
  CHECK_FALSE(none.measured);
}
