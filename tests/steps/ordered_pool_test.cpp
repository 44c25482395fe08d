// OrderedPool: results in the order handed out, and as many workers as the CPUs this
// process may use (breakU U6: the machine's count made memory follow the host).
#include "steps/common/ordered_pool.h"

#include <sched.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>
#include <vector>

using namespace runbook;

TEST_CASE("OrderedPool: jobs finish in any order, are waited for in the order handed out",
          "[steps][pool]") {
  OrderedPool pool(3);
  std::vector<int> done(6, 0);
  for (int i = 0; i < 6; ++i)
    pool.Submit([&done, i] {
      std::this_thread::sleep_for(std::chrono::milliseconds((6 - i) * 5));
      done[i] = 1;
    });
  for (int i = 0; i < 6; ++i) {
    REQUIRE(pool.WaitOldest());
    CHECK(done[i] == 1);
  }
  CHECK_FALSE(pool.WaitOldest());
}

TEST_CASE("OrderedPool::Cores counts the CPUs this thread may run on, not the machine's",
          "[steps][pool]") {
  cpu_set_t all, one;
  REQUIRE(sched_getaffinity(0, sizeof all, &all) == 0);
  CPU_ZERO(&one);
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &all)) {
      CPU_SET(c, &one);
      break;
    }
  REQUIRE(sched_setaffinity(0, sizeof one, &one) == 0);  // as taskset -c N
  int pinned = OrderedPool::Cores();
  REQUIRE(sched_setaffinity(0, sizeof all, &all) == 0);
  CHECK(pinned == 1);
  CHECK(OrderedPool::Cores() == std::min(CPU_COUNT(&all), 64));
  CHECK(OrderedPool::Cores(1) == 1);
}
