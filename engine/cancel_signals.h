// The signals that cancel a run (cli/launch.cpp) and stop `runbook serve` (serve/server.cpp)
// instead of ending the process at once: every signal whose default action would end it and
// that can be caught. The three an operator or a supervisor sends (SIGINT, SIGTERM, SIGHUP),
// the soft CPU-time limit's SIGXCPU (ulimit -S -t, systemd's LimitCPU=), and the user and
// timer signals sent by mistake (break22a #4, break22c #4: they killed runbook and serve at
// once, leaving steps' processes running, no finally, nothing said). A run that ends by its
// cancel exits 128+N for the N that asked.
#pragma once

#include <algorithm>
#include <array>
#include <csignal>

namespace runbook {

inline constexpr std::array<int, 9> kCancelSignals{SIGINT,  SIGTERM, SIGHUP,    SIGXCPU, SIGUSR1,
                                                   SIGUSR2, SIGALRM, SIGVTALRM, SIGPROF};

inline bool IsCancelSignal(int sig) {
  return std::find(kCancelSignals.begin(), kCancelSignals.end(), sig) != kCancelSignals.end();
}

}  // namespace runbook
