#include "steps/common/net.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace runbook {
namespace {

// One address: "" when it accepted within `timeout`, else why not.
std::string TryAddress(const addrinfo& a, Millis timeout, int stop_fd) {
  int fd = socket(a.ai_family, a.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a.ai_protocol);
  if (fd < 0) return std::strerror(errno);
  std::string why;
  if (connect(fd, a.ai_addr, a.ai_addrlen) != 0) {
    if (errno != EINPROGRESS) {
      why = std::strerror(errno);
    } else {
      pollfd p[2] = {{fd, POLLOUT, 0}, {stop_fd, POLLIN, 0}};
      int err = 0;
      socklen_t len = sizeof err;
      int ready = poll(p, stop_fd >= 0 ? 2 : 1, static_cast<int>(timeout.count()));
      if (ready > 0 && p[1].revents != 0)
        why = "stopped before it answered";
      else if (ready < 1)
        why = "no answer within " + FormatDuration(timeout);
      else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0)
        why = std::strerror(err);
    }
  }
  close(fd);
  return why;
}

bool PollIn(int fd) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, 0) == 1;
}

}  // namespace

std::string AddressProblem(const std::string& address) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return "address '" + address + "' must be host:port";
  std::string port = address.substr(colon + 1);
  bool digits = !port.empty() && port.size() <= 5 && port[0] != '0' &&
                port.find_first_not_of("0123456789") == std::string::npos;
  if (!digits || std::stoul(port) > 65535)
    return "address '" + address + "': the port must be a number from 1 to 65535";
  return "";
}

std::string UrlPortProblem(const std::string& url) {
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) return "";
  size_t start = scheme + 3, end = url.find_first_of("/?#", start);
  std::string authority = url.substr(start, end == std::string::npos ? end : end - start);
  authority = authority.substr(authority.rfind('@') + 1);  // npos + 1 == 0: no user info
  size_t host_end = authority[0] == '[' ? authority.find(']') : 0;
  size_t colon = authority.find(':', host_end == std::string::npos ? 0 : host_end);
  if (colon == std::string::npos) return "";
  std::string why = AddressProblem(authority);
  return why.empty() ? "" : "URL '" + url + "': the port must be a number from 1 to 65535";
}

void CheckPortAtLoad(const ConfigureView& with, const char* name, bool url,
                     ConfigureReport& report) {
  const ConfigParam* p = with.Find(name);
  if (p == nullptr || !p->value) return;
  std::string text = p->value->ToText();
  std::string why = url ? UrlPortProblem(text) : AddressProblem(text);
  if (!why.empty()) report.Error(p->loc, why);
}

std::string TcpConnect(const std::string& address, Millis timeout, int stop_fd) {
  if (std::string why = AddressProblem(address); !why.empty()) return why;
  size_t colon = address.rfind(':');
  std::string host = address.substr(0, colon), port = address.substr(colon + 1);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0)
    return "cannot resolve " + host + ": " + gai_strerror(rc);
  std::string why = "no address";
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    why = TryAddress(*a, timeout, stop_fd);
    if (why.empty() || (stop_fd >= 0 && PollIn(stop_fd))) break;
  }
  freeaddrinfo(found);
  return why;
}

}  // namespace runbook
