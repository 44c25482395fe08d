// Whole reads and writes on a file descriptor, retried on EINTR and short counts (write(2)
// and read(2) may move fewer bytes than asked, a pipe or a signal).
#pragma once

#include <cstddef>
#include <string>

#include "engine/util/status.h"

namespace runbook {

// Writes all `size` bytes of `buf` to `fd`; false on error (errno set).
bool WriteAll(int fd, const char* buf, size_t size);

// Everything `fd` gives until end of file, at most `max_bytes`. Errors: a read fails (errno
// in the message, after `what`), or more than `max_bytes` come ("`what` holds more than
// N bytes").
Result<std::string> ReadAll(int fd, size_t max_bytes, const std::string& what);

}  // namespace runbook
