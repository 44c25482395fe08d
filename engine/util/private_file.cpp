#include "engine/util/private_file.h"

#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>

#include "engine/util/crypto.h"
#include "engine/util/own_file.h"

namespace runbook {

Result<int> CreateUnpredictableTemp(const std::string& path, int mode, std::string& tmp) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    unsigned char r[8];
    if (::getrandom(r, sizeof r, 0) != static_cast<ssize_t>(sizeof r))
      return Status::FromErrno("cannot write " + path + ": no random name", errno);
    tmp = path + ".tmp." + HexEncode(std::string_view(reinterpret_cast<char*>(r), sizeof r));
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd >= 0) return fd;
    if (errno != EEXIST) return Status::FromErrno("cannot write " + tmp, errno);
  }
  return Status::FromErrno("cannot write " + tmp, EEXIST);
}

Status WritePrivateFile(const std::string& path, const std::string& text) {
  if (std::string why = OwnFileLinkProblem(path); !why.empty())
    return Status::Error("cannot write " + path + ": " + why);
  std::string tmp;
  auto fd = CreateUnpredictableTemp(path, 0600, tmp);
  if (!fd.ok()) return fd.status();
  bool ok = ::write(fd.value(), text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
            ::fsync(fd.value()) == 0;
  int err = errno;
  ok = ::close(fd.value()) == 0 && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    if (ok) err = errno;
    std::remove(tmp.c_str());
    return Status::FromErrno("cannot write " + path, err);
  }
  // The rename is durable once the folder is.
  std::string folder = std::filesystem::path(path).parent_path().string();
  int dir = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    (void)::fsync(dir);
    ::close(dir);
  }
  return Status::Ok();
}

Status AppendPrivateLine(const std::string& path, const std::string& line) {
  // As the file's own (OpenOwnFile): a FIFO planted at the name never blocks the writer
  // (breakDD DD5: a helper hung for good on .sent, after it had sent), a link is refused.
  auto opened = OpenOwnFile(path, O_WRONLY | O_APPEND | O_CREAT, 0600);
  if (!opened.ok()) return opened.status();
  int fd = opened.value();
  bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                 ::fsync(fd) == 0;
  int error = errno;
  ::close(fd);
  if (!written) return Status::FromErrno("cannot write " + path, error);
  return Status::Ok();
}

std::optional<std::string> ReadPrivateFile(const std::string& path) {
  auto fd = OpenOwnFile(path, O_RDONLY);
  if (!fd.ok()) return std::nullopt;
  std::string text;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd.value(), buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
  ::close(fd.value());
  if (n < 0) return std::nullopt;
  return text;
}

}  // namespace runbook
