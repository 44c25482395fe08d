#include "engine/runbook_place.h"

#include "engine/executor.h"
#include "engine/process_runner.h"
#include "engine/redact.h"
#include "engine/util/strings.h"

namespace fs = std::filesystem;

namespace runbook {

fs::path KernelPath(const fs::path& p) {
  std::error_code ec;
  fs::path abs = fs::absolute(p, ec);
  if (ec) return p.lexically_normal();
  for (const fs::path& part : abs)
    if (part == "..") {
      fs::path real = fs::weakly_canonical(abs, ec);
      if (!ec) return real;
      break;
    }
  return abs.lexically_normal();
}

fs::path ResolvedPath(const fs::path& p) {
  std::error_code ec;
  fs::path real = fs::weakly_canonical(KernelPath(p), ec);
  return ec ? KernelPath(p) : real;
}

std::string RunbookFolder(const std::string& runbook_path) {
  // The file's own link too (breakN N10: ~/bin/restore.yaml -> /srv/app/runbooks/restore.yaml
  // ran at ~/bin, with another store and another realpath() lock).
  return ResolvedPath(KernelPath(runbook_path)).parent_path().string();
}

Result<std::string> RunbookBase(const Runbook& rb) {
  fs::path folder = RunbookFolder(rb.path());
  if (rb.working_directory.empty()) return folder.string();
  fs::path base = (folder / rb.working_directory).lexically_normal();
  std::error_code ec;
  if (!fs::is_directory(base, ec))
    return Status::Error("working_directory '" + Printable(rb.working_directory) + "' (" +
                         Printable(base.string()) + ") is not a folder");
  return base.string();
}

Value::Map SecretsToMaskNow(const Runbook& rb, const EnvMap& env) {
  auto base = RunbookBase(rb);
  return SecretsToMask(rb, env, base.ok() ? base.value() : "");
}

Redactor RunbookRedactor(const Runbook& rb) {
  EnvMap env = CurrentEnvironment();
  return RunRedactor(SecretsToMaskNow(rb, env), env);
}

std::string MaskForRunbook(const Runbook& rb, const std::string& message) {
  return RunbookRedactor(rb).Apply(message);
}

Value MaskForRunbook(const Runbook& rb, const Value& value) {
  return RunbookRedactor(rb).Apply(value);
}

Redactor RunbookRedactor(const Runbook* rb) {
  if (rb != nullptr) return RunbookRedactor(*rb);
  return RunRedactor({}, CurrentEnvironment());
}

std::string MaskForRunbook(const Runbook* rb, const std::string& message) {
  return RunbookRedactor(rb).Apply(message);
}

Value MaskForRunbook(const Runbook* rb, const Value& value) {
  return RunbookRedactor(rb).Apply(value);
}

}  // namespace runbook
