// Small network checks the steps share (service health, probe tcp). Blocking, thread-safe.
#pragma once

#include <string>

#include "engine/plugin/step.h"
#include "engine/util/duration.h"

namespace runbook {

// Why `address` is not "host:port" with a port of 1..65535 written in decimal digits (no
// sign, no leading zero: getaddrinfo would take 99999 as 34463), or "" when it is. Steps
// check it at load for a literal address and TcpConnect again before connecting.
std::string AddressProblem(const std::string& address);

// The same rule for the port of a URL ("http://h:99999/x"), or "" when it has none or a good
// one. For URL parameters (an S3 endpoint, a probe's URL, a service's health URL) at load.
std::string UrlPortProblem(const std::string& url);
// Reports AddressProblem (`url` false) or UrlPortProblem of a literal parameter `name` at
// its location; nothing for a missing one or one with expressions.
void CheckPortAtLoad(const ConfigureView& with, const char* name, bool url,
                     ConfigureReport& report);

// Connects to host:port within `timeout`; "" on success, else why not. `address` is
// "host:port" (the last colon splits). The wait also ends as soon as `stop_fd` (a
// CancelToken's wait_fd(), -1 for none) is readable: ^C, or the attempt's deadline.
std::string TcpConnect(const std::string& address, Millis timeout, int stop_fd = -1);

}  // namespace runbook
