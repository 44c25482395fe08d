#include "steps/common/inventory.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "engine/util/json.h"
#include "engine/util/own_file.h"
#include "steps/common/files.h"
#include "steps/common/lock_beside.h"

namespace runbook {
namespace {

Result<Value::Map> ReadInventory(const std::string& path) {
  if (!std::filesystem::exists(path)) {
    return Value::Map{{"version", Value(1)}, {"entries", Value(Value::List{})}};
  }
  auto text = ReadWholeFile(path, 256u << 20);
  if (!text.ok()) return text.status();
  auto v = ParseJson(text.value());
  if (!v.ok() || !v.value().is_map() || !v.value().Find("entries") ||
      !v.value().Find("entries")->is_list()) {
    return Status::Error("inventory " + path +
                         " is not an inventory (expected {\"version\": 1, \"entries\": [...]}); "
                         "left untouched");
  }
  return v.value().as_map();
}

}  // namespace

Status AppendInventory(const std::string& path, const Value::List& entries) {
  if (auto made = MakeFolders(DirName(path)); !made.ok()) return made.status();
  auto lock = LockBeside(path);  // never through a planted link; closed: released
  if (!lock.ok()) return lock.status();
  Status result = Status::Ok();
  auto inventory = ReadInventory(path);
  if (!inventory.ok()) {
    result = inventory.status();
  } else {
    Value::Map doc = inventory.value();
    Value::List all = doc["entries"].as_list();
    for (const Value& e : entries) all.push_back(e);
    doc["entries"] = Value(std::move(all));
    // Names as JSON escapes where they hold invisible characters (breakZ Z11).
    result = WriteFileAtomic(path, ToJsonShown(Value(std::move(doc)), 2) + "\n", 0600);
  }
  return result;
}

std::string InventoryFileName(const std::string& path) {
  if (path.rfind("s3://", 0) == 0) return path;
  std::error_code ec;
  std::filesystem::path real = std::filesystem::weakly_canonical(path, ec);
  if (ec) real = std::filesystem::absolute(path, ec).lexically_normal();
  return ec ? path : real.string();
}

}  // namespace runbook
