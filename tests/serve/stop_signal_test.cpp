// serve/stop_signal.h against the real signal machinery: a SIGTERM sent and not yet handled
// (blocked here, as a thread that has not run its handler yet) is seen; none, or another
// signal (SIGWINCH, whose default is to be ignored), is not.
#include "serve/stop_signal.h"

#include <pthread.h>
#include <signal.h>

#include <catch2/catch.hpp>
#include <ctime>

using namespace runbook;

TEST_CASE("a stop signal sent and not yet handled is seen as pending", "[serve][stop]") {
  sigset_t stop, was;
  sigemptyset(&stop);
  sigaddset(&stop, GENERATE(SIGTERM, SIGINT, SIGUSR2, SIGWINCH));
  REQUIRE(pthread_sigmask(SIG_BLOCK, &stop, &was) == 0);
  CHECK_FALSE(StopSignalPending());
  int sent = 0;
  for (int sig : {SIGTERM, SIGINT, SIGUSR2, SIGWINCH})
    if (sigismember(&stop, sig) == 1) sent = sig;
  REQUIRE(pthread_kill(pthread_self(), sent) == 0);  // this thread only: nothing else gets it
  CHECK(StopSignalPending() == (sent != SIGWINCH));  // SIGUSR2 stops too (cancel_signals.h)
  timespec none{0, 0};
  CHECK(sigtimedwait(&stop, nullptr, &none) == sent);  // taken back, never delivered
  CHECK_FALSE(StopSignalPending());
  REQUIRE(pthread_sigmask(SIG_SETMASK, &was, nullptr) == 0);
}
