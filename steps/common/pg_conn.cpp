#include "steps/common/pg_conn.h"

namespace runbook {
namespace {

struct ParsedInfo {
  PQconninfoOption* options = nullptr;
  ~ParsedInfo() {
    if (options) PQconninfoFree(options);
  }
};

Status Parse(const std::string& database, ParsedInfo& parsed) {
  char* error = nullptr;
  parsed.options = PQconninfoParse(database.c_str(), &error);
  if (parsed.options != nullptr) return Status::Ok();
  std::string why = error ? error : "out of memory";
  PQfreemem(error);
  while (!why.empty() && why.back() == '\n') why.pop_back();
  return Status::Error("database: not a libpq connection string or URL: " + why);
}

std::string Quoted(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

}  // namespace

std::string PgError(const PGconn* conn) {
  std::string e = PQerrorMessage(conn);
  while (!e.empty() && (e.back() == '\n' || e.back() == ' ')) e.pop_back();
  for (char& c : e)
    if (c == '\n') c = ' ';
  return e;
}

Result<std::vector<std::vector<std::string>>> PgQuery(PGconn* conn, const std::string& sql) {
  std::unique_ptr<PGresult, decltype(&PQclear)> r(PQexec(conn, sql.c_str()), PQclear);
  ExecStatusType st = PQresultStatus(r.get());
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) return Status::Error(PgError(conn));
  std::vector<std::vector<std::string>> rows;
  for (int i = 0; i < PQntuples(r.get()); ++i) {
    rows.emplace_back();
    for (int j = 0; j < PQnfields(r.get()); ++j) rows.back().push_back(PQgetvalue(r.get(), i, j));
  }
  return rows;
}

Status NoPasswordIn(const std::string& database) {
  ParsedInfo parsed;
  if (Status s = Parse(database, parsed); !s.ok()) return s;
  for (PQconninfoOption* o = parsed.options; o->keyword != nullptr; ++o)
    if (std::string(o->keyword) == "password" && o->val != nullptr && *o->val != 0)
      return Status::Error(
          "database: the password goes in 'password' (a declared secret), not in "
          "the connection string, which a client's command line would show");
  return Status::Ok();
}

Result<PgConn> PgConnect(const std::string& database, const Value* password,
                         const std::string& dbname) {
  std::string pw = password ? password->ToText() : std::string();
  std::vector<const char*> keys = {"dbname"}, values = {database.c_str()};
  if (!dbname.empty()) {
    keys.push_back("dbname");
    values.push_back(dbname.c_str());
  }
  for (auto [k, v] :
       {std::pair<const char*, const char*>{"password", pw.empty() ? nullptr : pw.c_str()},
        {"application_name", "runbook"},
        {"connect_timeout", "10"}}) {
    keys.push_back(k);
    values.push_back(v);
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  PgConn conn(PQconnectdbParams(keys.data(), values.data(), 1));
  if (!conn) return Status::Error("libpq: out of memory");
  if (PQstatus(conn.get()) != CONNECTION_OK)
    return Status::Error("cannot connect: " + PgError(conn.get()));
  if (Status s = CatalogFirst(conn.get()); !s.ok()) return s;
  return conn;
}

Status CatalogFirst(PGconn* conn) {
  auto set = PgQuery(conn, kCatalogSearchPath);
  return set.ok() ? Status::Ok()
                  : Status::Error("cannot set search_path: " + set.status().message());
}

PgConn PgConnectAs(const std::string& conninfo, const std::string& user,
                   const std::string& password) {
  const char* keys[] = {"dbname",          "user", "password", "application_name",
                        "connect_timeout", nullptr};
  const char* values[] = {conninfo.c_str(), user.c_str(), password.c_str(),
                          "runbook",        "10",         nullptr};
  PgConn conn(PQconnectdbParams(keys, values, 1));
  if (conn && PQstatus(conn.get()) == CONNECTION_OK && !CatalogFirst(conn.get()).ok()) conn.reset();
  return conn;
}

Result<std::string> PgDatabaseName(const std::string& database) {
  ParsedInfo parsed;
  if (Status s = Parse(database, parsed); !s.ok()) return s;
  for (PQconninfoOption* o = parsed.options; o->keyword != nullptr; ++o)
    if (std::string(o->keyword) == "dbname" && o->val != nullptr) return std::string(o->val);
  return std::string();
}

Result<std::string> PgConnInfoFor(const std::string& database, const std::string& dbname) {
  ParsedInfo parsed;
  if (Status s = Parse(database, parsed); !s.ok()) return s;
  std::string out;
  for (PQconninfoOption* o = parsed.options; o->keyword != nullptr; ++o) {
    std::string key = o->keyword;
    if (key == "dbname" || key == "password" || o->val == nullptr) continue;
    out += key + "=" + Quoted(o->val) + " ";
  }
  return out + "dbname=" + Quoted(dbname);
}

ProcessResult RunPgProgram(StepContext& ctx, std::vector<std::string> argv, const Value* password) {
  ProcessRequest req;
  req.argv = std::move(argv);
  req.env = ctx.env;
  if (password) req.env["PGPASSWORD"] = password->ToText();
  // pg_dump and pg_restore end with runbook, kill -9 included: a restore's workers went on
  // without the step (break18 R9; the SIGTERM reaches the leader, whose workers then stop).
  req.die_with_runbook = true;
  req.deadline = ctx.deadline;
  req.grace = ctx.kill_grace;
  req.on_line = [&ctx](bool, std::string_view line) { ctx.output(line); };
  return ctx.processes.Run(req, ctx.cancel);
}

std::string PgIdent(const std::string& name) {
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string PgLiteral(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

}  // namespace runbook
