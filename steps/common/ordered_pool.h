// Work done on several cores whose results are used in the order it was handed out: the
// members of a gzip stream compressed or decompressed in parallel and written in order
// (pigz's scheme). Tests and bench/README.md ("Backup", "Drill core") say what it gains.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace runbook {

class OrderedPool {
 public:
  // `threads` workers (at least 1). Jobs are not limited here: the caller keeps at most as
  // many in flight as it has buffers for, waiting with WaitOldest.
  explicit OrderedPool(int threads);
  // Waits for every job handed out, then ends the workers.
  ~OrderedPool();
  OrderedPool(const OrderedPool&) = delete;
  OrderedPool& operator=(const OrderedPool&) = delete;

  // Hands `job` to a worker. Jobs start in the order they were handed out; they must not
  // throw.
  void Submit(std::function<void()> job);
  // Blocks until the oldest job not yet waited for has finished; returns false when none is
  // outstanding. The job's writes are visible to the caller afterwards.
  bool WaitOldest();
  // Jobs handed out and not yet waited for.
  size_t Outstanding() const;

  // The workers a pool should have: the CPUs this process may use (its affinity mask, its
  // cgroup's cpu.max quota), at most `cap`.
  static int Cores(int cap = 64);

 private:
  struct Ticket {
    std::function<void()> job;
    bool done = false;
  };
  void Work();

  mutable std::mutex mu_;
  std::condition_variable wake_, finished_;
  std::deque<std::shared_ptr<Ticket>> queue_;   // not yet started
  std::deque<std::shared_ptr<Ticket>> handed_;  // not yet waited for, in order
  bool ending_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace runbook
