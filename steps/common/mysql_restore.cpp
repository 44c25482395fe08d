#include "steps/common/mysql_restore.h"

#include <stdlib.h>

#include <charconv>
#include <filesystem>
#include <sstream>

#include "engine/util/strings.h"
#include "engine/util/time_format.h"
#include "steps/common/files.h"
#include "steps/common/gzip.h"
#include "steps/common/mysql_backup.h"
#include "steps/common/mysql_check.h"
#include "steps/common/mysql_dump_reach.h"
#include "steps/common/mysql_replay_account.h"
#include "steps/common/mysql_replayed_objects.h"
#include "steps/common/scratch.h"
#include "steps/common/server_restore.h"
#include "steps/common/server_scratch.h"
#include "steps/common/stop.h"

namespace runbook {
namespace {

constexpr size_t kMaxIdentifier = 64;
constexpr const char* kObjectsRenameCannotMove =
    "SELECT 'view', table_name FROM information_schema.views WHERE table_schema = {db} UNION ALL "
    "SELECT 'trigger', trigger_name FROM information_schema.triggers WHERE trigger_schema = {db} "
    "UNION ALL SELECT lower(routine_type), routine_name FROM information_schema.routines WHERE "
    "routine_schema = {db} UNION ALL SELECT 'event', event_name FROM information_schema.events "
    "WHERE event_schema = {db}";

std::string Ident(const std::string& name) {
  std::string out = "`";
  for (char c : name) out += c == '`' ? std::string("``") : std::string(1, c);
  return out + "`";
}

// A database name for a database-level GRANT: `_` and `%` there are LIKE wildcards, escaped
// (breakSS SS2: `shop_restore_...` granted every database matching shop?restore?...).
std::string GrantIdent(const std::string& name) {
  std::string escaped;
  for (char c : name) {
    if (c == '_' || c == '%' || c == '\\') escaped += '\\';
    escaped += c;
  }
  return Ident(escaped);
}

std::string Literal(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'' || c == '\\') out += c == '\'' ? "'" : "\\";
    out += c;
  }
  return out + "'";
}

std::string With(std::string sql, const std::string& db) {
  for (size_t at; (at = sql.find("{db}")) != std::string::npos;) sql.replace(at, 4, Literal(db));
  return sql;
}

// The client's batch output: a row per line, its fields tab-separated (an empty line is one
// empty field: a column with an empty value).
std::vector<std::vector<std::string>> Rows(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    rows.emplace_back();
    size_t start = 0;
    for (size_t tab; (tab = line.find('\t', start)) != std::string::npos; start = tab + 1)
      rows.back().push_back(line.substr(start, tab - start));
    rows.back().push_back(line.substr(start));
  }
  return rows;
}

// One restore: the client's connection (options file in the scratch folder), the names.
struct MyRestore {
  StepContext& ctx;
  MysqlTarget target;
  std::string bin_dir, options, scratch;
  RestoreNames names;

  ProcessResult Client(std::vector<std::string> args, const std::string& stdin_path = "") const {
    std::vector<std::string> argv = {MysqlProgram({"mariadb", "mysql"}, bin_dir, ctx.env)};
    if (!options.empty()) argv.push_back("--defaults-extra-file=" + options);
    // --sandbox: no shell (\!), no file commands (\T, \.) whatever the dump says (breakSS
    // SS1: a dump without mariadb-dump's own sandbox line ran `id` as runbook's user).
    for (const char* o : {"--batch", "--skip-column-names", "--sandbox", "--max-allowed-packet=1G",
                          "--default-character-set=utf8mb4"})
      argv.push_back(o);
    target.AppendConnection(argv);
    argv.insert(argv.end(), args.begin(), args.end());
    ProcessRequest req;
    req.argv = std::move(argv);
    req.stdin_path = stdin_path;
    req.die_with_runbook = true;  // never replaying on into the live server without the step
    req.env = ctx.env;
    req.deadline = ctx.deadline;
    req.grace = ctx.kill_grace;
    return ctx.processes.Run(req, ctx.cancel);
  }

  Result<std::vector<std::vector<std::string>>> Sql(const std::string& sql) const {
    ProcessResult r = Client({"-e", sql});
    if (!r.exited_ok())
      return Status::Error("mariadb: " + r.Describe() + ": " + LastLines(r.err.text, 1));
    return Rows(r.out.text);
  }

  Status Exec(const std::string& sql) const { return Sql(sql).status(); }

  // Runs `sql` as the connecting account from a 0600 file in the scratch folder: never on a
  // command line (it may hold a password), removed after.
  Status ExecFile(const std::string& sql) const {
    std::string path = scratch + "/statements.sql";
    std::filesystem::remove(path);
    if (Status s = WriteNewFile(path, sql, 0600); !s.ok()) return s;
    ProcessResult r = Client({}, path);
    std::filesystem::remove(path);
    if (!r.exited_ok())
      return Status::Error("mariadb: " + r.Describe() + ": " + LastLines(r.err.text, 1));
    return Status::Ok();
  }

  std::string Account(const std::string& user, const std::string& host) const {
    return Literal(user) + "@" + Literal(host);
  }

  // The temporary account the dump is replayed as, granted only on the new database; its
  // option file (user, password) in the scratch folder. Errors: the connecting account
  // cannot create it.
  Result<ReplayAccount> MakeReplayAccount(bool tables_only) const {
    auto host = Sql("SELECT SUBSTRING_INDEX(USER(), '@', -1)");
    if (!host.ok()) return host.status();
    if (host.value().empty()) return Status::Error("the server did not say this client's host");
    auto account = NewReplayAccount(host.value()[0].at(0), ctx.clock.WallNow());
    if (!account.ok()) return account.status();
    const ReplayAccount& a = account.value();
    const std::string grant = "GRANT " + ReplayPrivileges(tables_only) + " ON " +
                              GrantIdent(names.fresh) + ".* TO " + Account(a.user, a.host) + ";\n";
    // By its hash: the password never reaches the binary or general log (breakSS SS8). A
    // server that refuses a hash (MySQL 8 has no such syntax; a password-validation plugin in
    // strict mode) is sent the password, as CREATE USER must then be.
    Status made = ExecFile("CREATE USER " + Account(a.user, a.host) + " IDENTIFIED BY PASSWORD " +
                           Literal(NativePasswordHash(a.password)) + ";\n" + grant);
    if (!made.ok()) {
      (void)DropReplayAccount(a);
      made = ExecFile("CREATE USER " + Account(a.user, a.host) + " IDENTIFIED BY " +
                      Literal(a.password) + ";\n" + grant);
    }
    if (!made.ok()) {
      (void)DropReplayAccount(a);  // made, then the grant refused
      return Status::Error(
          "the connecting account cannot make the temporary account the dump is replayed as "
          "(" +
          made.message() + "): it needs CREATE USER and, WITH GRANT OPTION, " +
          ReplayPrivileges(tables_only) +
          " on the new database; grant them, or set replay_account: own (the dump then runs "
          "with the connecting account's reach, checked by the scan only)");
    }
    std::string cnf = scratch + "/replay.cnf";
    std::filesystem::remove(cnf);
    Status written =
        WriteNewFile(cnf, "[client]\npassword=" + MysqlOptionValue(a.password) + "\n", 0600);
    if (!written.ok()) {
      (void)DropReplayAccount(a);
      return written;
    }
    return account;
  }

  Status DropReplayAccount(const ReplayAccount& a) const {
    EndSessions("user = " + Literal(a.user));
    return Exec("DROP USER IF EXISTS " + Account(a.user, a.host));
  }

  // Ends the replay accounts' sessions that match `where` (a processlist condition): a
  // session keeps its privileges after DROP USER, and its statement runs on after its client
  // died (breakSS SS9). Best effort: an account without PROCESS sees only its own sessions.
  void EndSessions(const std::string& where) const {
    auto rows =
        Sql("SELECT id FROM information_schema.processlist WHERE user LIKE "
            "'rb\\_restore\\_%' AND " +
            where);
    if (!rows.ok()) return;
    for (const auto& r : rows.value())
      if (!r.empty() && Exec("KILL CONNECTION " + r[0]).ok())
        ctx.log("ended session " + r[0] + " of a replay account");
  }

  // The dump at `sql_path` replayed into the new database by `account` (its own option file;
  // the connection otherwise the target's).
  ProcessResult Replay(const ReplayAccount& account, const std::string& sql_path) const {
    MyRestore as = *this;
    as.options = scratch + "/replay.cnf";
    as.target.user = account.user;
    return as.Client({"--database=" + names.fresh}, sql_path);
  }

  // Replay accounts a killed restore left, over an hour old (their names carry their time).
  void DropStaleReplayAccounts() const {
    auto rows = Sql("SELECT user, host FROM mysql.user WHERE user LIKE 'rb\\_restore\\_%'");
    if (!rows.ok()) return;  // not readable by this account: left for one that can
    for (const auto& r : rows.value())
      if (r.size() == 2 && IsStaleReplayAccount(r[0], ctx.clock.WallNow()) &&
          (EndSessions("user = " + Literal(r[0])), true) &&
          Exec("DROP USER IF EXISTS " + Account(r[0], r[1])).ok())
        ctx.log("dropped account " + r[0] + ", left by a killed restore");
  }

  // Other sessions using the live database (the backend still running).
  Result<int64_t> SessionsOnLive() const {
    auto rows =
        Sql(With("SELECT count(*) FROM information_schema.processlist WHERE db = {db} "
                 "AND id <> CONNECTION_ID()",
                 target.db));
    if (!rows.ok()) return rows.status();
    return rows.value().empty() ? 0 : std::stoll(rows.value()[0].at(0));
  }

  // What RENAME TABLE cannot move out of `db`: "view v", "trigger t", ...
  Result<std::vector<std::string>> Unmovable(const std::string& db) const {
    auto rows = Sql(With(kObjectsRenameCannotMove, db));
    if (!rows.ok()) return rows.status();
    std::vector<std::string> out;
    for (const auto& r : rows.value()) out.push_back(r.at(0) + " " + r.at(1));
    return out;
  }

  void DropOrphans() const {
    DropStaleReplayAccounts();
    auto rows = Sql("SELECT schema_name, schema_comment FROM information_schema.schemata");
    if (!rows.ok()) return;
    for (const auto& r : rows.value())
      if (r.size() == 2 && RunbookNameMade(r[0]) && IsOrphanMarker(r[1])) {  // break18 R3
        EndSessions("db = " + Literal(r[0]));  // the killed restore's replay, still running
        if (Exec("DROP DATABASE " + Ident(r[0])).ok())
          ctx.log("dropped database " + r[0] + ", left by a killed restore");
      }
  }

  // The live database's character set and collation; none when it does not exist.
  Result<std::optional<std::string>> LiveCharset() const {
    auto rows =
        Sql(With("SELECT default_character_set_name, default_collation_name FROM "
                 "information_schema.schemata WHERE schema_name = {db}",
                 target.db));
    if (!rows.ok()) return rows.status();
    if (rows.value().empty()) return std::optional<std::string>();
    const auto& r = rows.value()[0];
    return std::optional<std::string>(" CHARACTER SET " + r.at(0) + " COLLATE " + r.at(1));
  }

  // The base tables of `db`; with `and_sequences` its sequences too (RENAME TABLE moves both:
  // breakSS SS10, a switch by rename dropped the dump's sequences and left the live ones).
  // What the replay made that keeps files outside the data folder (mysql_replayed_objects.h):
  // one problem per table; an error when the server cannot be asked.
  Status JudgeDirectories(std::vector<std::string>& problems) const {
    auto tables = Sql(With(kTableOptionsQuery, names.fresh));
    if (!tables.ok()) return tables.status();
    for (const auto& row : tables.value()) {
      if (row.size() < 2) continue;
      std::string text = row[1];
      if (PartitionedOptions(text)) {
        auto create = Sql("SHOW CREATE TABLE " + Ident(names.fresh) + "." + Ident(row[0]));
        if (!create.ok()) return create.status();
        for (const auto& r : create.value()) text += " " + (r.size() > 1 ? r[1] : "");
      }
      if (std::string problem = TableDirectoryProblem(row[0], text); !problem.empty())
        problems.push_back(problem);
    }
    return Status::Ok();
  }

  Result<std::vector<std::string>> Tables(const std::string& db, bool and_sequences = false) const {
    auto rows = Sql(With(std::string("SELECT table_name FROM information_schema.tables WHERE "
                                     "table_schema = {db} AND table_type IN ('BASE TABLE'") +
                             (and_sequences ? ", 'SEQUENCE'" : "") + ") ORDER BY 1",
                         db));
    if (!rows.ok()) return rows.status();
    std::vector<std::string> out;
    for (const auto& r : rows.value()) out.push_back(r.at(0));
    return out;
  }

  // The dump decompressed (bounded), restored into the new database, checked, counted.
  Status RestoreAndVerify(const CheckedSource& source, bool tables_only,
                          std::vector<std::string>& problems) const {
    const LoadedMeta* meta = source.meta ? &*source.meta : nullptr;
    auto bound = DecompressBound(scratch, RawSizeOf(meta));
    if (!bound.ok()) return bound.status();
    std::string sql = scratch + "/dump.sql";
    auto unpacked = GunzipFile(source.path, sql, false, StopFor(ctx), bound.value());
    if (!unpacked.ok()) return unpacked.status();
    if (meta && meta->fields.count("raw_sha256") &&
        meta->fields.at("raw_sha256").ToText() != unpacked.value().out_sha256) {
      problems.push_back("raw sha256 mismatch: expected " + meta->fields.at("raw_sha256").ToText() +
                         " (metadata), actual " + unpacked.value().out_sha256);
      return Status::Ok();
    }
    // Nothing of the dump may reach beyond the new database (breakOO OO1-OO3): looked at
    // before the client replays it on the live server.
    std::vector<std::string> beyond =
        DumpReachesBeyond(sql, {{SourceDatabaseOf(source), target.db}, tables_only});
    if (!beyond.empty()) {
      std::filesystem::remove(sql);
      problems.push_back("the dump cannot be replayed here: " + Join(beyond, "; "));
      return Status::Ok();
    }
    // Replayed as an account that can reach nothing but the new database (breakQQ): what the
    // scan cannot see, the server refuses.
    std::optional<ReplayAccount> account;
    if (ctx.params.Str("replay_account") != "own") {
      auto made = MakeReplayAccount(tables_only);
      if (!made.ok()) {
        std::filesystem::remove(sql);
        problems.push_back(made.status().message());
        return Status::Ok();
      }
      account = made.value();
    }
    ProcessResult restored =
        account ? Replay(*account, sql) : Client({"--database=" + names.fresh}, sql);
    std::filesystem::remove(sql);
    // What the replay made besides tables, judged while the account is known (breakSS SS4,
    // SS6); nothing to look at when the switch moves tables only.
    const size_t judged_before = problems.size();
    if (restored.exited_ok()) {
      if (Status s = JudgeDirectories(problems); !s.ok()) return s;
    }
    if (restored.exited_ok() && !tables_only) {
      auto objects = Sql(With(kReplayedObjectsQuery, names.fresh));
      if (!objects.ok()) return objects.status();
      std::optional<std::string> definer;
      if (account) definer = account->user + "@" + account->host;
      for (std::string& problem : ReplayedObjectProblems(objects.value(), definer))
        problems.push_back(std::move(problem));
    }
    if (account) {
      if (Status dropped = DropReplayAccount(*account); !dropped.ok())
        ctx.log("warning: could not drop account " + account->user +
                " (dropped by a later "
                "restore once over an hour old): " +
                dropped.message());
    }
    if (auto stopped = StopFor(ctx); stopped()) return Status::Error(kStoppedMessage);
    if (problems.size() > judged_before) return Status::Ok();
    if (!restored.exited_ok()) {
      std::string line = LastLines(restored.err.text, 1);
      if (line.size() > 300) line = line.substr(0, 300) + "...";
      // Access / command denied; 1419: a trigger or routine with binary logging on
      // (breakSS SS5): both for the account the dump is replayed as.
      if (account && (line.find(" denied") != std::string::npos ||
                      line.find("SUPER privilege") != std::string::npos))
        line += " (the dump is replayed as an account that can reach only " + names.fresh +
                ": the statement reaches beyond it, or creates a view, trigger or routine "
                "defined by another account; replay_account: own replays it as the connecting "
                "account)";
      problems.push_back("restore: " + restored.Describe() + ": " + line);
      return Status::Ok();
    }
    std::vector<std::string> check = {
        MysqlProgram({"mariadb-check", "mysqlcheck"}, bin_dir, ctx.env)};
    if (!options.empty()) check.push_back("--defaults-extra-file=" + options);
    target.AppendConnection(check);
    for (const char* o : {"--check", "--extended", "--"}) check.push_back(o);
    check.push_back(names.fresh);
    ProcessRequest req;
    req.argv = check;
    req.env = ctx.env;
    req.deadline = ctx.deadline;
    req.grace = ctx.kill_grace;
    ProcessResult checked = ctx.processes.Run(req, ctx.cancel);
    for (std::string& problem : CheckOutputProblems(checked.out.text))
      problems.push_back(std::move(problem));
    if (!checked.exited_ok() && problems.empty())
      problems.push_back("mariadb-check: " + checked.Describe() + ": " +
                         LastLines(checked.err.text, 1));
    return Count(meta, problems);
  }

  // Each base table of `db` and its rows.
  Result<Value::Map> RowsOf(const std::string& db) const {
    auto tables = Tables(db);
    if (!tables.ok()) return tables.status();
    Value::Map rows;
    for (const std::string& name : tables.value()) {
      auto n = Sql("SELECT COUNT(*) FROM " + Ident(db) + "." + Ident(name));
      if (!n.ok()) return n.status();
      std::string text = n.value().empty() ? "" : n.value()[0].at(0);
      int64_t count = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), count);
      if (ec != std::errc() || end != text.data() + text.size())
        return Status::Error("counting rows of " + name + ": the server said '" + text + "'");
      rows[name] = Value(count);
    }
    return rows;
  }

  Status Count(const LoadedMeta* meta, std::vector<std::string>& problems) const {
    auto counted = RowsOf(names.fresh);
    if (!counted.ok()) return counted.status();
    const Value::Map& rows = counted.value();
    std::optional<LoadedMeta> m = meta ? std::optional<LoadedMeta>(*meta) : std::nullopt;
    ctx.log(JudgeRestored(names.fresh, m, rows, problems));
    return Status::Ok();
  }

  // The switch: the kept database made, then one RENAME TABLE statement (atomic) moves every
  // live table into it and every restored table into the live database; the restored
  // database, now empty, goes.
  Status SwitchByRename(const std::optional<std::string>& charset,
                        const std::string& sha256) const {
    auto fresh_tables = Tables(names.fresh, true);
    if (!fresh_tables.ok()) return fresh_tables.status();
    std::vector<std::string> pairs;
    if (charset) {
      auto live_tables = Tables(target.db, true);
      if (!live_tables.ok()) return live_tables.status();
      Status made =
          Exec("CREATE DATABASE " + Ident(names.kept) + *charset + " COMMENT " +
               Literal("runbook: kept by a restore at " + FormatUtc(ctx.clock.WallNow())));
      if (!made.ok()) return made;
      for (const std::string& t : live_tables.value())
        pairs.push_back(Ident(target.db) + "." + Ident(t) + " TO " + Ident(names.kept) + "." +
                        Ident(t));
    } else {
      Status made = Exec("CREATE DATABASE " + Ident(target.db) + " CHARACTER SET utf8mb4");
      if (!made.ok()) return made;
    }
    for (const std::string& t : fresh_tables.value())
      pairs.push_back(Ident(names.fresh) + "." + Ident(t) + " TO " + Ident(target.db) + "." +
                      Ident(t));
    if (!pairs.empty()) {
      Status moved = Exec("SET SESSION lock_wait_timeout = 10; RENAME TABLE " + Join(pairs, ", "));
      if (!moved.ok()) {
        if (charset) (void)Exec("DROP DATABASE IF EXISTS " + Ident(names.kept));
        return moved;
      }
    }
    (void)Exec("ALTER DATABASE " + Ident(target.db) + " COMMENT " +
               Literal(RestoredMarker(sha256, ctx.run_id)));
    // Switched: what is left to do is tidying; a failure here is no refused restore (breakSS
    // SS3: "shop untouched" was said of a live database just switched).
    if (Status dropped = Exec("DROP DATABASE " + Ident(names.fresh)); !dropped.ok())
      ctx.log("warning: switched, but the emptied " + names.fresh +
              " could not be dropped: " + dropped.message());
    return Status::Ok();
  }

  // Whether the live database holds this very dump: its comment says this run (or one it
  // resumes) restored it (breakQQ QQ8), and its tables and rows are still the manifest's
  // (breakOO OO4: a comment alone made a restore after new data loss do nothing).
  bool LiveHolds(const CheckedSource& source) const {
    auto rows =
        Sql(With("SELECT schema_comment FROM information_schema.schemata WHERE "
                 "schema_name = {db}",
                 target.db));
    if (!rows.ok() || rows.value().empty() ||
        !RestoredByThisRun(rows.value()[0].at(0), source.sha256, ctx.run_id, ctx.continues))
      return false;
    auto live_rows = RowsOf(target.db);
    return live_rows.ok() && source.meta && AgainstManifest(source.meta, live_rows.value()).empty();
  }

  std::string Url(const std::string& db) const {
    MysqlTarget t = target;
    t.db = db;
    std::string user = t.user.empty() ? "" : t.user + "@";
    return t.socket.empty() ? "mysql://" + user + t.host + ":" +
                                  std::to_string(t.port ? t.port : 3306) + "/" + db
                            : "mysql://" + user + "localhost/" + db + "?socket=" + t.socket;
  }
};

AttemptResult Refused(const std::string& live, const std::string& why) {
  return AttemptResult::Failure("restore into database " + live + " refused, " + live +
                                " untouched: " + why);
}

// The scratch folder beside `workspace` (0700, removed after) and the client's option file in
// it (the password, never on a command line).
Result<std::string> MakeScratch(const StepContext& ctx, std::string& options) {
  std::error_code ec;
  std::string workspace =
      std::filesystem::absolute(ctx.params.Str("workspace"), ec).lexically_normal().string();
  auto made = MakeFolders(DirName(workspace));
  if (!made.ok()) return made.status();
  NoteCreated(made.value(), ctx.log);
  std::string tmpl = workspace + ".restore-XXXXXX";
  SweepScratchFolders(workspace, ".restore-", ctx.log);  // of restores killed on this host
  if (::mkdtemp(tmpl.data()) == nullptr) return Status::FromErrno("cannot make " + tmpl, errno);
  if (Status marked = MarkScratchFolder(tmpl, ctx.run_id); !marked.ok()) {
    std::filesystem::remove_all(tmpl, ec);
    return marked;
  }
  if (const Value* pw = ctx.params.Opt("password")) {
    for (char c : pw->ToText())
      if (static_cast<unsigned char>(c) < 0x20)
        return Status::Error(
            "password: holds a control character (a newline, a tab), which "
            "MariaDB's option files cannot carry");
    options = tmpl + "/client.cnf";
    Status s =
        WriteNewFile(options, "[client]\npassword=" + MysqlOptionValue(pw->ToText()) + "\n", 0600);
    if (!s.ok()) return s;
  }
  return tmpl;
}

struct RemoveAll {
  std::string dir;
  ~RemoveAll() {
    std::error_code ec;
    if (!dir.empty()) std::filesystem::remove_all(dir, ec);
  }
};

AttemptResult RestoreWith(MyRestore& my, const CheckedSource& source) {
  StepContext& ctx = my.ctx;
  const std::string& live = my.target.db;
  auto names = FreeNames(
      live, ctx.clock.WallNow(), kMaxIdentifier, [&](const std::string& name) -> Result<bool> {
        auto n =
            my.Sql(With("SELECT count(*) FROM information_schema.schemata "
                        "WHERE schema_name = {db}",
                        name));
        if (!n.ok()) return n.status();
        return !n.value().empty() && !n.value()[0].empty() && n.value()[0][0] != "0";
      });
  if (!names.ok()) return Refused(live, names.status().message());
  my.names = names.value();
  bool by_rename = ctx.params.Str("switch") == "rename";
  const std::string final_db = by_rename ? live : my.names.fresh;
  if (std::string why = EnvValuesProblem(ctx.params, my.Url(final_db), final_db); !why.empty())
    return Refused(live, why);
  if (by_rename && my.LiveHolds(source)) {
    my.DropOrphans();  // a killed run's emptied database (breakOO OO15)
    ctx.log(live +
            " already holds this dump (restored before, or a restore stopped after its "
            "switch): nothing replaced");
    auto env = WriteServerEnvFile(ctx.params, my.Url(live), live);
    if (!env.ok()) return AttemptResult::Failure("writing env_file: " + env.status().message());
    return ServerRestored(my.target.Source(), live, "", source, env.value());
  }
  if (by_rename) {
    auto sessions = my.SessionsOnLive();
    if (!sessions.ok()) return Refused(live, sessions.status().message());
    if (sessions.value() > 0)
      return Refused(live, "it is in use (" + CountOf(sessions.value(), "other session") +
                               "): stop what uses it first (an exec or service step before "
                               "this one), or use switch: env");
    auto unmovable = my.Unmovable(live);
    if (!unmovable.ok()) return Refused(live, unmovable.status().message());
    if (!unmovable.value().empty())
      return Refused(live, "it holds " + Join(unmovable.value(), ", ") +
                               ", which RENAME TABLE cannot move to another database (MariaDB "
                               "and MySQL have no RENAME DATABASE): use switch: env");
  }
  my.DropOrphans();
  auto charset = my.LiveCharset();
  if (!charset.ok()) return Refused(live, charset.status().message());
  Status s = my.Exec("CREATE DATABASE " + Ident(my.names.fresh) +
                     charset.value().value_or(" CHARACTER SET utf8mb4") + " COMMENT " +
                     Literal(InProgressMarker(ctx.run_id)));
  if (!s.ok()) return Refused(live, "creating " + my.names.fresh + ": " + s.message());
  std::vector<std::string> problems;
  s = my.RestoreAndVerify(source, by_rename, problems);
  if (s.ok() && problems.empty() && by_rename) {
    auto unmovable = my.Unmovable(my.names.fresh);
    s = unmovable.status();
    if (s.ok() && !unmovable.value().empty())
      problems.push_back("the dump holds " + Join(unmovable.value(), ", ") +
                         ", which RENAME TABLE cannot move: use switch: env");
  }
  if (s.ok() && problems.empty())
    s = by_rename ? my.SwitchByRename(charset.value(), source.sha256)
                  : my.Exec("ALTER DATABASE " + Ident(my.names.fresh) + " COMMENT " +
                            Literal(RestoredMarker(source.sha256, ctx.run_id)));
  if (!s.ok() || !problems.empty()) {
    Status dropped = my.Exec("DROP DATABASE IF EXISTS " + Ident(my.names.fresh));
    if (!dropped.ok())
      ctx.log("warning: could not drop " + my.names.fresh + ": " + dropped.message());
    if (auto stopped = StoppedResult(ctx)) return *stopped;
    std::string why =
        (s.ok() ? problems.front() : s.message()) + "; " + my.names.fresh + " dropped";
    // "untouched" only when it is still there (breakQQ QQ1: a statement the scan missed
    // dropped it, and the step said it was untouched).
    auto still = my.LiveCharset();
    if (charset.value() && still.ok() && !still.value())
      return AttemptResult::Failure("restore into database " + live + " failed, and " + live +
                                    " NO LONGER EXISTS (dropped while the restore ran): " + why);
    return Refused(live, why);
  }
  std::string now_live = by_rename ? live : my.names.fresh;
  std::string previous = by_rename ? (charset.value() ? my.names.kept : "") : live;
  ctx.log(by_rename
              ? "switched: " + live + " holds the restored tables" +
                    (previous.empty() ? "" : "; the ones they replaced are kept in " + previous)
              : "restored as " + now_live + "; " + live +
                    " is unchanged: the env file points the backend at the new one");
  auto env = WriteServerEnvFile(ctx.params, my.Url(now_live), now_live);
  if (!env.ok())
    return AttemptResult::Failure("restored " + now_live +
                                  ", but writing env_file failed: " + env.status().message());
  return ServerRestored(my.target.Source(), now_live, previous, source, env.value());
}

}  // namespace

AttemptResult MysqlRestore(StepContext& ctx) {
  const StepParams& p = ctx.params;
  auto target = ParseMysqlTarget(p.Str("database"));
  if (!target.ok()) return AttemptResult::Failure(target.status().message());
  CheckedSource source;
  if (std::string why = CheckServerSource(ctx, source); !why.empty())
    return Refused(target.value().db, why);
  if (std::string why = SourceMismatch(source, target.value().db, p); !why.empty())
    return Refused(target.value().db, why);
  ctx.log(source.verified_by.empty()
              ? "restoring an unverified dump (force: true)"
              : "dump verified by step '" + source.verified_by + "'" +
                    (source.authenticated ? "; its metadata's signature is valid" : ""));
  std::string options;
  auto scratch = MakeScratch(ctx, options);
  if (!scratch.ok()) return Refused(target.value().db, scratch.status().message());
  RemoveAll cleanup{scratch.value()};
  const Value* bin = p.Opt("bin_dir");
  MyRestore my{
      ctx,     target.value(),  bin ? bin->ToText() : std::string(),
      options, scratch.value(), NamesFor(target.value().db, ctx.clock.WallNow(), kMaxIdentifier)};
  return RestoreWith(my, source);
}

}  // namespace runbook
