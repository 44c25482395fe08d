// JSON text <-> Value. The only place nlohmann/json is included (it is a heavy header).
// Thread-safe.
#pragma once

#include <string>

#include "engine/util/crypto.h"
#include "engine/util/status.h"
#include "engine/util/value.h"

namespace runbook {

class Value;

// Compact when indent < 0, pretty-printed otherwise. Unknown values render as strings
// "${{ text }}". Keys come out sorted (Value maps are ordered).
std::string ToJson(const Value& value, int indent = -1);
// ToJson for what runbook prints (reports, plan, history, validate): invisible characters
// in strings as \uXXXX escapes (EscapeHiddenJson, breakY Y7); the same JSON value. Never for
// text that is hashed or signed.
std::string ToJsonShown(const Value& value, int indent = -1);

// Parses JSON text in time linear in its size; an error names the byte offset. Nesting deeper
// than 512 levels is refused, and so is a key twice in one object ("the key 'k' appears twice
// in one object"; RFC 7493 2.3). `stop` is asked every few thousand values: once it says true
// the parse ends with an error whose message is kStoppedMessage.
Result<Value> ParseJson(const std::string& text, const StopCheck& stop = {});

}  // namespace runbook
