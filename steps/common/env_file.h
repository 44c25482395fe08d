// The env file restore writes for the backend (BACKEND_ENV_PATH), in the one form the demo
// backend's loader (examples/demo-backend/src/config.js), dotenv and `set -a; . FILE` read
// alike (docs/backup.md, "The env file"): keys [A-Za-z_][A-Za-z0-9_]*; values of only
// [A-Za-z0-9_./:@%+,=-] as is, others in double quotes; a newline, CR, NUL, '"', '\', '$' or
// '`' in a value is refused (the readers disagree on escapes). Pure functions.
#pragma once

#include <map>
#include <string>

#include "engine/util/status.h"

namespace runbook {

// "" when `key` is a variable name, else why not (naming it).
std::string EnvKeyProblem(const std::string& key);
// "" when `value` can be written for `key`, else why not (naming the key).
std::string EnvValueProblem(const std::string& key, const std::string& value);
// The file's text, or the first problem.
Result<std::string> EnvFileText(const std::map<std::string, std::string>& vars);

}  // namespace runbook
