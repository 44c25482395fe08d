// JSON text <-> Value. The only place nlohmann/json is included (it is a heavy header).
// Thread-safe.
#pragma once

#include <string>

#include "engine/util/status.h"
#include "engine/util/value.h"

namespace runbook {

class Value;

// Compact when indent < 0, pretty-printed otherwise. Unknown values render as strings
// "${{ text }}". Keys come out sorted (Value maps are ordered).
std::string ToJson(const Value& value, int indent = -1);

// Parses JSON text; an error names the byte offset.
Result<Value> ParseJson(const std::string& text);

}  // namespace runbook
