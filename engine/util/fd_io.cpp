#include "engine/util/fd_io.h"

#include <unistd.h>

#include <cerrno>

namespace runbook {

bool WriteAll(int fd, const char* buf, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, buf, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    buf += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

Result<std::string> ReadAll(int fd, size_t max_bytes, const std::string& what) {
  std::string text;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::FromErrno("cannot read " + what, errno);
    if (n == 0) return text;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > max_bytes)
      return Status::Error(what + " holds more than " + std::to_string(max_bytes) + " bytes");
  }
}

}  // namespace runbook
