// Which Alertmanager alerts an entry sets, and which events each entry is sent
// (engine/notify.h): the rules that keep Alertmanager's view true (audit of issue 16, L2).
#include <catch2/catch.hpp>

#include "engine/notify.h"

using namespace runbook;

namespace {

// "RunbookFailed+" firing, "RunbookFailed-" resolved, in order.
std::vector<std::string> Changes(const std::vector<std::string>& on, const std::string& event,
                                 const std::string& status, bool met = true,
                                 bool another_waits = false) {
  std::vector<std::string> out;
  for (const AlertChange& c : AlertChanges(on, event, status, met, another_waits))
    out.push_back(c.alertname + (c.firing ? "+" : "-"));
  return out;
}

using V = std::vector<std::string>;

}  // namespace

TEST_CASE("alert changes: each alert fires on its event and resolves when its condition ends",
          "[notify][alertmanager]") {
  CHECK(Changes({"failure"}, "failure", "failure") == V{"RunbookFailed+"});
  CHECK(Changes({"failure"}, "success", "success") == V{"RunbookFailed-"});
  CHECK(Changes({"failure"}, "failure", "interrupted") == V{"RunbookFailed+"});  // died
  CHECK(Changes({"failure"}, "cancelled", "cancelled").empty());  // an operator stopped it
  CHECK(Changes({"objective_missed"}, "objective_missed", "success", false) ==
        V{"RunbookObjectiveMissed+"});
  CHECK(Changes({"objective_missed"}, "success", "success") == V{"RunbookObjectiveMissed-"});
  CHECK(Changes({"objective_missed"}, "failure", "failure").empty());  // nothing known
  CHECK(Changes({"approval_waiting"}, "approval_waiting", "running") ==
        V{"RunbookApprovalWaiting+"});
  for (const char* end : {"success", "failure", "cancelled", "interrupted"}) {
    CHECK(Changes({"approval_waiting"}, end, end) == V{"RunbookApprovalWaiting-"});
    // breakNN NN2: the alert is one per runbook; another run's gate still waits.
    CHECK(Changes({"approval_waiting"}, end, end, true, true).empty());
    CHECK(Changes({"failure", "approval_waiting"}, end, end, true, true) ==
          Changes({"failure"}, end, end));
  }
  CHECK(Changes({"approval_waiting"}, "approval_waiting", "running", true, true) ==
        V{"RunbookApprovalWaiting+"});
  // success or recovered listed: all three kept, as before.
  CHECK(Changes({"recovered"}, "success", "success") ==
        V{"RunbookFailed-", "RunbookObjectiveMissed-", "RunbookApprovalWaiting-"});
  // A success past its objective fires that alert and resolves the failure in one post.
  CHECK(Changes({"failure", "objective_missed"}, "objective_missed", "success", false) ==
        V{"RunbookFailed-", "RunbookObjectiveMissed+"});
}

TEST_CASE("events to send: the listed ones, an alertmanager entry once per change",
          "[notify][alertmanager]") {
  const V success_raised = {"success", "recovered"};
  CHECK(EventsToSend("webhook", {"failure"}, success_raised, "success", true).empty());
  CHECK(EventsToSend("webhook", {"success", "recovered"}, success_raised, "success", true) ==
        success_raised);
  CHECK(EventsToSend("alertmanager", {"failure"}, success_raised, "success", true) == V{"success"});
  CHECK(EventsToSend("alertmanager", {"failure", "recovered"}, success_raised, "success", true) ==
        V{"recovered"});
  CHECK(EventsToSend("alertmanager", {"failure"}, {}, "cancelled", true).empty());
  CHECK(EventsToSend("alertmanager", {"approval_waiting"}, {}, "cancelled", true) ==
        V{"cancelled"});
  CHECK(EventsToSend("slack", {"failure"}, {"failure"}, "failure", true) == V{"failure"});
}
