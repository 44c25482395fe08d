// A seam for the tests where a real fault cannot be made here (the suite runs as root: file
// modes do not stop its writes; mounting a full tmpfs needs privileges CI may not have):
// preloaded into runbook serve (LD_PRELOAD), it fails the Nth rename(2) whose source path
// contains RUNBOOK_TEST_FAIL_RENAME with ENOSPC, as a full disk fails a private file's
// write-then-rename (engine/util/private_file.h). N is RUNBOOK_TEST_FAIL_RENAME_NTH (1 when
// unset), counted per process across threads; every other call is the C library's.
#include <dlfcn.h>

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
    const char* nth = std::getenv("RUNBOOK_TEST_FAIL_RENAME_NTH");
    if (matched.fetch_add(1) + 1 == (nth != nullptr ? std::atoi(nth) : 1)) {
      errno = ENOSPC;
      return -1;
    }
  }
  return real(from, to);
}
