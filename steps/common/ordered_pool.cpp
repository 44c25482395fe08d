#include "steps/common/ordered_pool.h"

#include <algorithm>

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

int OrderedPool::Cores(int cap) {
  unsigned n = std::thread::hardware_concurrency();
  return std::clamp(static_cast<int>(n == 0 ? 1 : n), 1, cap);
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
