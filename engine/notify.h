// Notifications when a run ends (docs/notify.md): which events a run raises, the message
// every channel is built from, and the interface of the sender (notify/sender.cpp, which
// owns the HTTP client). The engine knows no channel's wire format.
#pragma once

#include <string>
#include <vector>

#include "engine/plan.h"
#include "engine/util/value.h"

namespace runbook {

// The events a finished run raises, in this order: "failure" (status failure),
// "objective_missed" (every step passed, an objective missed), "success" (status success),
// "recovered" (success, and the runbook's run before it did not succeed: `previous_status`,
// "" when there was none). A cancelled run raises none (an operator stopped it).
std::vector<std::string> RaisedEvents(const RunResult& result, const std::string& previous_status);
// The same for a run's end as recorded: its `status` and whether its objectives were met.
std::vector<std::string> RaisedEvents(const std::string& status, bool objectives_met,
                                      const std::string& previous_status);

// One channel of a notify entry, its settings rendered (secrets resolved: never recorded or
// printed as they are).
struct NotifyTarget {
  size_t index = 0;             // the entry's position in `notify:`
  std::string channel;          // webhook | slack | alertmanager | email
  Value::Map config;            // its settings, rendered
  std::vector<std::string> on;  // the events it listens for
};

// Alertmanager holds state: an alert fires until it is resolved. An entry listening for
// `on` keeps three alerts true, each only when `on` lists its event (or lists `success` or
// `recovered`: all three): RunbookFailed (event "failure") fires when a run fails (status
// failure, or interrupted: its process died) and resolves when one succeeds;
// RunbookObjectiveMissed ("objective_missed") fires when a run succeeds past an objective and
// resolves when one succeeds within them; RunbookApprovalWaiting ("approval_waiting",
// severity warning) fires when a gate waits and resolves when the run ends, cancelled too. As
// Prometheus resolves an alert whose condition ended without being asked (audit of issue 16, L2:
// `on: [failure]` alone left RunbookFailed firing after a success). `event` is what happened: one
// of RaisedEvents' or "approval_waiting"; `status` and `objectives_met` the run's (the message's
// fields: a run that ended without recording its end has status "interrupted", or "failure" when it
// never started; either fires RunbookFailed). `another_run_waits`: another run of the runbook
// still waits at a gate (the message's `other_runs_waiting`): this run's end leaves
// RunbookApprovalWaiting firing, the alert being one per runbook (breakNN NN2: a second run's
// success resolved it while the first waited for hours). Empty: nothing changes for this entry.
struct AlertChange {
  std::string alertname;
  std::string severity;  // critical | warning
  bool firing = false;   // false: resolved
};
// Whether the message (run_notify's) lists another run of the runbook whose gate waits: its
// `other_runs_waiting`, a list, is not empty. For AlertChanges' `another_run_waits`.
bool AnotherRunWaits(const Value& message);

std::vector<AlertChange> AlertChanges(const std::vector<std::string>& on, const std::string& event,
                                      const std::string& status, bool objectives_met,
                                      bool another_run_waits = false);

// The events `target` is sent for when a run raised `raised` (RaisedEvents', or
// {"approval_waiting"}): those it listens for; an alertmanager entry is sent once, under the
// first event it listens for (else the first raised, else `status`: a cancelled run raises
// none), whenever AlertChanges has a change.
std::vector<std::string> EventsToSend(const std::string& channel,
                                      const std::vector<std::string>& on,
                                      const std::vector<std::string>& raised,
                                      const std::string& status, bool objectives_met,
                                      bool another_run_waits = false);

// What was sent, for the audit store and the console: never a URL's path or query (a Slack
// webhook URL is its own secret) nor a secret.
struct Delivery {
  size_t index = 0;
  std::string channel;
  std::string event;
  std::string target;  // scheme://host[:port] only
  bool sent = false;
  int http_status = 0;  // the last answer's status, 0 for none
  int attempts = 0;
  std::string error;  // why it failed, for people ("" when sent)
};

class NotifySender {
 public:
  virtual ~NotifySender() = default;
  // Sends `message` (RunMessage's) for `event` through `target`, retried with backoff (3
  // attempts: 1 s, then 2 s between) on a transport error or a 5xx/429 answer. Never throws.
  virtual Delivery Send(const NotifyTarget& target, const std::string& event,
                        const Value& message) = 0;
};

// Where a run under runbook serve keeps what its end owes to tell and what it sent
// (cli/notify_journal.h): LOG_DIR/RUN_ID.outbox and .sent (serve/launcher.h). Empty: kept
// nowhere (a run from a terminal).
struct NotifyJournalPaths {
  std::string outbox;
  std::string sent;
  std::string params;  // a new run's params, kept for its helper (KeptParams)
  // What the run did that a locked store has not recorded yet (engine/audit/unrecorded.h):
  // its helper records it.
  std::string unrecorded;
};

// "scheme://host[:port]" of `url`; "" when it is not an http(s) or smtp(s) URL.
std::string UrlOrigin(const std::string& url);

}  // namespace runbook
