#include "engine/util/own_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "engine/util/input_file.h"

namespace runbook {
namespace {

// Why the file `st` describes (at `path`) is not the step's own; "" when it is.
std::string StatProblem(const std::string& path, const struct stat& st) {
  if (S_ISLNK(st.st_mode)) {
    std::error_code ec;
    return "refusing to use " + path + ": it is a symbolic link (to " +
           std::filesystem::read_symlink(path, ec).string() +
           "); runbook never writes through a link: name its target instead, or remove the link";
  }
  if (!S_ISREG(st.st_mode))
    return path + " is " + FileKindName(st.st_mode) + ", not a regular file";  // as inputs say
  if (st.st_nlink > 1)
    return "refusing to use " + path + ": it has " + std::to_string(st.st_nlink) +
           " hard links (another name shares its content and would not see the change)";
  return "";
}

}  // namespace

std::string OwnFileProblem(const std::string& path) {
  std::string owned = RunbookFileProblem(path, "write");
  return owned.empty() ? OwnFileLinkProblem(path) : owned;
}

std::string OwnFileLinkProblem(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return "";  // missing: created by the step
  return StatProblem(path, st);
}

Status CheckOwnFile(const std::string& path) {
  std::string why = OwnFileProblem(path);
  return why.empty() ? Status::Ok() : Status::Error(why);
}

Result<int> OpenOwnFile(const std::string& path, int flags, mode_t mode) {
  std::string owned = RunbookFileProblem(path, "write");  // before O_CREAT makes a name
  if (!owned.empty()) return Status::Error(owned);
  int fd = ::open(path.c_str(), flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, mode);
  if (fd < 0 && (errno == ELOOP || errno == ENXIO)) {
    std::string why = OwnFileProblem(path);
    if (!why.empty()) return Status::Error(why);
  }
  if (fd < 0) return Status::FromErrno("cannot open " + path, errno);
  struct stat st {};
  std::string why = ::fstat(fd, &st) == 0 ? StatProblem(path, st) : "cannot stat " + path;
  if (why.empty()) why = RunbookFileProblem(path, "write");  // opened: compared by identity
  int fl = why.empty() ? ::fcntl(fd, F_GETFL) : -1;
  if (why.empty() && (fl < 0 || ::fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0))
    why = "cannot open " + path;
  if (!why.empty()) {
    ::close(fd);
    return Status::Error(why);
  }
  return fd;
}

}  // namespace runbook
