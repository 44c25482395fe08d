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

// One channel of a notify entry, its settings rendered (secrets resolved: never recorded or
// printed as they are).
struct NotifyTarget {
  size_t index = 0;     // the entry's position in `notify:`
  std::string channel;  // webhook | slack | alertmanager | email
  Value::Map config;    // its settings, rendered
};

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

// "scheme://host[:port]" of `url`; "" when it is not an http(s) or smtp(s) URL.
std::string UrlOrigin(const std::string& url);

}  // namespace runbook
