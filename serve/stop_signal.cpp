#include "serve/stop_signal.h"

#include <signal.h>

#include "engine/cancel_signals.h"

namespace runbook {

bool StopSignalPending() {
  sigset_t pending;
  sigemptyset(&pending);
  if (::sigpending(&pending) != 0) return false;
  for (int sig : kCancelSignals)
    if (sigismember(&pending, sig) == 1) return true;
  return false;
}

}  // namespace runbook
