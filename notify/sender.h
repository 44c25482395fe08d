// The notification channels' wire formats over the project's HTTP client (docs/notify.md):
// a signed JSON webhook, a Slack incoming webhook, Alertmanager's API v2.
#pragma once

#include <memory>

#include "engine/notify.h"

namespace runbook {

// The sender the binary uses. `retry_base_ms`: the first wait between attempts (1000; the
// second is twice it); RUNBOOK_NOTIFY_RETRY_MS sets it.
std::unique_ptr<NotifySender> MakeHttpNotifySender(int retry_base_ms);

}  // namespace runbook
