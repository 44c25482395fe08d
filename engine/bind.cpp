// Binding the run's inputs: params from --set, secrets from the environment or files.
#include <cstdio>
#include <ctime>
#include <random>
#include <sstream>

#include "engine/executor.h"
#include "engine/plugin/check_value.h"
#include "engine/run_scope.h"
#include "engine/util/input_file.h"
#include "engine/util/strings.h"

namespace runbook {

Result<Value> ParseSet(const Runbook& rb, const std::string& key, const std::string& text) {
  std::vector<std::string> names;
  const ParamSpec* spec = nullptr;
  for (const ParamSpec& p : rb.params) {
    names.push_back(p.name);
    if (p.name == key) spec = &p;
  }
  if (spec == nullptr) {
    std::string close = ClosestName(key, names);
    return Status::Error("--set " + key + ": unknown param '" + key + "'" +
                         (close.empty() ? "" : "; did you mean '" + close + "'?"));
  }
  std::string error;
  Value v = ParseTextAs(*spec, text, error);
  if (!error.empty()) return Status::Error("--set " + key + ": " + error);
  return v;
}

std::string InParamsWords(std::string message) {
  if (message.rfind("--set ", 0) == 0) {
    size_t colon = message.find(':');
    if (colon != std::string::npos)
      message = "params." + message.substr(6, colon - 6) + message.substr(colon);
  }
  const std::string required = "; set it with --set ";
  if (size_t at = message.find(required); at != std::string::npos) {
    std::string name = message.substr(at + required.size());
    name = name.substr(0, name.find('='));
    message = message.substr(0, at) + "; give it in \"params\": {\"" + name + "\": ...}";
  }
  return message;
}

Result<Value::Map> BindParams(const Runbook& rb,
                              const std::vector<std::pair<std::string, std::string>>& sets,
                              bool plan_unset) {
  Value::Map out;
  for (const auto& [key, text] : sets) {
    auto v = ParseSet(rb, key, text);
    if (!v.ok()) return v.status();
    out[key] = v.value();
  }
  for (const ParamSpec& p : rb.params) {
    if (out.count(p.name)) continue;
    if (!p.default_value.is_null()) {
      out[p.name] = p.default_value;
    } else if (p.required && plan_unset) {
      out[p.name] = Value::Unknown("${{ params." + p.name + " }}");
    } else if (p.required) {
      return Status::Error("param '" + p.name + "' is required; set it with --set " + p.name +
                           "=VALUE");
    } else {
      out[p.name] = Value();
    }
  }
  return out;
}

namespace {

Status CheckSecretLength(const SecretDecl& s, const std::string& value) {
  if (value.size() >= kMinSecretLength) return Status::Ok();
  return Status::Error("secret '" + s.name + "' is shorter than " +
                       std::to_string(kMinSecretLength) +
                       " characters; redacting it would mask ordinary text, so it is refused");
}

}  // namespace

namespace {

constexpr size_t kMaxSecretFile = 1u << 20;  // a key, a token, a password file: never more

Result<std::string> ReadSecretFile(const SecretDecl& s) {
  // A regular file only (a FIFO would block the run before its first step, SIGTERM
  // included), and at most 1 MiB (/dev/zero took all memory; breakI I20).
  auto in = OpenInputStream(s.file);
  if (!in.ok()) return Status::Error("secret '" + s.name + "': " + in.status().message());
  std::string value(kMaxSecretFile + 1, '\0');
  size_t n = std::fread(value.data(), 1, value.size(), in.value());
  bool failed = std::ferror(in.value()) != 0;
  std::fclose(in.value());
  if (failed) return Status::Error("secret '" + s.name + "': cannot read " + s.file);
  if (n > kMaxSecretFile)
    return Status::Error("secret '" + s.name + "': " + s.file + " is larger than 1 MiB");
  value.resize(n);
  // A secret reaches commands as text (env, argv), which ends at a NUL: the part before it
  // would arrive alone, and unmasked (break23a A4). Binary key material is given encoded.
  if (value.find('\0') != std::string::npos)
    return Status::Error("secret '" + s.name + "': " + s.file +
                         " holds a NUL byte; a secret reaches commands as text, which ends at a "
                         "NUL: store it encoded (base64) and decode it in the step");
  return value;
}

}  // namespace

namespace {

// One secret's value from `env` or its file (a trailing newline dropped), length-checked; a
// relative file is taken under `base` ("": the current folder).
Result<std::string> ReadSecret(SecretDecl s, const EnvMap& env, const std::string& base) {
  if (!base.empty() && !s.file.empty() && s.file.front() != '/') s.file = base + "/" + s.file;
  std::string value;
  if (!s.env.empty()) {
    auto it = env.find(s.env);
    if (it == env.end() || it->second.empty())
      return Status::Error("secret '" + s.name + "': environment variable " + s.env +
                           " is not set");
    value = it->second;
  } else {
    auto read = ReadSecretFile(s);
    if (!read.ok()) return read.status();
    value = std::move(read).value();
    while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
  }
  Status length = CheckSecretLength(s, value);
  if (!length.ok()) return length;
  return value;
}

}  // namespace

Result<Value::Map> ResolveSecrets(const Runbook& rb, const EnvMap& env, bool placeholders,
                                  const std::string& base) {
  Value::Map out;
  for (const SecretDecl& s : rb.secrets) {
    auto value = ReadSecret(s, env, base);  // a dry run too: it fails as the run would (II2-6)
    if (!value.ok()) return value.status();
    out[s.name] = placeholders ? Value::Unknown("${{ secrets." + s.name + " }}")
                               : Value(std::move(value).value());
  }
  return out;
}

Value::Map SecretsToMask(const Runbook& rb, const EnvMap& env, const std::string& base) {
  Value::Map out;
  for (const SecretDecl& s : rb.secrets) {
    if (auto value = ReadSecret(s, env, base); value.ok())
      out[s.name] = Value(std::move(value).value());
  }
  return out;
}

std::string NewRunId(const Clock& clock) {
  std::time_t t = std::chrono::system_clock::to_time_t(clock.WallNow());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
  std::random_device rd;
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, "%06x", rd() & 0xffffff);
  return std::string(stamp) + "-" + suffix;
}

}  // namespace runbook

namespace runbook {

Result<std::string> ResolveLock(const Runbook& rb, const Value::Map& params,
                                const Value::Map& secrets, const std::string& base,
                                bool unknown_ok) {
  if (!rb.lock) return std::string();
  RunValues values;
  values.params = params;
  values.secrets = secrets;  // breakN N1: validate allows secrets.* in a lock
  values.base = base;
  SystemClock clock;
  RunScope scope(rb, values, nullptr, clock);
  auto v = ResolveTree(*rb.lock, scope);
  if (!v.ok()) return Status::Error("lock: " + v.status().message());
  if (v.value().is_unknown() && unknown_ok) return std::string();
  if (v.value().is_unknown()) return Status::Error("lock: depends on values known only later");
  return v.value().ToText();
}

}  // namespace runbook
