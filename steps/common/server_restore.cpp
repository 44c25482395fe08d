#include "steps/common/server_restore.h"

#include <signal.h>

#include <cctype>
#include <cerrno>
#include <filesystem>
#include <map>
#include <regex>

#include "engine/util/crypto.h"
#include "engine/util/proc_identity.h"
#include "engine/util/strings.h"
#include "engine/util/time_format.h"
#include "steps/common/env_file.h"
#include "steps/common/files.h"
#include "steps/common/restore_trust.h"
#include "steps/common/sqlite_info.h"
#include "steps/common/stop.h"

namespace runbook {
namespace {

constexpr const char* kInProgress = "runbook restore in progress: host=";
constexpr const char* kRestored = "runbook restored: sha256=";

// `text` cut to at most `bytes`, never inside a UTF-8 sequence.
std::string CutUtf8(const std::string& text, size_t bytes) {
  if (text.size() <= bytes) return text;
  size_t n = bytes;
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
  return text.substr(0, n);
}

// Why `env_file` cannot be written, known before anything is restored: `env` holds what an
// env file cannot, or it names the dump or its metadata (breakI I29). "" when it can.
std::string EnvFileProblem(const StepParams& p, const std::string& source) {
  const Value* file = p.Opt("env_file");
  if (file == nullptr) return "";
  std::map<std::string, std::string> vars;
  if (const Value* env = p.Opt("env"))
    for (const auto& [k, v] : env->as_map()) vars[k] = v.ToText();
  if (auto text = EnvFileText(vars); !text.ok()) return "env: " + text.status().message();
  std::error_code ec;
  std::string path = std::filesystem::absolute(file->ToText(), ec).lexically_normal().string();
  for (const std::string& other : {source, MetaPathFor(source)})
    if (path == other || std::filesystem::equivalent(path, other, ec))
      return "env_file " + path +
             " is the dump restored from or its metadata; name a file of "
             "its own";
  return "";
}

}  // namespace

std::optional<Clock::Wall> RunbookNameMade(const std::string& name) {
  static const std::regex kNamed(
      R"(^(?:.+_restore_(\d{8}[Tt]\d{6}[Zz])(?:_\d)?|runbook_check_(\d{8}[Tt]\d{6}[Zz])_[0-9a-f]{8})$)");
  std::smatch m;
  if (!std::regex_match(name, m, kNamed)) return std::nullopt;
  std::string stamp = m[1].matched ? m[1].str() : m[2].str();
  return ParseUtc(stamp.substr(0, 4) + "-" + stamp.substr(4, 2) + "-" + stamp.substr(6, 2) + "T" +
                  stamp.substr(9, 2) + ":" + stamp.substr(11, 2) + ":" + stamp.substr(13, 2) + "Z");
}

std::string NameStamp(Clock::Wall now) {
  std::string stamp;
  for (char c : FormatUtc(now).substr(0, 19))
    if (c != '-' && c != ':') stamp += c;
  return stamp + "Z";
}

RestoreNames NamesFor(const std::string& live, Clock::Wall now, size_t max_bytes, int nth) {
  std::string stamp = NameStamp(now);
  if (nth > 1) stamp += "_" + std::to_string(nth);
  auto name = [&](const std::string& middle) {
    size_t room =
        max_bytes > middle.size() + stamp.size() ? max_bytes - middle.size() - stamp.size() : 0;
    return CutUtf8(live, room) + middle + stamp;
  };
  return {name("_restore_"), name("_before_")};
}

Result<RestoreNames> FreeNames(const std::string& live, Clock::Wall now, size_t max_bytes,
                               const std::function<Result<bool>(const std::string&)>& taken) {
  for (int nth = 1; nth <= 9; ++nth) {
    RestoreNames names = NamesFor(live, now, max_bytes, nth);
    auto fresh = taken(names.fresh);
    if (!fresh.ok()) return fresh.status();
    auto kept = taken(names.kept);
    if (!kept.ok()) return kept.status();
    if (!fresh.value() && !kept.value()) return names;
  }
  return Status::Error("nine restores of " + live + " in this second: its names are all taken");
}

std::string CheckServerSource(const StepContext& ctx, CheckedSource& out) {
  std::error_code ec;
  out.path = std::filesystem::absolute(ctx.params.Str("source"), ec).lexically_normal().string();
  if (std::string no = NotThere(out.path, "file"); !no.empty()) return no;
  if (std::string why = EnvFileProblem(ctx.params, out.path); !why.empty()) return why;
  auto sha = Sha256File(out.path, StopFor(ctx));
  if (!sha.ok()) return sha.status().message();
  out.sha256 = sha.value();
  Vouch vouch = ctx.passed ? VerifiedBy(*ctx.passed, out.path, {out.sha256}) : Vouch{};
  if (vouch.by.empty() && !ctx.params.Bool("force"))
    return "no hash or integrity-check step of this run verified it (with sha256 " + out.sha256 +
           "); verify it first, or set force: true";
  out.verified_by = vouch.by;
  auto read = ReadMetaOf(out.path);
  if (!read.ok()) return read.status().message();
  if (read.value()) out.meta = std::move(*read.value());
  return Unbelieved(ctx.params, out.path, out.sha256, vouch, out.meta ? &*out.meta : nullptr,
                    out.authenticated);
}

std::string InProgressMarker(const std::string& run_id) {
  return kInProgress + HostName() + " pid=" + std::to_string(::getpid()) + " run=" + run_id;
}

bool IsOrphanMarker(const std::string& comment) {
  if (comment.rfind(kInProgress, 0) != 0) return false;
  std::string rest = comment.substr(std::string(kInProgress).size());
  size_t pid_at = rest.find(" pid="), run_at = rest.find(" run=");
  if (pid_at == std::string::npos || run_at == std::string::npos || run_at < pid_at) return false;
  if (rest.substr(0, pid_at) != HostName()) return false;  // another host's: it may be running
  std::string pid_text = rest.substr(pid_at + 5, run_at - pid_at - 5);
  if (pid_text.empty() || pid_text.find_first_not_of("0123456789") != std::string::npos ||
      pid_text.size() > 9)
    return false;
  pid_t pid = static_cast<pid_t>(std::stol(pid_text));
  return pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH;
}

std::string RestoredMarker(const std::string& sha256, const std::string& run_id) {
  return kRestored + sha256 + " run=" + run_id;
}

bool RestoredByThisRun(const std::string& comment, const std::string& sha256,
                       const std::string& run_id, const std::vector<std::string>* continues) {
  if (comment == RestoredMarker(sha256, run_id)) return true;
  if (continues == nullptr) return false;
  for (const std::string& earlier : *continues)
    if (comment == RestoredMarker(sha256, earlier)) return true;
  return false;
}

std::vector<std::string> AgainstManifest(const std::optional<LoadedMeta>& meta,
                                         const Value::Map& rows) {
  if (meta && !meta->fields.count("tables"))
    return {"its metadata has no manifest (tables): nothing says what the restore must hold"};
  if (!meta && rows.empty())
    return {"the restored database holds no table, and no metadata says the dump is empty"};
  if (!meta) return {};
  return CompareManifest(meta->fields.at("tables"), rows);
}

std::string JudgeRestored(const std::string& fresh, const std::optional<LoadedMeta>& meta,
                          const Value::Map& rows, std::vector<std::string>& problems) {
  std::vector<std::string> found = AgainstManifest(meta, rows);
  problems.insert(problems.end(), found.begin(), found.end());
  return "restored into " + fresh + ": " + CountOf(static_cast<int64_t>(rows.size()), "table") +
         (meta && meta->fields.count("tables") && problems.empty()
              ? ", row counts as the manifest says"
              : "");
}

std::string SourceDatabaseOf(const CheckedSource& source) {
  if (!source.meta || !source.meta->fields.count("source")) return "";
  std::string url = source.meta->fields.at("source").ToText();
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) return "";
  // After ":PORT/" (a PostgreSQL socket's host is a folder: slashes of its own), else after
  // the host's '/' (MySQL through a socket: mysql://localhost/DB?socket=...).
  size_t slash = std::string::npos;
  for (size_t colon = url.find(':', scheme + 3);
       colon != std::string::npos && slash == std::string::npos; colon = url.find(':', colon + 1)) {
    size_t digits = colon + 1;
    while (digits < url.size() && std::isdigit(static_cast<unsigned char>(url[digits]))) ++digits;
    if (digits > colon + 1 && digits < url.size() && url[digits] == '/') slash = digits;
  }
  if (slash == std::string::npos) slash = url.find('/', scheme + 3);
  if (slash == std::string::npos) return "";
  std::string db = url.substr(slash + 1);
  if (size_t q = db.rfind("?socket="); q != std::string::npos) db = db.substr(0, q);
  return db;
}

std::string SourceMismatch(const CheckedSource& source, const std::string& live,
                           const StepParams& p) {
  std::string from = SourceDatabaseOf(source);
  const Value* expected = p.Opt("from");
  std::string want = expected ? expected->ToText() : live;
  if (from.empty())
    return expected ? ""
                    : "nothing says which database the dump is of (no metadata names its "
                      "source): set from: " +
                          live + " if it is a dump of " + live;
  if (from == want) return "";
  return "the dump is of database '" + from + "' (its metadata's source), not '" + want + "'" +
         (expected ? ""
                   : ": to restore a copy of '" + from + "' as '" + live + "', set from: " + from);
}

std::string EnvValuesProblem(const StepParams& p, const std::string& url, const std::string& db) {
  if (p.Opt("env_file") == nullptr) return "";
  std::map<std::string, std::string> vars = {{"DATABASE_URL", url}, {"DATABASE_NAME", db}};
  if (const Value* env = p.Opt("env"))
    for (const auto& [k, v] : env->as_map()) vars[k] = v.ToText();
  auto text = EnvFileText(vars);
  return text.ok() ? "" : "env_file: " + text.status().message();
}

Result<std::string> WriteServerEnvFile(const StepParams& p, const std::string& url,
                                       const std::string& db) {
  const Value* file = p.Opt("env_file");
  if (file == nullptr) return std::string();
  std::map<std::string, std::string> vars = {{"DATABASE_URL", url}, {"DATABASE_NAME", db}};
  if (const Value* env = p.Opt("env"))
    for (const auto& [k, v] : env->as_map()) vars[k] = v.ToText();
  auto text = EnvFileText(vars);
  if (!text.ok()) return text.status();
  std::error_code ec;
  std::string path = std::filesystem::absolute(file->ToText(), ec).lexically_normal().string();
  if (Status s = MakeFolders(DirName(path)).status(); !s.ok()) return s;
  if (Status s = WriteFileAtomic(path, text.value(), 0600); !s.ok()) return s;
  return path;
}

AttemptResult ServerRestored(const std::string& target, const std::string& database,
                             const std::string& previous, const CheckedSource& source,
                             const std::string& env_file) {
  AttemptResult r = AttemptResult::Success(
      {{"target", Value(target)},
       {"database", Value(database)},
       {"previous", Value(previous)},
       {"authenticated", Value(source.authenticated)},
       {"created_at", Value(source.meta && source.meta->fields.count("created_at")
                                ? source.meta->fields.at("created_at").ToText()
                                : std::string())}});
  if (!env_file.empty()) r.outputs["env_file"] = Value(env_file);
  return r;
}

}  // namespace runbook
