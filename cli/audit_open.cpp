#include "cli/audit_open.h"

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "cli/commands.h"
#include "engine/util/duration.h"

namespace runbook {

std::unique_ptr<AuditStore> OpenAuditForCommand(const std::string& flag) {
  bool is_default = false;
  std::string path = AuditDbPath(flag, is_default);
  std::error_code ec;
  if (is_default) std::filesystem::create_directories(".runbook", ec);
  int busy_ms = 5000;  // how long a write waits for another writer before failing closed
  if (const char* env = std::getenv("RUNBOOK_AUDIT_BUSY_TIMEOUT"); env && *env) {
    auto d = ParseDuration(env);
    if (d) busy_ms = static_cast<int>(d->count());
  }
  auto store = AuditStore::Open(path, busy_ms);
  if (!store.ok()) {
    std::cerr << "runbook: error: " << store.status().message() << "\n";
    return nullptr;
  }
  auto marked = store.value()->MarkInterrupted();
  if (!marked.ok()) {
    std::cerr << "runbook: error: audit store " << path << ": " << marked.status().message()
              << "\n";
    return nullptr;
  }
  if (marked.value() > 0) {
    std::cerr << "runbook: marked " << marked.value()
              << " run(s) as interrupted (their process is gone)\n";
  }
  return std::move(store).value();
}

}  // namespace runbook

namespace runbook {

std::optional<RunRecord> LoadRunForCommand(const std::string& flag, const std::string& id,
                                           int& exit_code) {
  auto store = OpenAuditForCommand(flag);
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
