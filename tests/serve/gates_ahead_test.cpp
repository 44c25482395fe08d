// Which runs serve takes for runs at an approval gate (serve/restart.h), judged from their
// recorded events: a gate that waits, and a gate the run's graph begins next (breakZZ ZZ10: a
// restore whose first step is its gate, held by a locked store right after its start, was
// cancelled by serve's stop instead of kept).
#include <catch2/catch.hpp>

#include "engine/util/json.h"
#include "serve/restart.h"

using namespace runbook;

namespace {

AuditEvent Event(const std::string& kind, const std::string& step,
                 Value body = Value(Value::Map{})) {
  AuditEvent e;
  e.kind = kind;
  e.step = step;
  e.attempt = kind == "attempt_started" || kind == "attempt_finished" ? 1 : 0;
  e.body = ToJson(body);
  return e;
}

// run_started of a run whose graph is `steps`: {id, uses, needs, finally?}.
AuditEvent Started(
    const std::vector<std::tuple<std::string, std::string, std::vector<std::string>, bool>>&
        steps) {
  Value::List graph;
  for (const auto& [id, uses, needs, is_finally] : steps) {
    Value::List n;
    for (const std::string& need : needs) n.push_back(Value(need));
    graph.push_back(Value(Value::Map{{"id", Value(id)},
                                     {"uses", Value(uses)},
                                     {"needs", Value(std::move(n))},
                                     {"finally", Value(is_finally)}}));
  }
  return Event("run_started", "", Value(Value::Map{{"graph", Value(std::move(graph))}}));
}

AuditEvent Finished(const std::string& step, const std::string& outcome) {
  return Event("step_finished", step, Value(Value::Map{{"outcome", Value(outcome)}}));
}

}  // namespace

TEST_CASE("gates ahead: a run whose next steps are gates is at them", "[serve][approvals]") {
  auto restore = Started({{"a", "exec", {}, false},
                          {"gate", "approval", {"a"}, false},
                          {"after", "exec", {"gate"}, false},
                          {"cleanup", "exec", {}, true}});

  SECTION("a gate first of all, nothing begun: at it (ZZ10)") {
    auto first = Started({{"gate", "approval", {}, false}, {"after", "exec", {"gate"}, false}});
    CHECK(GatesNext({first}) == std::vector<std::string>{"gate"});
    CHECK(OnlyWaitsAtGates({first}));
    CHECK(GatesAhead({first}) == std::vector<std::string>{"gate"});
  }
  SECTION("its step before ended and passed: at the gate") {
    std::vector<AuditEvent> events = {restore, Event("attempt_started", "a"),
                                      Event("attempt_finished", "a"), Finished("a", "success")};
    CHECK(GatesNext(events) == std::vector<std::string>{"gate"});
    CHECK(OnlyWaitsAtGates(events));
  }
  SECTION("a step at work, one to begin next, or a need that failed: not at a gate") {
    CHECK(GatesNext({restore}).empty());  // a begins first
    CHECK_FALSE(OnlyWaitsAtGates({restore}));
    std::vector<AuditEvent> working = {restore, Event("attempt_started", "a")};
    CHECK(GatesNext(working).empty());
    CHECK_FALSE(OnlyWaitsAtGates(working));
    std::vector<AuditEvent> failed = {restore, Event("attempt_started", "a"),
                                      Event("attempt_finished", "a"), Finished("a", "failure")};
    CHECK(GatesNext(failed).empty());
    CHECK_FALSE(OnlyWaitsAtGates(failed));
  }
  SECTION("a gate next beside other work next: not only at gates") {
    auto both = Started({{"gate", "approval", {}, false}, {"copy", "exec", {}, false}});
    CHECK(GatesNext({both}).empty());
    CHECK_FALSE(OnlyWaitsAtGates({both}));
  }
  SECTION("a gate that waits is at it, as before") {
    std::vector<AuditEvent> waiting = {restore,
                                       Event("attempt_started", "a"),
                                       Event("attempt_finished", "a"),
                                       Finished("a", "success"),
                                       Event("attempt_started", "gate"),
                                       Event("approval_waiting", "gate")};
    CHECK(GatesAhead(waiting) == std::vector<std::string>{"gate"});
    CHECK(OnlyWaitsAtGates(waiting));
  }
}
