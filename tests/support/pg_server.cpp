#include "support/pg_server.h"

#include <catch2/catch.hpp>

#include "support/servers.h"

namespace runbook::test {

std::string PgServer::As(const std::string& cmd) const {
  return "runuser -u postgres -- sh -c '" + cmd + "'";
}

PgServer::PgServer() {
  port = FreePort();
  Shell("chown postgres " + dir + " && chmod 755 " + dir);
  REQUIRE(
      Shell(As(std::string(kPgBin) + "/initdb -A trust -U postgres -D " + data + " > /dev/null"))
          .exit_code == 0);
  Shell("mkdir -p " + sock + " && chown postgres " + sock);
  Command start =
      Shell(As(std::string(kPgBin) + "/pg_ctl -w -D " + data + " -l " + dir + "/log -o \"-k " +
               sock + " -p " + std::to_string(port) + " -c listen_addresses=\" start > /dev/null"));
  REQUIRE(start.exit_code == 0);
  up_ = true;
}

PgServer::~PgServer() {
  if (up_) Shell(As(std::string(kPgBin) + "/pg_ctl -w -m fast -D " + data + " stop > /dev/null"));
}

std::string PgServer::Conn() const {
  return "host=" + sock + " port=" + std::to_string(port) + " user=postgres";
}

Command PgServer::Psql(const std::string& db, const std::string& sql) const {
  return Shell("psql -X -q -v ON_ERROR_STOP=1 -d '" + Conn() + " dbname=" + db + "' -c \"" + sql +
               "\"");
}

std::string PgServer::Value(const std::string& db, const std::string& sql) const {
  Command c = Shell("psql -X -q -A -t -d '" + Conn() + " dbname=" + db + "' -c \"" + sql + "\"");
  std::string v = c.exit_code == 0 ? c.out : "";
  while (!v.empty() && (v.back() == '\n' || v.back() == ' ')) v.pop_back();
  return v;
}

}  // namespace runbook::test
