// CancelToken: how a run tells its steps to stop. Set once by the signal path (SIGINT /
// SIGTERM to runbook); read by steps and the process runner. A second request escalates to
// `forced` (kill at once, no grace). Thread-safe; wait_fd() becomes readable when set, so
// poll loops wake at once.
#pragma once

#include <atomic>

namespace runbook {

class CancelToken {
 public:
  CancelToken();
  ~CancelToken();
  CancelToken(const CancelToken&) = delete;
  CancelToken& operator=(const CancelToken&) = delete;

  // Async-signal-safe: only atomics and write(2).
  void Cancel(int signal_number);
  bool cancelled() const { return signal_.load() != 0; }
  bool forced() const { return requests_.load() > 1; }
  int requests() const { return requests_.load(); }  // how many times Cancel was called
  int signal_number() const { return signal_.load(); }
  int wait_fd() const { return fds_[0]; }

 private:
  std::atomic<int> signal_{0};
  std::atomic<int> requests_{0};
  int fds_[2] = {-1, -1};
};

}  // namespace runbook
