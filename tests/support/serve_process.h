// What the serve tests share: a `runbook serve` process on a free loopback port, its API
// through curl, and runbooks whose steps wait for a file the test makes.
#pragma once

#include <signal.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <ctime>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "engine/util/json.h"
#include "support/servers.h"
#include "support/support.h"

namespace runbook::test {

// A runbook whose step waits for a file before it ends (the test decides when).
inline std::string GatedRunbook(const std::string& name, const std::string& gate,
                                const std::string& on) {
  return "version: 1\nname: " + name + "\n" + on +
         "steps:\n  - {id: w, uses: exec, with: {run: [sh, -c, 'echo started >> " + gate +
         ".marks; while [ ! -e " + gate + " ]; do sleep 0.1; done']}}\n";
}

// Whether the file at `path` holds `text` within `seconds` (a run's log that its helper
// appends to, serve's own log).
inline bool FileSays(const std::string& path, const std::string& text, int seconds = 30) {
  for (int i = 0; i < seconds * 10; ++i) {
    if (ReadFile(path).find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

// `runbook show ID` on the store of a serve in `dir` (dir/store/audit.db): its standard output.
inline std::string ShowServed(const std::string& dir, const std::string& id) {
  return Shell(Binary() + " show " + id + " --audit-db " + dir + "/store/audit.db").out;
}

class ServeProcess {
 public:
  // `env`: NAME=VALUE pairs serve (and so its runs) gets besides the test's environment.
  explicit ServeProcess(const std::string& dir, std::vector<std::string> extra = {},
                        std::string scheme = "http", std::vector<std::string> env = {})
      : dir_(dir), extra_(std::move(extra)), scheme_(std::move(scheme)), env_(std::move(env)) {
    Start();
  }
  // serve, then whatever its runs left of this test (a step whose run died with serve goes
  // on: steps are not tied to runbook, docs/audit.md): a gate's polling loop left behind
  // slowed every later test (a full ctest took 1,900 s instead of 730).
  ~ServeProcess() {
    StopServer(pid_);
    Shell("pkill -f -- '[" + dir_.substr(0, 1) + "]" + dir_.substr(1) + "/' 2>/dev/null");
  }
  void Start() {
    port_ = FreePort();
    // A helper that could not finish (a locked store) is started again after 2 s, not 10 s
    // (RUNBOOK_OWED_RETRY_MS): the tests that wait for one take seconds, not tens. A test's
    // own env comes after, and wins.
    std::vector<std::string> argv = {"env", "RUNBOOK_OWED_RETRY_MS=2000"};  // execs serve
    argv.insert(argv.end(), env_.begin(), env_.end());
    std::vector<std::string> serve = {Binary(),     "serve",
                                      "--runbooks", dir_ + "/rb",
                                      "--listen",   "127.0.0.1:" + std::to_string(port_),
                                      "--audit-db", dir_ + "/store/audit.db"};
    argv.insert(argv.end(), serve.begin(), serve.end());
    argv.insert(argv.end(), extra_.begin(), extra_.end());
    pid_ = StartServer(argv, dir_ + "/serve.log." + std::to_string(++starts_), port_);
  }
  void Kill9() { Shell("kill -9 " + std::to_string(pid_) + "; sleep 0.3"); }
  // SIGSTOP to serve alone: it reaps nothing and starts no helper until killed (Kill9).
  void Pause() { ::kill(pid_, SIGSTOP); }
  // SIGTERM (or `sig`) to serve alone (as systemd's stop, its runs left to serve); returns
  // once it exited.
  void Term(int sig = SIGTERM) {
    ::kill(pid_, sig);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  std::string Log() const { return ReadFile(dir_ + "/serve.log." + std::to_string(starts_)); }
  // curl: the body, and the HTTP status on the last line.
  Command Http(const std::string& method, const std::string& path, const std::string& body = "") {
    return Shell("curl -sk -w '\\n%{http_code}' -X " + method + " " + auth_ +
                 (body.empty() ? "" : "-H 'Content-Type: application/json' -d '" + body + "' ") +
                 "'" + scheme_ + "://127.0.0.1:" + std::to_string(port_) + path + "'");
  }
  // The JSON body of a request that must answer `status`.
  Value Json(const std::string& method, const std::string& path, int status,
             const std::string& body = "") {
    Command c = Http(method, path, body);
    size_t cut = c.out.rfind('\n');
    INFO(method << " " << path << " -> " << c.out);
    REQUIRE(cut != std::string::npos);
    REQUIRE(c.out.substr(cut + 1) == std::to_string(status));
    auto v = ParseJson(c.out.substr(0, cut));
    REQUIRE(v.ok());
    return v.value();
  }
  // Polls the run until its status is not "running" (20 s at most).
  std::string Finished(const std::string& id) {
    std::string status;
    for (int i = 0; i < 200; ++i) {
      status = Json("GET", "/api/v1/runs/" + id, 200).Find("status")->as_string();
      if (status != "running" && status != "starting") return status;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return status;
  }
  // Whether run `id` lists a gate in approvals_waiting (10 s at most).
  bool WaitsForApproval(const std::string& id) {
    for (int i = 0; i < 100; ++i) {
      Value r = Json("GET", "/api/v1/runs/" + id, 200);
      const Value* w = r.Find("approvals_waiting");
      if (w != nullptr && !w->as_list().empty()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
  bool LogSays(const std::string& text, int seconds = 10) {
    return FileSays(dir_ + "/serve.log." + std::to_string(starts_), text, seconds);
  }

  std::string Port() const { return std::to_string(port_); }
  std::string Url() const { return scheme_ + "://127.0.0.1:" + std::to_string(port_); }
  void Token(const std::string& token) {
    auth_ = token.empty() ? "" : "-H 'Authorization: Bearer " + token + "' ";
  }

 private:
  std::string dir_;
  std::vector<std::string> extra_;
  std::string scheme_;
  std::vector<std::string> env_;
  std::string auth_;
  int port_ = 0;
  int pid_ = 0;
  int starts_ = 0;
};

// The run serve's restart resumed `id` (which waited at its approval step `gate`) as, from
// serve's log ("" when none in 10 s).
inline std::string ResumedAs(ServeProcess& serve, const std::string& id,
                             const std::string& gate = "gate") {
  std::string said =
      "run " + id + " waited for approval '" + gate + "' when serve stopped: resumed as run ";
  if (!serve.LogSays(said)) return "";
  std::string log = serve.Log();
  size_t at = log.find(said) + said.size();
  return log.substr(at, log.find(',', at) - at);
}

// Whether the gated step has started (10 s at most).
inline bool Started(const std::string& gate) {
  return Shell("for i in $(seq 100); do [ -e " + gate +
               ".marks ] && exit 0; sleep 0.1; done; exit 1")
             .exit_code == 0;
}

// This machine's time `offset_seconds` from now, as serve's state file writes it (UTC).
inline std::string NowUtc(int offset_seconds) {
  std::time_t t = std::time(nullptr) + offset_seconds;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
  return buf;
}

// A test's folder with rb/ and store/serve/ made (WriteFile makes no folders).
inline std::string ServeDir() {
  std::string dir = TempDir();
  Shell("mkdir -p " + dir + "/rb " + dir + "/store/serve");
  return dir;
}

}  // namespace runbook::test
