#include "steps/common/lock_beside.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "engine/util/file_access.h"
#include "engine/util/own_file.h"
#include "engine/util/strings.h"

namespace runbook {

Result<UniqueFd> LockBeside(const std::string& file) {
  std::string path = file + ".lock";
  auto opened = OpenOwnFile(path, O_RDWR | O_CREAT, 0600);
  if (!opened.ok()) {
    struct stat st {};
    bool exists = ::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
    if (!exists) return opened.status();
    opened = OpenOwnFile(path, O_RDONLY);  // another account's lock: reading is enough
    if (!opened.ok())
      return Status::Error(opened.status().message() + " (the lock belongs to uid " +
                           std::to_string(st.st_uid) + ", mode " + OctalMode(st.st_mode) +
                           "; a run as root gives it the owner of " + file +
                           ", or remove it while no run holds it)");
  }
  UniqueFd fd(opened.value());
  if (Status s = OwnLike(fd.get(), file, path); !s.ok()) return s;
  if (::flock(fd.get(), LOCK_EX) != 0) return Status::FromErrno("cannot lock " + path, errno);
  return fd;
}

}  // namespace runbook
