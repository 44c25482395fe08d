// A real MariaDB server (Debian's mariadbd) started for one test in a temporary folder, on a
// loopback port and a socket, with no anonymous accounts; stopped when destroyed.
#pragma once

#include <string>

#include "support/support.h"

namespace runbook::test {

class MariadbServer {
 public:
  MariadbServer();  // REQUIREs it to install and answer
  ~MariadbServer();
  MariadbServer(const MariadbServer&) = delete;
  MariadbServer& operator=(const MariadbServer&) = delete;

  // Runs `sql` as root over the socket.
  Command Sql(const std::string& sql) const;
  // `sql`'s single value ("" on failure).
  std::string Value(const std::string& sql) const;

  std::string dir = TempDir();
  std::string sock = dir + "/sock";
  int port = 0;

 private:
  int pid_ = -1;
};

}  // namespace runbook::test
