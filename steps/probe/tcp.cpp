#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "engine/util/duration.h"
#include "steps/probe/kinds.h"

namespace runbook {
namespace {

// Connects within `timeout`; "" on success, else why not.
std::string Connect(const std::string& host, const std::string& port, Millis timeout) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0)
    return "cannot resolve " + host + ": " + gai_strerror(rc);
  std::string why = "no address";
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    int rc = connect(fd, a->ai_addr, a->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      rc = poll(&p, 1, static_cast<int>(timeout.count())) == 1 ? 0 : -1;
      int err = 0;
      socklen_t len = sizeof err;
      if (rc == 0) getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      why = rc != 0 ? "no answer within " + FormatDuration(timeout) : std::strerror(err);
      rc = rc == 0 && err == 0 ? 0 : -1;
    } else if (rc != 0) {
      why = std::strerror(errno);
    }
    close(fd);
    if (rc == 0) {
      freeaddrinfo(found);
      return "";
    }
  }
  freeaddrinfo(found);
  return why;
}

}  // namespace

AttemptResult ProbeTcp(StepContext& ctx) {
  std::string target = ctx.params.Find("address")->ToText();
  size_t colon = target.rfind(':');
  if (colon == std::string::npos)
    return AttemptResult::Failure("address '" + target + "' must be host:port");
  Millis timeout = *ParseDuration(ctx.params.Find("connect_timeout")->ToText());
  std::string why = Connect(target.substr(0, colon), target.substr(colon + 1), timeout);
  if (!why.empty()) return AttemptResult::Failure("cannot connect to " + target + ": " + why);
  ctx.log("connected to " + target);
  return AttemptResult::Success();
}

}  // namespace runbook
