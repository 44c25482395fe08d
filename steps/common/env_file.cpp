#include "steps/common/env_file.h"

#include "steps/common/safe_path.h"

namespace runbook {
namespace {

bool Letter(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool Digit(char c) { return c >= '0' && c <= '9'; }

bool Plain(const std::string& value) {
  for (char c : value)
    if (!Letter(c) && !Digit(c) && std::string("./:@%+,=-").find(c) == std::string::npos)
      return false;
  return true;
}

}  // namespace

std::string EnvKeyProblem(const std::string& key) {
  bool ok = !key.empty() && Letter(key[0]);
  for (char c : key) ok = ok && (Letter(c) || Digit(c));
  return ok ? ""
            : "env key '" + Printable(key) + "' is not a variable name ([A-Za-z_][A-Za-z0-9_]*)";
}

std::string EnvValueProblem(const std::string& key, const std::string& value) {
  for (char c : value) {
    if (c == '\n' || c == '\r' || c == '\0')
      return "env value of " + Printable(key) +
             " holds a line break or NUL: it would start another variable in the env file";
    if (c == '"' || c == '\\' || c == '$' || c == '`')
      return std::string("env value of ") + Printable(key) + " holds '" + c +
             "', which dotenv, a shell and the backend would read differently";
  }
  return "";
}

Result<std::string> EnvFileText(const std::map<std::string, std::string>& vars) {
  std::string text;
  for (const auto& [key, value] : vars) {
    std::string why = EnvKeyProblem(key);
    if (why.empty()) why = EnvValueProblem(key, value);
    if (!why.empty()) return Status::Error(why);
    text += key + "=" + (Plain(value) ? value : "\"" + value + "\"") + "\n";
  }
  return text;
}

}  // namespace runbook
