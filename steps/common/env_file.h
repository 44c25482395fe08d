// The env file restore writes for the backend (BACKEND_ENV_PATH): one `KEY=VALUE` line per
// variable, in the one form that the demo backend's loader (examples/demo-backend/src/
// config.js), dotenv and a POSIX shell's `set -a; . FILE` all read as the same value.
// Rules (docs/backup.md, "The env file"): a key matches [A-Za-z_][A-Za-z0-9_]*; a value of
// only [A-Za-z0-9_./:@%+,=-] is written as is, any other in double quotes; a value holding a
// newline, CR, NUL, '"', '\', '$' or '`' is refused (those would need escapes the three
// readers do not agree on). Pure functions.
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
