// Parallel work inside one step attempt: `work` on several threads at once, one of them the
// caller's. An exception thrown on any thread does not end runbook (std::terminate): it is
// rethrown on the caller's thread once every thread has ended, where the engine's net around
// the step makes it a failed attempt (engine/attempt.h CallStep).
#pragma once

#include <functional>

namespace runbook {

// Runs `work` on max(1, threads) threads and returns when all have returned. Rethrows the
// first exception any of them threw, after all have ended.
void RunParallel(int threads, const std::function<void()>& work);

}  // namespace runbook
