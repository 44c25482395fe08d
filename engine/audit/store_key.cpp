// The audit store's fingerprint key (store.h, FingerprintKey): a random key beside the store,
// readable by its owner only, that keys the fingerprints of masked params (breakO O15).
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "engine/audit/store.h"
#include "engine/util/crypto.h"
#include "engine/util/input_file.h"
#include "engine/util/own_file.h"
#include "engine/util/strings.h"

namespace runbook {
namespace {

constexpr size_t kKeyHexDigits = 64;

// The key in the file open as `fd`: its 64 hex digits, "" when it holds something else.
std::string ReadKey(int fd) {
  char buf[kKeyHexDigits + 1] = {};
  ssize_t got = ::read(fd, buf, kKeyHexDigits);
  std::string key(buf, got > 0 ? static_cast<size_t>(got) : 0);
  return key.size() == kKeyHexDigits ? key : "";
}

// Writes a new key into `fd` (a file just made), durably; "" when it cannot.
std::string WriteNewKey(int fd) {
  unsigned char bytes[kKeyHexDigits / 2];
  if (::getrandom(bytes, sizeof bytes, 0) != static_cast<ssize_t>(sizeof bytes)) return "";
  std::string key = HexEncode(std::string_view(reinterpret_cast<char*>(bytes), sizeof bytes));
  if (::write(fd, key.data(), key.size()) != static_cast<ssize_t>(key.size())) return "";
  return ::fsync(fd) == 0 ? key : "";
}

}  // namespace

Result<std::string> AuditStore::FingerprintKey(bool make) {
  return FingerprintKeyBeside(abs_path_, make);
}

Result<std::string> FingerprintKeyBeside(const std::string& abs_store_path, bool make) {
  std::string path = abs_store_path + "-fingerprint-key";
  ClaimRunbookFile(path, "runbook's fingerprint key " + path, false);  // no step writes it
  // O_NONBLOCK: a FIFO planted at the name must not hang the run in open() (breakQ Q8); it
  // is then refused below as no regular file.
  // The key belongs to the store's owner: root, running on another account's store, uses and
  // makes the key as that account's, so one `sudo runbook` leaves no key its owner cannot read
  // (breakCC C16: a root 0600 key, and the owner's runs recorded no fingerprints).
  struct stat store {};
  bool root_on_other =
      ::geteuid() == 0 && ::stat(abs_store_path.c_str(), &store) == 0 && store.st_uid != 0;
  uid_t owner = root_on_other ? store.st_uid : ::geteuid();
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd >= 0) {
    // Another account's key, or one others can read, is known to someone else: the
    // fingerprints it keys would verify guesses offline again (breakP P8: planted in a shared
    // folder, or restored 0644). Not used.
    struct stat st {};
    bool ours = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
                (st.st_uid == ::geteuid() || st.st_uid == owner) && (st.st_mode & 077) == 0 &&
                st.st_nlink == 1;
    if (!ours) {
      ::close(fd);
      // What it is, when not a file (breakR R1: a FIFO was described by its owner and mode).
      std::string what = S_ISREG(st.st_mode) ? "" : FileKindName(st.st_mode) + ", ";
      return Status::Error(path + " is not a private key file of yours (" + what + "uid " +
                           std::to_string(st.st_uid) + ", mode " + OctalMode(st.st_mode) + ", " +
                           std::to_string(st.st_nlink) +
                           " link(s)): not used; remove it, and the next run makes a new one");
    }
    if (root_on_other && st.st_uid != owner)  // an older root-made key goes back to its owner
      (void)!::fchown(fd, store.st_uid, store.st_gid);
    std::string key = ReadKey(fd);
    ::close(fd);
    if (key.empty()) return Status::Error(path + " is not a fingerprint key (64 hex digits)");
    return key;
  }
  if (errno != ENOENT) return Status::Error("cannot read " + path + ": " + std::strerror(errno));
  if (!make) return std::string();
  // Written aside, then linked into place: a reader never sees half a key, and of two runs
  // making it at once one link wins and both use its key.
  std::string aside = path + ".new." + std::to_string(::getpid());
  fd = ::open(aside.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return std::string();  // a folder it cannot write: no fingerprints
  std::string key = WriteNewKey(fd);
  if (root_on_other && ::fchown(fd, store.st_uid, store.st_gid) != 0) key.clear();
  ::close(fd);
  bool linked = !key.empty() && ::link(aside.c_str(), path.c_str()) == 0;
  int link_errno = errno;
  ::unlink(aside.c_str());
  if (linked) return key;
  return !key.empty() && link_errno == EEXIST ? FingerprintKeyBeside(abs_store_path, false)
                                              : Result<std::string>(std::string());
}

}  // namespace runbook
