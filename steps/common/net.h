// Small network checks the steps share (service health, probe tcp). Blocking, thread-safe.
#pragma once

#include <string>

#include "engine/util/duration.h"

namespace runbook {

// Why `address` is not "host:port" with a port of 1..65535 written in decimal digits (no
// sign, no leading zero: getaddrinfo would take 99999 as 34463), or "" when it is. Steps
// check it at load for a literal address and TcpConnect again before connecting.
std::string AddressProblem(const std::string& address);

// Connects to host:port within `timeout`; "" on success, else why not. `address` is
// "host:port" (the last colon splits). The wait also ends as soon as `stop_fd` (a
// CancelToken's wait_fd(), -1 for none) is readable: ^C, or the attempt's deadline.
std::string TcpConnect(const std::string& address, Millis timeout, int stop_fd = -1);

}  // namespace runbook
