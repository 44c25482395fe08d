#include "steps/common/ordered_pool.h"

#include <sched.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <string>

namespace runbook {

OrderedPool::OrderedPool(int threads) {
  for (int i = 0; i < std::max(1, threads); ++i) workers_.emplace_back([this] { Work(); });
}

OrderedPool::~OrderedPool() {
  while (WaitOldest()) {
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    ending_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void OrderedPool::Submit(std::function<void()> job) {
  auto ticket = std::make_shared<Ticket>();
  ticket->job = std::move(job);
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(ticket);
    handed_.push_back(ticket);
  }
  wake_.notify_one();
}

bool OrderedPool::WaitOldest() {
  std::unique_lock<std::mutex> lock(mu_);
  if (handed_.empty()) return false;
  std::shared_ptr<Ticket> oldest = handed_.front();
  finished_.wait(lock, [&] { return oldest->done; });
  handed_.pop_front();
  return true;
}

size_t OrderedPool::Outstanding() const {
  std::lock_guard<std::mutex> lock(mu_);
  return handed_.size();
}

namespace {

// The CPUs of the cgroup v2 `cpu.max` quota of this process's cgroup, rounded up; 0 when
// there is none ("max") or it cannot be read.
int QuotaCpus() {
  std::ifstream self("/proc/self/cgroup");
  std::string line, path;
  while (std::getline(self, line))
    if (line.rfind("0::", 0) == 0) path = line.substr(3);
  std::ifstream max("/sys/fs/cgroup" + path + "/cpu.max");
  std::string quota;
  long period = 0;
  if (path.empty() || !(max >> quota >> period) || quota == "max" || period <= 0) return 0;
  long q = std::atol(quota.c_str());
  return q > 0 ? static_cast<int>((q + period - 1) / period) : 0;
}

}  // namespace

int OrderedPool::Cores(int cap) {
  // The CPUs this process may run on (taskset, cpusets), not those the machine lists
  // (hardware_concurrency), and no more than its cgroup's quota (breakU U6).
  cpu_set_t set;
  CPU_ZERO(&set);
  int n = ::sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 0;
  if (n <= 0) n = static_cast<int>(std::thread::hardware_concurrency());
  if (int quota = QuotaCpus(); quota > 0) n = std::min(n, quota);
  return std::clamp(n, 1, cap);
}

void OrderedPool::Work() {
  for (;;) {
    std::shared_ptr<Ticket> ticket;
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [&] { return ending_ || !queue_.empty(); });
      if (queue_.empty()) return;  // ending, nothing left
      ticket = queue_.front();
      queue_.pop_front();
    }
    ticket->job();
    {
      std::lock_guard<std::mutex> lock(mu_);
      ticket->done = true;
      ticket->job = nullptr;
    }
    finished_.notify_all();
  }
}

}  // namespace runbook
