#include "steps/common/mysql_check.h"

#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <filesystem>
#include <sstream>
#include <thread>

#include "engine/util/crypto.h"
#include "engine/util/strings.h"
#include "steps/common/backup_meta.h"
#include "steps/common/files.h"
#include "steps/common/gzip.h"
#include "steps/common/mysql_replay_account.h"
#include "steps/common/server_check.h"
#include "steps/common/server_scratch.h"
#include "steps/common/stop.h"

namespace runbook {
namespace {

constexpr const char* kScratchDb = "runbook_check";
constexpr size_t kMaxSocketPath = 100;  // sun_path is 108 bytes

// A client's error line, at most 300 bytes (it may quote a statement of the dump).
std::string Cut(std::string line) {
  if (line.size() > 300) line = line.substr(0, 300) + "...";
  return line;
}

std::string Backquoted(const std::string& name) {
  std::string out = "`";
  for (char c : name) out += c == '`' ? std::string("``") : std::string(1, c);
  return out + "`";
}

// The scratch server: its folder, its process, and the clients that talk to it.
class Scratch {
 public:
  Scratch(StepContext& ctx, std::string dir, std::string bin_dir)
      : ctx_(ctx), dir_(std::move(dir)), bin_dir_(std::move(bin_dir)) {}
  ~Scratch() {
    if (server_) server_->Stop(std::chrono::seconds(20));
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::string sock() const { return dir_ + "/sock"; }

  // Runs a client program; its lines are shown live unless `quiet` (the installer's advice).
  ProcessResult Run(std::vector<std::string> argv, bool quiet = false,
                    const std::string& stdin_path = "") {
    ProcessRequest req;
    req.argv = std::move(argv);
    req.stdin_path = stdin_path;
    req.env = ctx_.env;
    req.deadline = ctx_.deadline;
    req.grace = ctx_.kill_grace;
    if (!quiet) req.on_line = [this](bool, std::string_view line) { ctx_.output(line); };
    return ctx_.processes.Run(req, ctx_.cancel);
  }

  // The server's first "[ERROR]" line but its closing "Aborting" (the cause: a full disk, a
  // lock), or the bootstrap's first "ERROR: <code>" line (a failed system-table statement),
  // else the last line of `text` (a full run saw only "[ERROR] Aborting").
  static std::string FirstError(const std::string& text) {
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
      bool server =
          line.find("[ERROR]") != std::string::npos && line.find("Aborting") == std::string::npos;
      if (server || line.rfind("ERROR: ", 0) == 0) return line;
    }
    return LastLines(text, 1);
  }

  // Makes the data folder and starts the server on a socket, no network; returns once it
  // answers. Its grant tables are on: mariadb-install-db gives this process's OS user an
  // all-privilege account by socket authentication, which the client uses. Without them
  // (--skip-grant-tables) the server's event scheduler is disabled and any dump with an
  // event failed its check ("ERROR 1577: Cannot proceed, because event scheduler is
  // disabled"); its default, OFF, makes events without running one.
  Status Start() {
    bool root = ::geteuid() == 0;
    // Its own temporary folder: a starting mariadbd deletes every "#sql*" file in its tmpdir
    // (Debian's default /tmp), the temporary tables of any other server using that folder:
    // a live one on this host, or another check's bootstrap (a CI run failed with "Unknown
    // table 'mysql.tmp_user_sys'" when two started at once).
    std::string tmp = "--tmpdir=" + dir_ + "/tmp";
    ::mkdir((dir_ + "/tmp").c_str(), 0700);
    std::vector<std::string> install = {
        MysqlProgram({"mariadb-install-db", "mysql_install_db"}, bin_dir_, ctx_.env),
        "--no-defaults",
        "--datadir=" + dir_ + "/data",
        tmp,
        "--skip-test-db",
        "--auth-root-authentication-method=socket"};
    if (root) install.push_back("--user=root");
    ProcessResult made = Run(install, true);
    if (!made.exited_ok())
      return Status::Error("mariadb-install-db: " + made.Describe() + ": " +
                           FirstError(made.err.text + made.out.text));
    BackgroundRequest req;
    req.argv = {MysqlProgram({"mariadbd", "mysqld"}, bin_dir_, ctx_.env), "--no-defaults",
                "--datadir=" + dir_ + "/data", tmp, "--socket=" + sock(), "--skip-networking",
                "--event-scheduler=OFF", "--pid-file=" + dir_ + "/server.pid",
                "--log-error=" + dir_ + "/error.log", "--innodb-buffer-pool-size=64M",
                // A dump is data to check, not code to trust (breakKK KK1: SELECT ... INTO
                // OUTFILE wrote anywhere): files only in the server's own empty folder.
                "--secure-file-priv=" + dir_ + "/files", "--max-allowed-packet=1G",
                // Nor tables' files elsewhere: DATA/INDEX DIRECTORY on a table or partition
                // is ignored (InnoDB, MyISAM, Aria alike; the server warns 1618).
                "--skip-symbolic-links",
                // Nor plugins: FEDERATED reached the live server and server_audit wrote files
                // anywhere, loaded by the dump (break18 R2). Built-in engines only.
                "--plugin-dir=" + dir_ + "/plugins", "--local-infile=0"};
    ::mkdir((dir_ + "/files").c_str(), 0700);
    ::mkdir((dir_ + "/plugins").c_str(), 0700);
    if (root) req.argv.push_back("--user=root");
    req.env = ctx_.env;
    req.log_path = dir_ + "/server.out";
    std::string error;
    server_ = ctx_.processes.Start(req, error);
    if (!server_) return Status::Error("cannot start the scratch server: " + error);
    return WaitReady();
  }

  // Runs `sql` in the scratch database; stdout (tab-separated, no headers).
  Result<std::string> Sql(const std::string& sql, const std::string& db = kScratchDb) {
    return Client({"--database=" + db, "-e", sql}, "", false);
  }

  // From here on the dump and everything after it run as `rb_check`, granted the scratch
  // database and SET USER (a dump's DEFINER clauses) only; every other account (root, mysql,
  // the definers a dump names) keeps only the scratch database, so neither the dump nor an
  // object it defines for another account can SET GLOBAL, load a plugin or read the grant
  // tables (break18 R2: as root it rewrote general_log_file to write files anywhere). As the
  // restore's replay account is (mysql_replay_account.h).
  Status LockDown() {
    auto account = NewReplayAccount("localhost", ctx_.clock.WallNow());
    if (!account.ok()) return account.status();
    std::string me = "'rb_check'@'localhost'";
    std::string db = std::string("`") + kScratchDb + "`.*";
    auto others =
        Sql("SELECT CONCAT(QUOTE(User), '@', QUOTE(Host)) FROM mysql.global_priv WHERE User <> "
            "'rb_check'",
            "mysql");
    if (!others.ok()) return others.status();
    std::string sql = "CREATE USER " + me + " IDENTIFIED BY PASSWORD '" +
                      NativePasswordHash(account.value().password) + "'; GRANT ALL ON " + db +
                      " TO " + me + "; GRANT SET USER ON *.* TO " + me + ";";
    std::istringstream names(others.value());
    for (std::string who; std::getline(names, who);)
      if (!who.empty())
        sql += " REVOKE ALL PRIVILEGES, GRANT OPTION FROM " + who + "; GRANT ALL ON " + db +
               " TO " + who + ";";
    auto done = Sql(sql, "mysql");
    if (!done.ok()) return done.status();
    // The client's account in a 0600 file of the scratch folder, read instead of any other.
    std::string cnf = "[client]\nuser=rb_check\npassword=" + account.value().password + "\n";
    if (Status written = WriteFileAtomic(dir_ + "/client.cnf", cnf, 0600); !written.ok())
      return written;
    defaults_ = "--defaults-file=" + dir_ + "/client.cnf";
    return Status::Ok();
  }

  // The client's first argument: its option file once LockDown made one, else none.
  const std::string& Defaults() const { return defaults_; }

  // Restores the SQL file `path` into the scratch database, as its stdin: the client in
  // batch mode stops at the first error (breakKK KK4: a dump that did not restore was "ok").
  Status Restore(const std::string& path) {
    return Client({std::string("--database=") + kScratchDb}, path, true).status();
  }

 private:
  // The client, sandboxed (no `\!` or `system`, no file commands: breakKK KK1), taking rows
  // as long as the server does. Its lines are shown unless `quiet` (an echoed statement is
  // the dump's data); an error says the client's last line, cut.
  Result<std::string> Client(std::vector<std::string> args, const std::string& stdin_path,
                             bool quiet) {
    std::vector<std::string> argv = {MysqlProgram({"mariadb", "mysql"}, bin_dir_, ctx_.env),
                                     defaults_,
                                     "--socket=" + sock(),
                                     "--batch",
                                     "--skip-column-names",
                                     "--sandbox",
                                     "--max-allowed-packet=1G"};
    argv.insert(argv.end(), args.begin(), args.end());
    ProcessResult r = Run(argv, quiet, stdin_path);
    if (!r.exited_ok())
      return Status::Error("mariadb: " + r.Describe() + ": " + Cut(LastLines(r.err.text, 1)));
    return r.out.text;
  }

 public:
  std::string Log() const {
    auto text = ReadWholeFile(dir_ + "/error.log");
    return text.ok() ? LastLines(text.value(), 1) : std::string();
  }

 private:
  Status WaitReady() {
    StopCheck stop = StopFor(ctx_);
    for (int i = 0; i < 600; ++i) {  // 60 s: InnoDB makes its files on first start
      if (auto ended = server_->Exited())
        return Status::Error("the scratch server ended (" + *ended + "): " + Log());
      std::error_code ec;
      if (std::filesystem::exists(sock(), ec) && Sql("SELECT 1", "mysql").ok()) return Status::Ok();
      if (stop()) return Status::Error(kStoppedMessage);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return Status::Error("the scratch server did not answer within 60 s: " + Log());
  }

  StepContext& ctx_;
  std::string dir_, bin_dir_;
  std::string defaults_ = "--no-defaults";
  std::unique_ptr<BackgroundProcess> server_;
};

// Restores the dump (decompressed into the scratch folder, bounded by its metadata's raw_size
// and the free space), checks every table, counts the rows. Problems found go to `problems`;
// an error is returned only for what stops the check itself.
Status CheckInScratch(StepContext& ctx, Scratch& s, const std::string& source,
                      const std::string& dir, const LoadedMeta* meta, Value::Map& rows,
                      std::vector<std::string>& problems) {
  if (Status started = s.Start(); !started.ok()) return started;
  auto created = s.Sql(std::string("CREATE DATABASE ") + kScratchDb, "mysql");
  if (!created.ok()) return created.status();
  if (Status locked = s.LockDown(); !locked.ok()) return locked;
  auto bound = DecompressBound(dir, RawSizeOf(meta));
  if (!bound.ok()) return bound.status();
  std::string sql = dir + "/dump.sql";
  auto unpacked = GunzipFile(source, sql, false, StopFor(ctx), bound.value());
  if (!unpacked.ok()) {
    problems.push_back(unpacked.status().message());
    return Status::Ok();
  }
  if (meta && meta->fields.count("raw_sha256") &&
      meta->fields.at("raw_sha256").ToText() != unpacked.value().out_sha256)
    problems.push_back("raw sha256 mismatch: expected " + meta->fields.at("raw_sha256").ToText() +
                       " (metadata), actual " + unpacked.value().out_sha256);
  Status restored = s.Restore(sql);
  std::filesystem::remove(sql);
  if (!restored.ok()) {
    problems.push_back("restore: " + restored.message());
    return Status::Ok();
  }
  ProcessResult checked =
      s.Run({MysqlProgram({"mariadb-check", "mysqlcheck"}, "", ctx.env), s.Defaults(),
             "--socket=" + s.sock(), "--check", "--extended", kScratchDb});
  for (std::string& problem : CheckOutputProblems(checked.out.text))
    problems.push_back(std::move(problem));
  if (!checked.exited_ok() && problems.empty())
    problems.push_back("mariadb-check: " + checked.Describe() + ": " +
                       LastLines(checked.err.text, 1));
  auto tables = s.Sql(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND "
      "table_type = 'BASE TABLE' ORDER BY 1");
  if (!tables.ok()) return tables.status();
  std::istringstream names(tables.value());
  for (std::string name; std::getline(names, name);) {
    auto n = s.Sql("SELECT COUNT(*) FROM " + Backquoted(name));
    if (!n.ok()) return n.status();
    std::string text = LastLines(n.value(), 1);
    int64_t count = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), count);
    if (ec != std::errc() || end != text.data() + text.size())
      return Status::Error("counting rows of " + name + ": the server said '" + text + "'");
    rows[name] = Value(count);
  }
  return Status::Ok();
}

}  // namespace

std::string MysqlProgram(std::initializer_list<const char*> names, const std::string& bin_dir,
                         const EnvMap& env) {
  auto path = env.find("PATH");
  std::string dirs =
      bin_dir.empty() ? (path == env.end() ? std::string() : path->second) + ":/usr/sbin:/usr/bin"
                      : bin_dir;
  for (const char* name : names) {
    std::istringstream in(dirs);
    for (std::string dir; std::getline(in, dir, ':');)
      if (!dir.empty() && access((dir + "/" + name).c_str(), X_OK) == 0) return dir + "/" + name;
  }
  return *names.begin();  // the runner reports it missing
}

AttemptResult MysqlIntegrityCheck(StepContext& ctx) {
  const StepParams& p = ctx.params;
  std::string source = p.Str("source"), sha256;
  std::optional<LoadedMeta> meta;
  if (std::string why = FirstLook(ctx, source, "decompressing", sha256, meta); !why.empty())
    return AttemptResult::Failure(why);
  // The scratch server's folder goes beside `workspace`, as the SQLite check's scratch copy.
  std::string workspace = std::filesystem::absolute(p.Str("workspace")).lexically_normal().string();
  auto made = MakeFolders(DirName(workspace));
  if (!made.ok()) return AttemptResult::Failure(made.status().message());
  NoteCreated(made.value(), ctx.log);
  std::string tmpl = workspace + ".mysql-XXXXXX";
  if (tmpl.size() + 5 > kMaxSocketPath)
    return AttemptResult::Failure("workspace " + p.Str("workspace") +
                                  ": its path is too long for the scratch server's socket "
                                  "(at most about 80 characters)");
  SweepScratchFolders(workspace, ".mysql-", ctx.log);  // of checks killed on this host
  if (::mkdtemp(tmpl.data()) == nullptr)
    return AttemptResult::Failure(Status::FromErrno("cannot make " + tmpl, errno).message());
  if (Status marked = MarkScratchFolder(tmpl, ctx.run_id); !marked.ok()) {
    std::error_code ec;
    std::filesystem::remove_all(tmpl, ec);
    return AttemptResult::Failure(marked.message());
  }
  const Value* bin = p.Opt("bin_dir");
  auto started = std::chrono::steady_clock::now();
  ScratchFindings found;
  Status s = Status::Ok();
  {
    Scratch scratch(ctx, tmpl, bin ? bin->ToText() : "");
    s = CheckInScratch(ctx, scratch, source, tmpl, meta ? &*meta : nullptr, found.rows,
                       found.problems);
  }  // the server stopped, its folder removed
  if (auto stopped = StoppedResult(ctx)) return *stopped;
  if (!s.ok()) return AttemptResult::Failure(s.message());
  found.took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  return ServerCheckResult(ctx, "mysql", source, sha256, meta, std::move(found));
}

std::vector<std::string> CheckOutputProblems(const std::string& out) {
  std::vector<std::string> problems;
  std::istringstream lines(out);
  std::string table;         // the table the next "STATUS : TEXT" lines are about
  bool unexplained = false;  // `table` said neither OK nor why
  auto flush = [&] {
    if (unexplained) problems.push_back("mariadb-check: " + table);
    unexplained = false;
  };
  for (std::string line; std::getline(lines, line) && problems.size() < 20;) {
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
    if (line.empty()) continue;
    size_t colon = line.find(" : ");
    if (colon == std::string::npos) {  // "db.table   OK", or a table its next lines explain
      flush();
      table = line;
      unexplained = line.size() < 2 || line.compare(line.size() - 2, 2, "OK") != 0;
      continue;
    }
    unexplained = false;
    std::string status = line.substr(0, colon);
    while (!status.empty() && status.back() == ' ') status.pop_back();
    bool fine = status == "note" || (status == "status" && line.size() >= 2 &&
                                     line.compare(line.size() - 2, 2, "OK") == 0);
    if (!fine) problems.push_back("mariadb-check: " + table + ": " + line);
  }
  flush();
  return problems;
}

}  // namespace runbook
