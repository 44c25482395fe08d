#include "cli/lost_sent.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace runbook {

std::set<size_t> ReadSentJournal(const std::string& path) {
  std::set<size_t> out;
  // Never through a symlink, as it is written (breakRR RR7: a planted link skipped an entry).
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return out;
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) text.append(buf, static_cast<size_t>(n));
  ::close(fd);
  size_t start = 0;
  for (size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
    std::string line = text.substr(start, end - start);  // a last line without '\n': cut
    if (line.empty() || line.size() > 6 || line.find_first_not_of("0123456789") != line.npos)
      continue;
    out.insert(static_cast<size_t>(std::stoul(line)));
  }
  return out;
}

Status AppendSent(const std::string& path, size_t index) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Error("cannot open " + path + ": " + std::strerror(errno));
  std::string line = std::to_string(index) + "\n";
  bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                 ::fsync(fd) == 0;
  int error = errno;
  ::close(fd);
  if (!written) return Status::Error("cannot write " + path + ": " + std::strerror(error));
  return Status::Ok();
}

}  // namespace runbook
