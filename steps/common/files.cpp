#include "steps/common/files.h"

#include <acl/libacl.h>
#include <fcntl.h>
#include <glob.h>
#include <sys/acl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <unordered_set>

#include "engine/util/input_file.h"
#include "engine/util/own_file.h"
#include "engine/util/strings.h"
#include "steps/common/scratch.h"

namespace runbook {

std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string BaseName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string TempBeside(const std::string& path) {
  // A dead run's temporary stays recognisable (steps/common/scratch.h): the next write of the
  // same file removes it.
  (void)RemoveDebris(DirName(path),
                     [&](const std::string& base) { return base == BaseName(path); });
  return ScratchBeside(path);
}

Status FsyncFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno("cannot open " + path, errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  return rc == 0 ? Status::Ok() : Status::FromErrno("cannot fsync " + path, err);
}

Status FsyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno("cannot open folder " + dir, errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  return rc == 0 ? Status::Ok() : Status::FromErrno("cannot fsync folder " + dir, err);
}

Status RenameDurable(const std::string& from, const std::string& to) {
  if (std::rename(from.c_str(), to.c_str()) != 0) {
    return Status::FromErrno("cannot rename " + from + " to " + to, errno);
  }
  return FsyncDir(DirName(to));
}

Status PublishDurable(const std::string& tmp, const std::string& path) {
  Status s = CheckOwnFile(path);
  return s.ok() ? RenameDurable(tmp, path) : s;
}

Status WriteFileAtomic(const std::string& path, const std::string& data, int mode,
                       const std::vector<std::string>& sources) {
  if (Status own = CheckOwnFile(path); !own.ok()) return own;  // nothing written
  std::string tmp = TempBeside(path);
  bool replacing = ModeOf(path, -1) >= 0;  // its access stays (ShareAccess), umask or not
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, replacing ? 0600 : mode);
  if (fd < 0) return Status::FromErrno("cannot write " + tmp, errno);
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return Status::FromErrno("cannot write " + tmp, err);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return Status::FromErrno("cannot write " + tmp, err);
  }
  Status s = replacing ? ReplaceAccess(tmp, path, sources) : Status::Ok();
  if (s.ok()) s = PublishDurable(tmp, path);
  if (!s.ok()) ::unlink(tmp.c_str());
  return s;
}

Result<std::string> ReadWholeFile(const std::string& path, size_t max_bytes) {
  auto opened = OpenInputStream(path);
  if (!opened.ok()) return opened.status();
  FILE* f = opened.value();
  std::string out;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
    out.append(buf, n);
    if (out.size() > max_bytes) {
      std::fclose(f);
      return Status::Error(path + " is larger than " + std::to_string(max_bytes) + " bytes");
    }
  }
  bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) return Status::Error("cannot read " + path);
  return out;
}

Result<std::vector<std::string>> ExpandGlobs(const std::vector<std::string>& patterns,
                                             const StopCheck& stop) {
  std::vector<std::string> out;
  std::unordered_set<std::string> seen;  // a set: a linear search here made 50,000 files take 11 s
  for (const std::string& pattern : patterns) {
    if (stop && stop()) return Status::Error(kStoppedMessage);
    glob_t g{};
    int rc = ::glob(pattern.c_str(), GLOB_NOSORT | GLOB_BRACE, nullptr, &g);
    if (rc == GLOB_NOMATCH) {
      globfree(&g);
      return Status::Error("'" + pattern + "' matches no file");
    }
    if (rc != 0) {
      globfree(&g);
      return Status::Error("cannot expand '" + pattern + "'");
    }
    std::vector<std::string> found(g.gl_pathv, g.gl_pathv + g.gl_pathc);
    globfree(&g);
    std::sort(found.begin(), found.end());
    for (std::string& f : found)
      if (seen.insert(f).second) out.push_back(std::move(f));
  }
  return out;
}

Result<std::vector<std::string>> MakeFolders(const std::string& path) {
  std::vector<std::string> missing;
  std::error_code ec;
  for (std::filesystem::path p(path.empty() ? "." : path);
       !p.empty() && !std::filesystem::is_directory(p, ec); p = p.parent_path()) {
    if (ec && ec != std::errc::no_such_file_or_directory && ec != std::errc::not_a_directory)
      return Status::Error("cannot examine " + Printable(p.string()) + ": " + ec.message());
    const auto type = std::filesystem::symlink_status(p, ec).type();
    // Made since is_directory looked (another step's MakeFolders of the same folder, in
    // parallel: CI 2026-12-06, "dumps is not a folder"): there, as asked.
    if (type == std::filesystem::file_type::directory) break;
    if (type != std::filesystem::file_type::not_found)
      return Status::Error("cannot make folder " + Printable(path) + ": " + Printable(p.string()) +
                           " is not a folder");
    missing.push_back(p.string());
    if (p == p.parent_path() || p.parent_path().empty()) break;
  }
  std::vector<std::string> created;
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (::mkdir(it->c_str(), 0700) == 0) {
      created.push_back(*it);
      std::filesystem::path made(*it);
      std::string parent = made.parent_path().empty() ? "." : made.parent_path().string();
      int fd = ::open(parent.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
      Status owned = fd >= 0 ? FolderOwnedLikeParent(fd, made.filename().string(), Printable(*it))
                             : Status::Ok();
      if (fd >= 0) ::close(fd);
      if (!owned.ok()) return owned;
    } else if (errno != EEXIST) {
      return Status::FromErrno("cannot make folder " + Printable(*it), errno);
    }
  }
  return created;
}

void NoteCreated(const std::vector<std::string>& created,
                 const std::function<void(std::string_view)>& log) {
  // Absolute, whatever the parameter said: the operator sees where it is (newcomer round).
  // Links followed: "lnk/../x" was made where lnk points, not beside lnk (breakBB2 F3).
  for (const std::string& folder : created) {
    std::error_code ec;
    std::filesystem::path at = std::filesystem::canonical(folder, ec);
    if (ec) at = std::filesystem::absolute(folder, ec).lexically_normal();
    log("created folder " + Printable(ec ? folder : at.string()) + " (mode 0700)");
  }
}

Status MakeFolderSaying(const std::string& folder,
                        const std::function<void(std::string_view)>& log) {
  auto made = MakeFolders(folder.empty() ? "." : folder);
  if (!made.ok()) return made.status();
  NoteCreated(made.value(), log);
  return Status::Ok();
}

std::string NotThere(const std::string& path, const std::string& kind) {
  std::error_code ec;
  std::filesystem::file_status st = std::filesystem::status(path, ec);
  if (ec && ec != std::errc::no_such_file_or_directory && ec != std::errc::not_a_directory)
    return "cannot examine " + path + ": " + ec.message();
  bool there = kind == "folder" ? std::filesystem::is_directory(st) : std::filesystem::exists(st);
  return there ? "" : "no " + kind + " " + (kind == "database" ? "at " : "") + path;
}

}  // namespace runbook
