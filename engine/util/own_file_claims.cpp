// The files runbook itself owns (own_file.h, ClaimRunbookFile) and the SQLite companion
// rule. Split from own_file.cpp, which holds the rule for one name.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <vector>

#include "engine/util/own_file.h"

namespace runbook {

const char* const kSqliteCompanions[3] = {"-wal", "-shm", "-journal"};

namespace {

struct Id {
  dev_t dev = 0;
  ino_t ino = 0;
  bool operator==(const Id& o) const { return dev == o.dev && ino == o.ino; }
};

struct Claim {
  std::string path;  // absolute, normal
  std::string what;
  bool companions = false;
  Id file, dir;
  std::string base;
};

std::mutex g_mu;
std::vector<Claim> g_claims;

// The identity of `path` (links followed); nullopt when it cannot be stat'ed.
std::optional<Id> IdOf(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return Id{st.st_dev, st.st_ino};
}

std::string Absolute(const std::string& path) {
  std::error_code ec;
  auto abs = std::filesystem::absolute(path, ec);
  return ec ? path : abs.lexically_normal().string();
}

std::vector<Claim> LiveClaims() {
  std::vector<Claim> all;
  {
    std::lock_guard<std::mutex> lock(g_mu);
    all = g_claims;
  }
  std::vector<Claim> live;
  for (Claim& c : all)
    if (IdOf(c.path) == std::optional<Id>(c.file)) live.push_back(std::move(c));
  return live;
}

bool EndsWith(const std::string& s, const std::string& tail) {
  return s.size() > tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// What the entry `name` of the folder `dir` is among the live claims; `id_of(name)` gives
// the identity of an entry of that folder.
std::string Match(const std::optional<Id>& dir, const std::string& name,
                  const std::function<std::optional<Id>(const std::string&)>& id_of) {
  std::optional<Id> self = id_of(name);
  for (const Claim& c : LiveClaims()) {
    if (self == std::optional<Id>(c.file) || (dir == std::optional<Id>(c.dir) && name == c.base))
      return c.what;
    if (!c.companions) continue;
    for (const char* side : kSqliteCompanions) {
      std::string of = std::string("the ") + side + " of " + c.what;
      if (dir == std::optional<Id>(c.dir) && name == c.base + side) return of;
      if (EndsWith(name, side) &&
          id_of(name.substr(0, name.size() - std::strlen(side))) == std::optional<Id>(c.file))
        return of;
      auto live = IdOf(c.path + side);
      if (self && live && *self == *live) return of;
    }
  }
  return "";
}

}  // namespace

void ClaimRunbookFile(const std::string& path, const std::string& what, bool companions) {
  Claim c{Absolute(path), what, companions, {}, {}, ""};
  auto file = IdOf(c.path);
  auto dir = IdOf(std::filesystem::path(c.path).parent_path().string());
  if (!file || !dir) return;  // nothing there to protect
  c.file = *file;
  c.dir = *dir;
  c.base = std::filesystem::path(c.path).filename().string();
  std::lock_guard<std::mutex> lock(g_mu);
  for (const Claim& old : g_claims)
    if (old.path == c.path && old.file == c.file) return;
  g_claims.push_back(std::move(c));
}

std::string RunbookFileAt(const std::string& path) {
  std::filesystem::path abs(Absolute(path));
  std::string folder = abs.parent_path().string();
  return Match(IdOf(folder), abs.filename().string(),
               [&folder](const std::string& name) { return IdOf(folder + "/" + name); });
}

namespace {

std::string Refusal(const std::string& shown, const std::string& what, const std::string& verb) {
  if (what.empty()) return "";
  return "refusing to " + verb + " " + shown + ": it is " + what +
         "; runbook never lets a step or a command output write over its own files";
}

// What the entry `name` of the folder open as `dir_fd` is among the claims.
std::string RunbookFileIn(int dir_fd, const std::string& name) {
  struct stat st {};
  std::optional<Id> dir;
  if (::fstat(dir_fd, &st) == 0) dir = Id{st.st_dev, st.st_ino};
  return Match(dir, name, [dir_fd](const std::string& entry) -> std::optional<Id> {
    struct stat es {};
    if (::fstatat(dir_fd, entry.c_str(), &es, 0) != 0) return std::nullopt;
    return Id{es.st_dev, es.st_ino};
  });
}

}  // namespace

std::string RunbookFileProblem(const std::string& path, const std::string& verb) {
  return Refusal(path, RunbookFileAt(path), verb);
}

std::string RunbookFileProblemIn(int dir_fd, const std::string& name, const std::string& shown,
                                 const std::string& verb) {
  return Refusal(shown, RunbookFileIn(dir_fd, name), verb);
}

std::string SqliteCompanionProblem(const std::string& db_path) {
  std::vector<std::string> bases = {db_path};
  std::error_code ec;
  auto real = std::filesystem::canonical(db_path, ec);  // SQLite follows a link to the file
  if (!ec && real.string() != db_path) bases.push_back(real.string());
  for (const std::string& base : bases) {
    for (const char* side : kSqliteCompanions) {
      std::string companion = base + side;
      std::string why = OwnFileLinkProblem(companion);
      if (!why.empty())
        return why + "; it sits beside the SQLite database " + db_path +
               ", which SQLite would write through it: remove it if nothing uses the database";
    }
  }
  return "";
}

}  // namespace runbook
