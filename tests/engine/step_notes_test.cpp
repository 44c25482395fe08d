// An attempt's notes (ctx.log): each reaches the observers at once, the last kMaxLogLines
// are recorded with the attempt and the rest counted; a process's output lines (ctx.output)
// reach the observers and are not notes (issue 14 #4).
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "engine/plugin/registry.h"
#include "steps/common/spec_builder.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

// Notes `count` lines from four threads, and prints two lines as a process would.
class Noter final : public StepType {
 public:
  Noter() {
    spec_.type = "noter";
    spec_.params = {Param("count", ParamType::kInteger, "notes to write").Required()};
  }
  const StepSpec& spec() const override { return spec_; }
  std::vector<std::string> Describe(const StepParams&) const override { return {"notes"}; }
  AttemptResult Run(StepContext& ctx) const override {
    int64_t count = ctx.params.Int("count");
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&ctx, count, t] {
        for (int64_t i = t; i < count; i += 4) ctx.log("note " + std::to_string(i));
      });
    for (std::thread& th : threads) th.join();
    ctx.output("process line one");
    ctx.output("process line two");
    return AttemptResult::Success();
  }

 private:
  StepSpec spec_;
};

const StepRegistry& NoterSteps() {
  static const StepRegistry registry = [] {
    StepRegistry r;
    r.Add(std::make_unique<Noter>());
    return r;
  }();
  return registry;
}

const AttemptRecord& OnlyAttempt(int64_t count, std::unique_ptr<Runbook>& rb, Ran& ran) {
  ran = RunTextWith(NoterSteps(),
                    "version: 1\nname: t\nsteps:\n  - {id: n, uses: noter, with: {count: " +
                        std::to_string(count) + "}}\n",
                    rb);
  const StepRun& s = ran.Step(*rb, "n");
  REQUIRE(s.outcome == Outcome::kSuccess);
  REQUIRE(s.attempts.size() == 1);
  return s.attempts[0];
}

}  // namespace

TEST_CASE("an attempt records its notes, the last kMaxLogLines of them, and counts the rest",
          "[engine][notes]") {
  std::unique_ptr<Runbook> rb;
  Ran ran;
  const AttemptRecord& few = OnlyAttempt(3, rb, ran);
  CHECK(few.log_lines.size() == 3);
  CHECK(few.log_lines_dropped == 0);
  for (const std::string& line : few.log_lines) CHECK_THAT(line, Catch::StartsWith("note "));

  std::unique_ptr<Runbook> rb2;
  Ran ran2;
  const AttemptRecord& many = OnlyAttempt(kMaxLogLines + 57, rb2, ran2);
  CHECK(many.log_lines.size() == kMaxLogLines);
  CHECK(many.log_lines_dropped == 57);
  for (const std::string& line : many.log_lines)
    CHECK_THAT(line, !Catch::Contains("process line"));  // output is not a note
}
