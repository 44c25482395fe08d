#include "cli/run_liveness.h"

#include <iostream>

#include "engine/util/clock.h"
#include "engine/util/duration.h"
#include "engine/util/strings.h"
#include "engine/util/time_format.h"

namespace runbook {

std::chrono::milliseconds HeartbeatInterval(const char* env_value, std::string& warning) {
  if (env_value == nullptr || *env_value == '\0') return kHeartbeatEvery;
  std::optional<Millis> d = ParseDuration(env_value);
  if (d && d->count() > 0 && *d <= std::chrono::minutes(1)) return *d;
  warning = "RUNBOOK_HEARTBEAT_INTERVAL='" + Printable(env_value) +
            "' is not a duration from 1ms to 1m: a heartbeat every " +
            std::to_string(kHeartbeatEvery.count()) + "s";
  return kHeartbeatEvery;
}

std::string ElsewhereNote(const std::string& heard_at) {
  auto at = ParseUtc(heard_at);
  if (!at) return "";
  Clock::Wall now = SystemClock().WallNow();
  auto ago = std::chrono::duration_cast<Millis>(now - *at);
  // A heartbeat from the future (breakM M23: shown as "0ms ago", the skew unsaid) is taken
  // as heard now by a store that can be written (MarkInterrupted, breakN N14).
  std::string skew =
      ago < -Millis(kClockTolerance)
          ? " (dated " + HumanDuration(-ago) + " ahead of this host's clock: taken as heard now)"
          : "";
  if (ago >= Millis(kGoneAfterSilence))  // watched, and a heartbeat came (breakO O13)
    return "; it runs elsewhere (another host, container or pid namespace), and sends "
           "heartbeats dated " +
           HumanDuration(ago) +
           " behind this host's clock: they still come, so it runs; once they stop, runbook "
           "takes it as gone (it watches one heartbeat interval for them)";
  return "; it runs elsewhere (another host, container or pid namespace), last heard from " +
         HumanDuration(std::max(ago, Millis(0))) + " ago" + skew +
         ": if that process is gone, runbook takes it as gone at " +
         FormatUtc(std::min(*at, now) + kGoneAfterSilence) + " (" +
         std::to_string(kGoneAfterSilence.count()) + " minutes without a heartbeat)";
}

std::string StoppedNote(const ProcessIdentity& who) {
  if (!IsStopped(who)) return "";
  std::string pid = std::to_string(who.pid);
  return "; its process (pid " + pid + ") is stopped (SIGSTOP, Ctrl-Z): continue it with `kill " +
         "-CONT " + pid + "`, or end it with `kill " + pid + "`";
}

WatchScope WatchFor(const std::string& run_id, std::function<bool()> stop) {
  WatchScope scope;
  scope.runs = {run_id};
  scope.stop = std::move(stop);
  scope.on_watch = [](const std::vector<std::pair<std::string, std::string>>& runs,
                      std::chrono::milliseconds up_to) {
    for (const auto& [id, heard_at] : runs) {
      auto at = ParseUtc(heard_at);
      std::string ago =
          at ? HumanDuration(std::chrono::duration_cast<Millis>(SystemClock().WallNow() - *at)) +
                   " ago"
             : "long ago";
      std::cerr << "runbook: run " << id << " was last heard from " << ago
                << " by this host's clock: watching it up to " << HumanDuration(up_to)
                << " for a heartbeat before taking it as gone (Ctrl-C stops)\n";
    }
  };
  return scope;
}

}  // namespace runbook
