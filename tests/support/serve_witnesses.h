// What the serve tests watch a serve by, besides its API (serve_process.h): a webhook receiver,
// the store's notification events, a writer holding the store locked.
#pragma once

#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "engine/util/json.h"
#include "support/serve_process.h"
#include "support/servers.h"
#include "support/support.h"

namespace runbook::test {

// A webhook receiver (tests/notify/receiver.py) on `port`, recording into dir/NAME.jsonl.
class Receiver {
 public:
  // `hold`: each answer waits until that file exists (receiver.py's RECEIVER_HOLD).
  Receiver(const std::string& dir, const std::string& name, int port, const std::string& hold = "")
      : log_(dir + "/" + name + ".jsonl") {
    pid_ = StartServer(
        {"env", "RECEIVER_HOLD=" + hold, "python3",
         std::string(RUNBOOK_SOURCE_DIR) + "/tests/notify/receiver.py", std::to_string(port), log_},
        log_ + ".log", port);
  }
  ~Receiver() { StopServer(pid_); }
  // The bodies posted so far, parsed.
  std::vector<Value> Bodies() const {
    std::vector<Value> out;
    std::istringstream lines(ReadFile(log_));
    for (std::string line; std::getline(lines, line);) {
      auto post = ParseJson(line);
      if (!post.ok()) continue;
      auto body = ParseJson(post.value().Find("body")->as_string());
      if (body.ok()) out.push_back(body.value());
    }
    return out;
  }
  // The paths posted to so far.
  std::vector<std::string> Paths() const {
    std::vector<std::string> out;
    std::istringstream lines(ReadFile(log_));
    for (std::string line; std::getline(lines, line);) {
      auto post = ParseJson(line);
      if (post.ok()) out.push_back(post.value().Find("path")->as_string());
    }
    return out;
  }
  // Waits until `n` posts came (20 s at most); the bodies.
  std::vector<Value> AtLeast(size_t n, int seconds = 20) const {
    std::vector<Value> got;
    for (int i = 0; i < seconds * 10; ++i) {
      got = Bodies();
      if (got.size() >= n) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return got;
  }

 private:
  std::string log_;
  int pid_ = 0;
};

// A runbook's notify entry: its failure posted to `path` on 127.0.0.1:`port`.
inline std::string Webhook(int port, const std::string& path) {
  return "  - on: [failure]\n    webhook: {url: 'http://127.0.0.1:" + std::to_string(port) + path +
         "'}\n";
}

inline std::string StartRun(ServeProcess& serve, const std::string& runbook,
                            const std::string& tag) {
  return serve
      .Json("POST", "/api/v1/runbooks/" + runbook + "/runs", 201,
            "{\"params\": {\"tag\": \"" + tag + "\"}}")
      .Find("run_id")
      ->as_string();
}

// A trigger in store `db` that refuses each new event matching `when` (SQL on NEW, such as
// "NEW.kind = 'run_started'"): a store that will not take a record, any error but busy, until
// AcceptEvents. One at a time.
inline void RefuseEvents(const std::string& db, const std::string& when) {
  REQUIRE(Shell(std::string(kSqliteWaiting) + db +
                " \"CREATE TRIGGER held BEFORE INSERT ON events WHEN " + when +
                " BEGIN SELECT RAISE(ABORT, 'held by the test'); END\"")
              .exit_code == 0);
}
inline void AcceptEvents(const std::string& db) {
  REQUIRE(Shell(std::string(kSqliteWaiting) + db + " 'DROP TRIGGER held'").exit_code == 0);
}

// The store's notification events of run `id`, as bodies.
inline std::vector<Value> NotificationsOf(const std::string& dir, const std::string& id) {
  std::vector<Value> out;
  std::istringstream lines(
      Shell(Binary() + " audit export --audit-db " + dir + "/store/audit.db").out);
  for (std::string line; std::getline(lines, line);) {
    auto e = ParseJson(line);
    if (e.ok() && e.value().Find("kind")->as_string() == "notification" &&
        e.value().Find("run_id")->as_string() == id)
      out.push_back(*e.value().Find("body"));
  }
  return out;
}

// An exclusive writer holding serve's store `seconds` (an export, a copy of the file, a long
// writer); returns once it holds it, with its pid.
inline int LockStore(const std::string& dir, int seconds) {
  int locker = StartBackground(
      {"python3", "-c",
       "import sqlite3,time,sys\nc=sqlite3.connect(sys.argv[1],isolation_level=None)\n"
       "c.execute('BEGIN EXCLUSIVE')\nopen(sys.argv[2],'w').close()\n"
       "time.sleep(float(sys.argv[3]))\nc.execute('COMMIT')",
       dir + "/store/audit.db", dir + "/locked", std::to_string(seconds)},
      dir + "/locker.log");
  REQUIRE(Shell("for i in $(seq 100); do [ -e " + dir + "/locked ] && exit 0; sleep 0.1; done; " +
                "rm -f " + dir + "/locked; exit 1")
              .exit_code == 0);
  Shell("rm -f " + dir + "/locked");
  return locker;
}

inline std::string Text(const Value& v, const char* key) {
  const Value* f = v.Find(key);
  return f != nullptr ? f->ToText() : "";
}

}  // namespace runbook::test
