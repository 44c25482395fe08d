// What the command line says about a run's process being alive (engine/audit/store.h,
// Liveness): the heartbeat interval a run uses, and the words for a run on another host.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "engine/audit/store.h"

namespace runbook {

// RUNBOOK_HEARTBEAT_INTERVAL (a duration, at most 1m, so that other hosts never take a live
// run as gone: kGoneAfterSilence is 5m) else kHeartbeatEvery. A value that is not such a
// duration gives the default and `warning` saying so.
std::chrono::milliseconds HeartbeatInterval(const char* env_value, std::string& warning);

// For a run of another place last heard from at `heard_at` (UTC): "; it runs on another
// host, last heard from 40s ago: if that process is gone, runbook takes it as gone at
// 2026-12-01T23:20:00Z (5 minutes without a heartbeat), and --wait waits for that".
// "" when `heard_at` is "" (a run of this place, judged by its pid).
std::string ElsewhereNote(const std::string& heard_at);

// For a run whose process on this host is stopped (SIGSTOP, Ctrl-Z): "; its process (pid N)
// is stopped: continue it with `kill -CONT N`, or end it with `kill N`"; "" otherwise.
std::string StoppedNote(const ProcessIdentity& who);

// The WatchScope of a command that needs run `run_id` (the holder of the lock it wants, the
// run it resumes): it may watch that run alone, saying so on stderr first ("runbook: run X
// was last heard from 6m ago by this host's clock: watching it up to 22s for a heartbeat
// before taking it as gone (Ctrl-C stops)"), and stops when `stop` returns true (the
// command's cancel token; null: never).
WatchScope WatchFor(const std::string& run_id, std::function<bool()> stop = {});

}  // namespace runbook
