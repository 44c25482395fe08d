// Loops (`for_each`, engine/loops.h): the loader's located mistakes, the expansion into one
// step per item, and runs of real processes: max_parallel, fail_fast, outputs as a list.
#include "engine/loops.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

std::string Steps(const std::string& steps, const std::string& params = "") {
  return "version: 1\nname: t\n" + params + "steps:\n" + steps;
}

// The located errors of `text` (each "file:line:col: error: message"), excerpts left out.
std::vector<std::string> Errors(const std::string& text) {
  std::vector<std::string> out;
  std::string rendered = Diagnose(text);
  size_t at = 0;
  for (size_t nl; (nl = rendered.find('\n', at)) != std::string::npos; at = nl + 1) {
    std::string line = rendered.substr(at, nl - at);
    if (line.rfind("test.yaml:", 0) == 0) out.push_back(line);
  }
  return out;
}

std::vector<std::string> Ids(const Runbook& rb) {
  std::vector<std::string> ids;
  for (const StepDecl& s : rb.steps) ids.push_back(s.id);
  return ids;
}

}  // namespace

TEST_CASE("a loop's mistakes are located, every one at once", "[loops][loader]") {
  std::string text = Steps(
      "  - id: a\n    uses: exec\n    with: {run: [echo, '${{ item }}']}\n    max_parallel: 2\n"
      "  - id: b\n    uses: exec\n    for_each: ${{ steps.a.outputs.exit_code }}\n"
      "    with: {run: [echo]}\n"
      "  - id: c\n    uses: exec\n    for_each: []\n    with: {run: [echo]}\n"
      "  - id: d\n    uses: exec\n    for_each: ${{ params.n }}\n    rto: start\n"
      "    with: {run: [echo, '${{ index.x }}']}\n"
      "  - id: e\n    uses: exec\n    for_each: 'x ${{ params.dbs }}'\n    with: {run: [echo]}\n"
      "  - id: f\n    uses: exec\n    for_each: {a: 1}\n    with: {run: [echo]}\n"
      "  - id: g\n    uses: exec\n    for_each: [1]\n    fail_fast: maybe\n    with: {run: "
      "[echo]}\n"
      "  - id: h\n    uses: exec\n    for_each: ['${{ secrets.k }}']\n    with: {run: [echo]}\n",
      "params:\n  dbs: {type: list, default: [a]}\n  n: {type: integer, default: 3}\n"
      "secrets:\n  k: {env: K}\n");
  std::vector<std::string> errors = Errors(text);
  std::vector<std::string> want = {
      "test.yaml:11:29: error: 'item' is defined only in a step with for_each",
      "test.yaml:12:19: error: max_parallel is for a step with for_each (the run's own limit is "
      "the top-level max_parallel)",
      "test.yaml:15:19: error: for_each is evaluated when the run starts, before any step: it may "
      "read params only, not 'steps'",
      "test.yaml:19:15: error: for_each is an empty list: the step would never run",
      "test.yaml:23:15: error: for_each must give a list, but the expression is a number",
      "test.yaml:24:10: error: rto: a step with for_each cannot mark the RTO clock (its items "
      "start and end apart); mark a step that needs it",
      "test.yaml:25:29: error: 'index' is a number and has no field 'x'",
      "test.yaml:28:15: error: for_each must be a list or one ${{ }} expression that gives one, "
      "found text around an expression",
      "test.yaml:32:15: error: for_each must be a list or one ${{ }} expression, found a mapping",
      "test.yaml:37:16: error: fail_fast must be true or false, found 'maybe'",
      "test.yaml:41:21: error: for_each is evaluated when the run starts, before any step: it may "
      "read params only, not 'secrets'"};
  CHECK(errors == want);
}

TEST_CASE("a loop becomes one step per item, and what needs it needs them all", "[loops]") {
  auto rb = Load(Steps(
      "  - id: first\n    uses: exec\n    with: {run: [true]}\n"
      "  - id: dump\n    uses: exec\n    needs: [first]\n    for_each: ${{ params.dbs }}\n"
      "    with: {run: [echo, '${{ item }}']}\n"
      "  - id: last\n    uses: exec\n    needs: [dump, first]\n    with: {run: [true]}\n"
      "finally:\n  - id: clean\n    uses: exec\n    for_each: [x, y]\n    with: {run: [true]}\n",
      "params:\n  dbs: {type: list, default: [shop, orders, users]}\n"));
  REQUIRE(rb);
  Value::Map params{{"dbs", Value(Value::List{Value("shop"), Value("orders"), Value("users")})}};
  REQUIRE(ExpandLoops(*rb, params).ok());
  CHECK(Ids(*rb) == std::vector<std::string>{"first", "dump[0]", "dump[1]", "dump[2]", "last",
                                             "clean[0]", "clean[1]"});
  CHECK(rb->finally_begin == 5);
  CHECK(rb->FindStep("last")->needs ==
        std::vector<std::string>{"dump[0]", "dump[1]", "dump[2]", "first"});
  CHECK(rb->FindStep("dump[1]")->needs == std::vector<std::string>{"first"});
  CHECK(rb->FindStep("dump[2]")->loop_item == Value("users"));
  CHECK(rb->FindStep("dump[2]")->loop_index == 2);
  CHECK(rb->loops.at("dump") == std::vector<size_t>{1, 2, 3});
  // Expanded once: a second call changes nothing (a resume expands, then expands again).
  REQUIRE(ExpandLoops(*rb, params).ok());
  CHECK(rb->steps.size() == 7);
}

TEST_CASE("a loop's list from params: not a list, empty, too long, or unknown in a plan",
          "[loops]") {
  std::string text =
      Steps("  - id: a\n    uses: exec\n    for_each: ${{ params.dbs }}\n    with: {run: [true]}\n",
            "params:\n  dbs: {type: list}\n");
  auto expand = [&](const Value& dbs, bool plan = false) {
    auto rb = Load(text);
    REQUIRE(rb);
    Value::Map params{{"dbs", dbs}};
    Status s = ExpandLoops(*rb, params, plan);
    return s.ok() ? std::to_string(rb->steps.size()) : s.message();
  };
  CHECK(expand(Value(Value::List{})) ==
        "for_each of step 'a' gave an empty list: nothing would run, and a loop over nothing is "
        "more often a mistake than a plan (at line 8, column 15)");
  Value::List many(kMaxLoopItems + 1, Value(1));
  CHECK(expand(Value(many)) ==
        "for_each of step 'a' gave 1001 items, over the limit of 1000 (at line 8, column 15)");
  CHECK(expand(Value(Value::List(kMaxLoopItems, Value(1)))) == "1000");
  CHECK(expand(Value("shop")) ==
        "for_each of step 'a' gave a string, not a list (at line 8, column 15)");
  CHECK(expand(Value::Unknown("${{ params.dbs }}"), true) == "1");  // plan: one step
  CHECK(expand(Value::Unknown("${{ params.dbs }}")) ==
        "for_each of step 'a' is not known when the run starts (at line 8, column 15)");
}

TEST_CASE("items see item and index, run max_parallel at once, and give their outputs as a list",
          "[loops][executor]") {
  std::string dir = TempDir();
  std::unique_ptr<Runbook> rb;
  Ran ran = RunText(Steps(R"(  - id: dump
    uses: exec
    for_each: [{db: shop}, {db: orders}, {db: users}]
    max_parallel: 1
    if: ${{ item.db != 'orders' || index == 1 }}
    env: {DB: '${{ item.db }}', N: '${{ index }}'}
    with:
      shell: true
      run: 'echo "path=/b/$DB-$N" >> "$RUNBOOK_OUTPUT"; sleep 0.2'
  - id: all
    uses: exec
    needs: [dump]
    env:
      ALL: ${{ join(steps.dump.outputs.path, ',') }} ${{ steps.dump.outcome }}
      ONE: ${{ steps.dump.outputs.path[1] }}
    with:
      shell: true
      run: 'echo "$ALL $ONE" > )" +
                          dir + R"(/all'
)"),
                    rb);
  CHECK(ran.result.status == "success");
  CHECK(ReadFile(dir + "/all") == "/b/shop-0,/b/orders-1,/b/users-2 success /b/orders-1\n");
  // One at a time: each item finishes before the next starts.
  std::vector<std::string> order;
  for (const std::string& e : ran.recorded.events)
    if (e.find("dump[") != std::string::npos) order.push_back(e);
  CHECK(order == std::vector<std::string>{"start dump[0] 1", "finish dump[0] success",
                                          "start dump[1] 1", "finish dump[1] success",
                                          "start dump[2] 1", "finish dump[2] success"});
}

TEST_CASE("fail_fast skips the items not started, false runs them all", "[loops][executor]") {
  auto run = [](const std::string& policy) {
    std::unique_ptr<Runbook> rb;
    Ran ran = RunText(Steps("  - id: t\n    uses: exec\n    for_each: [0, 1, 0, 0]\n"
                            "    max_parallel: 1\n" +
                            policy + "    with: {run: [test, '${{ item }}', '=', '0']}\n" +
                            "  - id: after\n    uses: exec\n    needs: [t]\n    if: always()\n"
                            "    with: {run: [test, '${{ steps.t.outcome }}', '=', failure]}\n"),
                      rb);
    std::string outcomes;
    for (const char* id : {"t[0]", "t[1]", "t[2]", "t[3]", "after"})
      outcomes += std::string(OutcomeName(ran.Step(*rb, id).outcome)) + " ";
    return outcomes + ran.Step(*rb, "t[2]").reason;
  };
  CHECK(run("") ==
        "success failure skipped skipped success an item of 't' failed, and fail_fast is on");
  CHECK(run("    fail_fast: false\n") == "success failure success success success ");
  // A failure continue_on_error tolerates is no reason to stop the others.
  CHECK(run("    continue_on_error: true\n") == "success failure success success success ");
}

TEST_CASE("an item its own if: skips does not hold back what needs the loop", "[loops][executor]") {
  // break19 L5: one item filtered out by its `if:` skipped every step that needed the loop,
  // while the loop's outcome said success. All of them filtered out: the loop was skipped.
  auto run = [](const std::string& items) {
    std::unique_ptr<Runbook> rb;
    Ran ran = RunText(Steps("  - id: d\n    uses: exec\n    for_each: " + items +
                            "\n    if: ${{ item != 'skip' }}\n    with: {run: ['true']}\n"
                            "  - id: after\n    uses: exec\n    needs: [d]\n"
                            "    with: {run: [test, '${{ steps.d.outcome }}', '!=', failure]}\n"),
                      rb);
    return std::string(OutcomeName(ran.Step(*rb, "after").outcome)) + " " + ran.result.status;
  };
  CHECK(run("[a, skip, b]") == "success success");
  CHECK(run("[skip, skip]") == "skipped success");
}

TEST_CASE("item.KEY of a loop over a written list is checked at validate", "[loops][loader]") {
  // break19 L10: a typo in item.KEY passed validate and failed every item at run time.
  std::vector<std::string> errors = Errors(Steps(
      "  - id: d\n    uses: exec\n    for_each: [{name: shop, port: 1}, {name: orders, port: 2}]\n"
      "    with: {run: [echo, '${{ item.nmae }}', '${{ item.port }}']}\n"
      "  - id: e\n    uses: exec\n    for_each: [a, b]\n"
      "    with: {run: [echo, '${{ item.x }}', '${{ item }}']}\n"
      "  - id: f\n    uses: exec\n    for_each: ${{ params.dbs }}\n"
      "    with: {run: [echo, '${{ item.anything }}']}\n",
      "params:\n  dbs: {type: list, default: [{a: 1}]}\n"));
  CHECK(errors == std::vector<std::string>{
                      "test.yaml:9:29: error: an item of for_each has no key 'nmae'; did you "
                      "mean 'name'?",
                      "test.yaml:13:29: error: 'item.x': the items of for_each are not all "
                      "mappings"});
}
