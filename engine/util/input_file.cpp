#include "engine/util/input_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace runbook {
namespace {

Status NotRegular(const std::string& path, unsigned mode) {
  return Status::Error(path + " is " + FileKindName(mode) + ", not a regular file");
}

}  // namespace

std::string FileKindName(unsigned mode) {
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISDIR(mode)) return "a folder";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISLNK(mode)) return "a symbolic link";
  return "a special file";
}

Result<int> OpenInputFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return Status::FromErrno("cannot read " + path, errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return Status::FromErrno("cannot stat " + path, err);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return NotRegular(path, st.st_mode);
  }
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
    int err = errno;
    ::close(fd);
    return Status::FromErrno("cannot read " + path, err);
  }
  return fd;
}

Result<FILE*> OpenInputStream(const std::string& path) {
  auto fd = OpenInputFile(path);
  if (!fd.ok()) return fd.status();
  FILE* f = ::fdopen(fd.value(), "rb");
  if (f == nullptr) {
    int err = errno;
    ::close(fd.value());
    return Status::FromErrno("cannot read " + path, err);
  }
  return f;
}

Status CheckInputPath(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Status::Ok();
  return S_ISREG(st.st_mode) ? Status::Ok() : NotRegular(path, st.st_mode);
}

}  // namespace runbook
