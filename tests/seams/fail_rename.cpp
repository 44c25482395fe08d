// A seam for the tests where a real fault cannot be made here (the suite runs as root: file
// modes do not stop its writes; mounting a full tmpfs needs privileges CI may not have):
// preloaded into runbook serve (LD_PRELOAD), it fails the Nth rename(2) whose source path
// contains RUNBOOK_TEST_FAIL_RENAME with ENOSPC, as a full disk fails a private file's
// write-then-rename (engine/util/private_file.h). N is RUNBOOK_TEST_FAIL_RENAME_NTH (1 when
// unset), counted per process across threads; with RUNBOOK_TEST_FAIL_RENAME_ONCE (a path),
// only the first match of every process preloaded, the one that creates that file (a run's
// own write: each run is a process); with RUNBOOK_TEST_DELAY_RENAME_MS, each match waits that
// long first (only while the file RUNBOOK_TEST_DELAY_RENAME_IF exists, when given), and with
// RUNBOOK_TEST_FAIL_RENAME_NONE set, it is then done (a slow disk).
// Every other call is the C library's.
#include <dlfcn.h>
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace {
std::atomic<int> matched{0};
}

extern "C" int rename(const char* from, const char* to) {
  using Rename = int (*)(const char*, const char*);
  static const Rename real = reinterpret_cast<Rename>(dlsym(RTLD_NEXT, "rename"));
  const char* pattern = std::getenv("RUNBOOK_TEST_FAIL_RENAME");
  if (pattern != nullptr && from != nullptr && std::strstr(from, pattern) != nullptr) {
    // RUNBOOK_TEST_DELAY_RENAME_MS: wait that long first (a slow disk; others may act meanwhile).
    const char* when = std::getenv("RUNBOOK_TEST_DELAY_RENAME_IF");  // only while it exists
    if (const char* delay = std::getenv("RUNBOOK_TEST_DELAY_RENAME_MS");
        delay != nullptr && (when == nullptr || ::access(when, F_OK) == 0))
      ::usleep(static_cast<useconds_t>(std::atoi(delay)) * 1000);
    if (std::getenv("RUNBOOK_TEST_FAIL_RENAME_NONE") != nullptr) return real(from, to);
    const char* once = std::getenv("RUNBOOK_TEST_FAIL_RENAME_ONCE");
    if (once != nullptr && *once == '\0') once = nullptr;  // empty: unset
    const char* nth = std::getenv("RUNBOOK_TEST_FAIL_RENAME_NTH");
    const bool fail =
        once != nullptr  // the first match of all the processes: the one that makes the file
            ? ::open(once, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600) >= 0
            : matched.fetch_add(1) + 1 == (nth != nullptr ? std::atoi(nth) : 1);
    if (fail) {
      errno = ENOSPC;
      return -1;
    }
  }
  return real(from, to);
}
