// The file a command writes its outputs to ($RUNBOOK_OUTPUT), in GitHub Actions'
// $GITHUB_OUTPUT format: `name=value` lines and multi-line `name<<DELIMITER` blocks.
// Parsing only: the caller reads the file and turns an error into a failed attempt.
// Pure functions; thread-safe.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/util/status.h"
#include "engine/util/value.h"

namespace runbook {

// Parses the file's text into string outputs. Rules (as GitHub's runner, plus names):
// - `name=value`: the value is the rest of the line, as written (may hold '=' and "<<");
// - `name<<DELIM`, lines, `DELIM`: the lines in between joined with '\n'; the block ends at
//   the first line that is exactly DELIM, so DELIM cannot appear as a line of the value;
//   a block that never ends is an error; whichever of '=' and "<<" comes first decides;
// - empty lines are ignored; a name written twice keeps its last value;
// - names follow the step id pattern ([a-z0-9][a-z0-9_-]*); a name in `builtins` (the step
//   type's own outputs, e.g. exit_code) cannot be written.
// Errors name the line: "$RUNBOOK_OUTPUT line 3: ..."; the file's text in them has gone
// through `redact` (secrets never appear), and is cut to 80 characters after masking.
Result<Value::Map> ParseOutputFile(std::string_view text, const std::vector<std::string>& builtins,
                                   const std::function<std::string(std::string)>& redact);

}  // namespace runbook
