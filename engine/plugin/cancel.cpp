#include "engine/plugin/cancel.h"

#include <fcntl.h>
#include <unistd.h>

namespace runbook {

CancelToken::CancelToken() {
  if (pipe2(fds_, O_CLOEXEC | O_NONBLOCK) != 0) {
    fds_[0] = fds_[1] = -1;
  }
}

CancelToken::~CancelToken() {
  for (int fd : fds_) {
    if (fd >= 0) close(fd);
  }
}

void CancelToken::Cancel(int signal_number) {
  int expected = 0;
  signal_.compare_exchange_strong(expected, signal_number);
  requests_.fetch_add(1);
  if (fds_[1] >= 0) {
    char byte = 1;
    ssize_t ignored = write(fds_[1], &byte, 1);  // the pipe staying readable is the signal
    (void)ignored;
  }
}

}  // namespace runbook
