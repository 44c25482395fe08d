#include "support/mariadb_server.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "support/servers.h"

namespace runbook::test {

MariadbServer::MariadbServer() {
  port = FreePort();
  // Its own tmpdir: a starting mariadbd deletes the "#sql*" files in its tmpdir, another
  // server's temporary tables when they share /tmp.
  REQUIRE(Shell("mkdir -p " + dir + "/tmp").exit_code == 0);
  // A 4 MB redo log and an 8 MB buffer pool: the defaults (96 MB of redo log written, 128 MB
  // of pool cleared) cost each test's server 3.1 s to set up against 1.5 s (measured
  // 2026-12-05), for databases of a few rows.
  REQUIRE(Shell("mariadb-install-db --no-defaults --datadir=" + dir + "/data --tmpdir=" + dir +
                "/tmp --user=root --auth-root-authentication-method=normal --skip-test-db "
                "--innodb-log-file-size=4M --innodb-buffer-pool-size=8M > " +
                dir + "/install.log 2>&1")
              .exit_code == 0);
  pid_ = StartBackground(
      {"mariadbd", "--no-defaults", "--datadir=" + dir + "/data", "--tmpdir=" + dir + "/tmp",
       "--socket=" + sock, "--port=" + std::to_string(port), "--bind-address=127.0.0.1",
       "--user=root", "--pid-file=" + dir + "/pid", "--innodb-buffer-pool-size=8M",
       "--innodb-log-file-size=4M"},
      dir + "/server.log");
  bool up = false;
  for (int i = 0; i < 300 && !up; ++i) {
    up = Sql("SELECT 1").exit_code == 0;
    if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  REQUIRE(up);
  REQUIRE(Sql("DELETE FROM mysql.global_priv WHERE User = ''; FLUSH PRIVILEGES").exit_code == 0);
}

MariadbServer::~MariadbServer() {
  if (pid_ > 0) StopServer(pid_);
}

Command MariadbServer::Sql(const std::string& sql) const {
  return Shell("mariadb --no-defaults -S " + sock + " -u root -e \"" + sql + "\" 2>&1");
}

std::string MariadbServer::Value(const std::string& sql) const {
  Command c = Shell("mariadb --no-defaults -S " + sock + " -u root -N -B -e \"" + sql + "\"");
  std::string v = c.exit_code == 0 ? c.out : "";
  while (!v.empty() && (v.back() == '\n' || v.back() == ' ')) v.pop_back();
  return v;
}

}  // namespace runbook::test
