// Small network checks the steps share (service health, probe tcp). Blocking, thread-safe.
#pragma once

#include <string>

#include "engine/util/duration.h"

namespace runbook {

// Connects to host:port within `timeout`; "" on success, else why not. `address` is
// "host:port" (the last colon splits).
std::string TcpConnect(const std::string& address, Millis timeout);

}  // namespace runbook
