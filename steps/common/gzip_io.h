// File descriptor helpers shared by the gzip reader and writer (steps/common/gzip*.cpp).
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <cstddef>
#include <utility>

namespace runbook::gzip_io {

// Closes its descriptor unless released.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

// Reads up to `size` bytes (less only at end of file); -1 on error (errno set).
ssize_t ReadFull(int fd, char* buf, size_t size);
// The same at `offset`, leaving the file position alone.
ssize_t PreadFull(int fd, char* buf, size_t size, off_t offset);

}  // namespace runbook::gzip_io
