#include "steps/common/mysql_backup.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <sstream>

#include "engine/util/crypto.h"
#include "engine/util/strings.h"
#include "engine/util/time_format.h"
#include "steps/common/backup_meta.h"
#include "steps/common/dump_publish.h"
#include "steps/common/files.h"
#include "steps/common/gzip.h"
#include "steps/common/gzip_io.h"
#include "steps/common/mysql_dump_scan.h"
#include "steps/common/safe_path.h"
#include "steps/common/scratch.h"
#include "steps/common/stop.h"

namespace runbook {
namespace {

struct UrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};

std::string Part(CURLU* url, CURLUPart part) {
  char* text = nullptr;
  if (curl_url_get(url, part, &text, CURLU_URLDECODE) != CURLUE_OK || text == nullptr) return "";
  std::string out = text;
  curl_free(text);
  return out;
}

// The dump tool: mariadb-dump, else mysqldump, from `bin_dir` when given, else PATH.
std::string DumpTool(const std::string& bin_dir, const EnvMap& env) {
  auto path = env.find("PATH");
  std::string dirs = bin_dir.empty() ? (path == env.end() ? std::string() : path->second) : bin_dir;
  for (const char* tool : {"mariadb-dump", "mysqldump"}) {
    std::istringstream in(dirs);
    for (std::string dir; std::getline(in, dir, ':');)
      if (!dir.empty() && access((dir + "/" + tool).c_str(), X_OK) == 0) return dir + "/" + tool;
  }
  return bin_dir.empty() ? "mariadb-dump" : bin_dir + "/mariadb-dump";  // reported missing
}

// `events`: the database's events dumped (--events), else left out (--skip-events: a dump a
// live restore can replay, docs/backup.md).
// `text` in an anonymous memory file (memfd_create, close-on-exec, mode 0600: the client
// ignores a world-writable option file), at its start. Returns its descriptor, the caller's
// to close; opened as /proc/self/fd/N it reads from the start. Errors: memfd_create, write.
Result<int> MemoryOptionFile(const std::string& text) {
  int fd = ::memfd_create("runbook-mysql-options", MFD_CLOEXEC);
  if (fd < 0) return Status::FromErrno("memfd_create", errno);
  gzip_io::Fd owned(fd);
  if (::fchmod(fd, 0600) != 0 ||
      ::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size()))
    return Status::FromErrno("writing the option file in memory", errno);
  return owned.release();
}

std::vector<std::string> DumpArgv(const std::string& tool, const std::string& options_file,
                                  const MysqlTarget& t, bool events) {
  std::vector<std::string> argv = {tool};
  if (!options_file.empty()) argv.push_back("--defaults-extra-file=" + options_file);  // first
  for (const char* o :
       {"--single-transaction", "--quick", "--routines", "--triggers",
        events ? "--events" : "--skip-events", "--hex-blob", "--default-character-set=utf8mb4"})
    argv.push_back(o);
  t.AppendConnection(argv);
  argv.push_back("--");
  argv.push_back(t.db);
  return argv;
}

// The dump's bytes, counted and compressed as they pass.
class Sink {
 public:
  Sink(int fd, const std::string& path, int level) : gz_(fd, path, level) {}
  void Take(std::string_view bytes) {
    scan_.Feed(bytes);
    while (!bytes.empty() && status_.ok()) {
      size_t room = gz_.member_bytes() - piece_.size();
      size_t n = std::min(room, bytes.size());
      piece_.insert(piece_.end(), bytes.begin(), bytes.begin() + static_cast<long>(n));
      bytes.remove_prefix(n);
      if (piece_.size() == gz_.member_bytes()) status_ = gz_.Add(std::exchange(piece_, {}));
    }
  }
  Result<GzipResult> Finish() {
    if (status_.ok()) status_ = gz_.Add(std::exchange(piece_, {}));
    auto r = gz_.Finish();
    if (!status_.ok()) return status_;
    return r;
  }
  const MysqlDumpScan& scan() const { return scan_; }

 private:
  GzipWriter gz_;
  MysqlDumpScan scan_;
  std::vector<char> piece_;
  Status status_ = Status::Ok();
};

Value::Map RowsOf(const MysqlDumpScan& scan) {
  Value::Map rows;
  for (const auto& [table, n] : scan.rows()) rows[table] = Value(n);
  return rows;
}

Value::Map MetaFor(const std::string& path, const GzipResult& z, const MysqlDumpScan& scan,
                   const std::string& source, const std::string& created_at,
                   const std::string& instance, const std::string& run_id, bool events) {
  return {
      {"format", Value(kBackupFormat)},
      {"engine", Value("mysql")},
      {"events", Value(events)},  // whether the database's events were dumped
      {"dump_format", Value("mysqldump SQL, gzip")},
      {"file", Value(BaseName(path))},
      {"size", Value(static_cast<int64_t>(z.out_bytes))},
      {"sha256", Value(z.out_sha256)},
      {"raw_size", Value(static_cast<int64_t>(z.in_bytes))},
      {"raw_sha256", Value(z.in_sha256)},
      {"created_at", Value(created_at)},
      {"source", Value(source)},
      {"instance", Value(instance)},
      {"server_version", Value(scan.server_version())},
      {"dump_tool", Value(scan.dump_tool())},
      {"tables", Value(RowsOf(scan))},
      {"row_counts", Value("exact")},  // the rows in the dump itself
      {"engine_version", Value(RUNBOOK_VERSION)},
      {"run_id", Value(run_id)},
  };
}

}  // namespace

std::string MysqlOptionValue(const std::string& v) {
  std::string out = "\"";
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    out += c;
  }
  return out + "\"";
}

void MysqlTarget::AppendConnection(std::vector<std::string>& argv) const {
  if (!user.empty()) argv.push_back("--user=" + user);
  if (!socket.empty()) {
    argv.push_back("--protocol=SOCKET");
    argv.push_back("--socket=" + socket);
  } else {
    argv.push_back("--protocol=TCP");
    argv.push_back("--host=" + host);
    if (port) argv.push_back("--port=" + std::to_string(port));
  }
}

std::string MysqlTarget::Source() const {
  return socket.empty() ? "mysql://" + host + ":" + std::to_string(port ? port : 3306) + "/" + db
                        : "mysql://localhost/" + db + "?socket=" + socket;
}

Result<MysqlTarget> ParseMysqlTarget(const std::string& database) {
  std::unique_ptr<CURLU, UrlDeleter> url(curl_url());
  const std::string wants =
      "database must be a URL mysql://USER@HOST:PORT/DBNAME (or ?socket=PATH), not '" + database +
      "'";
  if (!url || curl_url_set(url.get(), CURLUPART_URL, database.c_str(), CURLU_NON_SUPPORT_SCHEME) !=
                  CURLUE_OK)
    return Status::Error(wants);
  std::string scheme = Part(url.get(), CURLUPART_SCHEME);
  if (scheme != "mysql" && scheme != "mariadb") return Status::Error(wants);
  if (!Part(url.get(), CURLUPART_PASSWORD).empty())
    return Status::Error(
        "database: the password goes in 'password' (a declared secret), not "
        "in the URL");
  MysqlTarget t;
  t.user = Part(url.get(), CURLUPART_USER);
  t.host = Part(url.get(), CURLUPART_HOST);
  std::string port = Part(url.get(), CURLUPART_PORT);
  t.port = port.empty() ? 0 : std::stoi(port);
  std::string path = Part(url.get(), CURLUPART_PATH);
  t.db = path.size() > 1 ? path.substr(1) : "";
  std::string query = Part(url.get(), CURLUPART_QUERY);
  if (query.rfind("socket=", 0) == 0)
    t.socket = query.substr(7);
  else if (!query.empty())
    return Status::Error("database: unknown URL option '" + query + "'");
  if (t.db.empty() || t.db.find('/') != std::string::npos) return Status::Error(wants);
  return t;
}

AttemptResult MysqlBackup(StepContext& ctx) {
  const StepParams& p = ctx.params;
  std::string dest = p.Str("dest");
  auto target = ParseMysqlTarget(p.Str("database"));
  if (!target.ok()) return AttemptResult::Failure(target.status().message());
  const Value* name = p.Opt("name");
  if (name) {
    Status named = CheckFileName("name", name->ToText());
    if (!named.ok()) return AttemptResult::Failure(named.message());
  }
  auto made = MakeFolders(dest);
  if (!made.ok()) return AttemptResult::Failure(made.status().message());
  NoteCreated(made.value(), ctx.log);
  for (const std::string& line : RecoverDumps(dest)) ctx.log(line);
  const std::string& suffix = DumpSuffix("mysql");
  Clock::Wall now = ctx.clock.WallNow();
  std::string stem = name ? name->ToText() : TimestampedStem(target.value().db, now);
  if (Status s = CheckFileName("name", stem); !s.ok()) return AttemptResult::Failure(s.message());
  std::string path = dest + "/" + (name ? stem : FreeStem(dest, stem, suffix)) + suffix;
  if (name && DumpTaken(path))
    return AttemptResult::Failure(path + " already exists; a backup never overwrites one");
  ScratchFiles temps;
  // The password, read by the tool only: an option file in memory (memfd, 0600) given to it
  // as its standard input, which mariadb-dump does not otherwise read. No file on disk: one in
  // the dump folder outlived a kill -9 there, and a sync of the folder copied it out (break18
  // R4).
  std::string options;
  std::unique_ptr<gzip_io::Fd> memory;
  if (const Value* pw = p.Opt("password")) {
    // An option file value is one line (breakKK KK10: a newline started a new option).
    for (char c : pw->ToText())
      if (static_cast<unsigned char>(c) < 0x20)
        return AttemptResult::Failure(
            "password: holds a control character (a newline, a tab), which MariaDB's option "
            "files cannot carry; nothing was dumped");
    auto option_file =
        MemoryOptionFile("[client]\npassword=" + MysqlOptionValue(pw->ToText()) + "\n");
    if (!option_file.ok()) return AttemptResult::Failure(option_file.status().message());
    memory = std::make_unique<gzip_io::Fd>(option_file.value());
    options = "/dev/stdin";
  }
  std::string tmp = temps.Add(ScratchBeside(path));
  gzip_io::Fd out(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (out.get() < 0)
    return AttemptResult::Failure(Status::FromErrno("cannot create " + tmp, errno).message());
  const Value* bin = p.Opt("bin_dir");
  Sink sink(out.get(), tmp, static_cast<int>(p.Int("level")));
  std::string created_at = FormatUtc(now);  // before the dump: at or before its snapshot
  ProcessRequest req;
  const Value* events_given = p.Opt("events");  // default true (backup.cpp)
  const bool events = events_given == nullptr || p.Bool("events");
  req.argv = DumpArgv(DumpTool(bin ? bin->ToText() : "", ctx.env), options, target.value(), events);
  req.env = ctx.env;
  if (memory) req.stdin_path = "/proc/self/fd/" + std::to_string(memory->get());
  req.deadline = ctx.deadline;
  req.grace = ctx.kill_grace;
  req.on_line = [&ctx](bool, std::string_view line) { ctx.output(line); };
  req.on_stdout_data = [&sink](std::string_view bytes) { sink.Take(bytes); };
  ProcessResult dumped = ctx.processes.Run(req, ctx.cancel);
  auto z = sink.Finish();
  if (auto stopped = StoppedResult(ctx)) return *stopped;
  if (!dumped.exited_ok())
    return AttemptResult::Failure(BaseName(req.argv[0]) + ": " + dumped.Describe() + ": " +
                                  LastLines(dumped.err.text, 1));
  if (!z.ok()) return AttemptResult::Failure(z.status().message());
  if (::fsync(out.get()) != 0 || ::close(out.release()) != 0)
    return AttemptResult::Failure(Status::FromErrno("cannot write " + tmp, errno).message());
  const Value* key = p.Opt("sign_key");
  auto meta_for = [&](const std::string& at) -> Result<Value::Map> {
    Value::Map m = MetaFor(at, z.value(), sink.scan(), target.value().Source(), created_at,
                           InstanceOf(p), ctx.run_id, events);
    Status s = key ? SignMeta(m, key->ToText()) : Status::Ok();
    if (!s.ok()) return Status::Error("sign_key: " + s.message());
    return m;
  };
  auto published = PublishDump(tmp, path, name ? std::string() : stem, suffix, meta_for, temps);
  if (!published.ok()) return AttemptResult::Failure(published.status().message());
  const Value::Map& meta = published.value();
  ctx.log("wrote " + path + " (" + std::to_string(z.value().out_bytes) + " bytes, sha256 " +
          z.value().out_sha256 + ", " +
          CountOf(static_cast<int64_t>(sink.scan().rows().size()), "table") + " counted in it)");
  return PublishedBackup(
      path, meta, RetainDumps(p, dest, {target.value().Source(), InstanceOf(p)}, path, now, ctx));
}

}  // namespace runbook
