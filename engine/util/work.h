// How long in-process work (copying, hashing, compressing, decompressing) is steered by the
// step that runs it: asked between bounded chunks whether to stop, and told how many bytes
// each chunk moved so the step can report progress (issue 14 #5).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>

namespace runbook {

// Asked between bounded chunks of a long file operation (1 MiB here): true ends it early
// with an error whose message is kStoppedMessage. Empty: never stops.
using StopCheck = std::function<bool()>;
constexpr const char* kStoppedMessage = "stopped before the end (cancelled or timed out)";

// Told the bytes one chunk moved (read from the input: what a total is known in). Called
// from the thread doing the work; may be called from several threads at once when the
// caller runs several works with one Advance. Empty: nobody listens.
using Advance = std::function<void(uint64_t bytes)>;

// Told what the work waits for before it can move (a lock another process holds:
// "waiting 4s of at most 30s for a lock held by another connection"), again as the
// wait goes on, and "" when it moves again. Empty: nobody listens (breakK K11).
using Waiting = std::function<void(const std::string& what)>;

// A work's channels back to its step. A bare StopCheck converts to a Work that only
// stops, so a caller that shows no progress writes `Sha256File(path, stop)`.
struct Work {
  StopCheck stop;
  Advance advance;
  // Told the work's real total in bytes when the work learns it (a SQLite database's pages,
  // -wal included, once the copy has begun): it replaces the caller's estimate.
  Advance sized;
  Waiting waiting;

  Work() = default;
  Work(StopCheck s) : stop(std::move(s)) {}  // NOLINT(google-explicit-constructor)
  Work(StopCheck s, Advance a, Advance z = {}, Waiting w = {})
      : stop(std::move(s)), advance(std::move(a)), sized(std::move(z)), waiting(std::move(w)) {}

  bool Stopped() const { return stop && stop(); }
  void Advanced(uint64_t bytes) const {
    if (advance && bytes > 0) advance(bytes);
  }
};

}  // namespace runbook
