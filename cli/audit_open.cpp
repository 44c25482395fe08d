#include "cli/audit_open.h"

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "cli/commands.h"
#include "engine/util/duration.h"
#include "engine/util/own_file.h"

namespace runbook {
namespace {

// How long a write waits for another writer before failing closed.
int BusyTimeoutMs() {
  if (const char* env = std::getenv("RUNBOOK_AUDIT_BUSY_TIMEOUT"); env && *env) {
    if (auto d = ParseDuration(env)) return static_cast<int>(d->count());
  }
  return 5000;
}

// Marks runs whose process is gone. A reader goes on without it when the store refuses the
// write (a full disk); a writer cannot.
bool MarkGone(AuditStore& store, bool must) {
  if (store.read_only()) return true;
  auto marked = store.MarkInterrupted();
  if (!marked.ok()) {
    std::cerr << "runbook: " << (must ? "error: " : "note: ") << "audit store " << store.path()
              << ": " << (must ? "" : "cannot mark interrupted runs: ") << marked.status().message()
              << "\n";
    return !must;
  }
  if (marked.value() > 0) {
    std::cerr << "runbook: marked " << marked.value()
              << " run(s) as interrupted (their process is gone)\n";
  }
  return true;
}

}  // namespace

std::unique_ptr<AuditStore> OpenAuditForCommand(const std::string& flag) {
  bool is_default = false;
  std::string path = AuditDbPath(flag, is_default);
  std::error_code ec;
  if (is_default) std::filesystem::create_directories(".runbook", ec);
  auto store = AuditStore::Open(path, BusyTimeoutMs());
  if (!store.ok()) {
    std::cerr << "runbook: error: " << store.status().message() << "\n";
    return nullptr;
  }
  if (!MarkGone(*store.value(), true)) return nullptr;
  return std::move(store).value();
}

std::unique_ptr<AuditStore> OpenExistingAudit(const std::string& flag, StoreUse use) {
  bool is_default = false;
  std::string path = AuditDbPath(flag, is_default);
  auto store = AuditStore::OpenExisting(path, BusyTimeoutMs());
  if (!store.ok()) {
    std::cerr << "runbook: error: " << store.status().message() << "\n";
    return nullptr;
  }
  if (use == StoreUse::kWrite && store.value()->read_only()) {
    std::cerr << "runbook: error: audit store " << path
              << " can only be read here (read-only media or no space beside it)\n";
    return nullptr;
  }
  if (!MarkGone(*store.value(), use == StoreUse::kWrite)) return nullptr;
  return std::move(store).value();
}

std::string CommandOutputProblem(const std::string& flag, const std::string& path) {
  if (path.empty()) return "";
  std::string why = OwnFileProblem(path);
  return why.empty() ? "" : flag + " " + path + ": " + why;
}

std::optional<RunRecord> LoadRunForCommand(const std::string& flag, const std::string& id,
                                           StoreUse use, int& exit_code) {
  auto store = OpenExistingAudit(flag, use);
  if (!store) {
    exit_code = kExitEnvironment;
    return std::nullopt;
  }
  auto record = LoadRunRecord(*store, id);
  if (!record.ok()) {
    std::cerr << "runbook: error: " << record.status().message() << "\n";
    exit_code = kExitInvalid;
    return std::nullopt;
  }
  return std::move(record).value();
}

}  // namespace runbook
