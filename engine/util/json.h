// JSON text <-> Value. The only place nlohmann/json is included (it is a heavy header).
// Thread-safe.
#pragma once

#include <optional>
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
// ParseJson where a number keeps its text as sent
// (Value::Written: `3.10` is 3.1 to compute with and "3.10" where it becomes a string), as a
// YAML scalar and `--set` keep theirs. For what a person sends: serve's request bodies
// (break22c #7: {"v": 3.10} reached the step as 3.1), and fromJSON(). An integer past the
// 64-bit range is taken as a runbook's YAML takes it (its text, a double beside it), not
// refused. Either parse refuses a number out of a double's range (`1e400`, `1e-400`).
Result<Value> ParseJsonAsSent(const std::string& text, const StopCheck& stop = {});

// The text a run is given for `value` where it takes a value as text (--set, --input, serve's
// params and approval inputs, a schedule's params), read back by ParseTextAs as the value it
// was: a string as itself; a written number (Value::Written: YAML's `3.10`, `0755`, JSON's
// `1e3` as sent) as its text; a list or a map as compact JSON in which a written number is its
// text when that is a JSON number (`3.10`, `1e3`, read back as sent by ParseJsonAsSent) and a
// JSON string of its text when it is not (`0755`, an integer past 64 bits); anything else as
// ToJson (break23a C1, C5: `[3.10, 0755]` reached the run as `3.1,755`).
std::string TextAsSent(const Value& value);
// TextAsSent of `value` when its JSON is not that text (a number written `3.10`, a list holding
// `0755`); nullopt for a string (itself) and for a value whose JSON is its text as sent.
std::optional<std::string> OwnTextAsSent(const Value& value);
// The TextAsSent of each of `values` whose JSON is not that text (a number written `3.10`, a
// list holding `0755`): name -> text; a string is itself, and is left out. What the store's
// run_started keeps ("params_written"), and serve's catalog and `runbook schedule` give beside
// the JSON values (break24a C1, C2: they showed [755, 3.1]).
Value::Map TextsAsSent(const Value::Map& values);

// The source texts of the numbers among `values` (a step's outputs) written in YAML whose
// text is not their JSON form (`3.10`, `0755`, `1e3`): name -> text. JSON keeps the number;
// the store keeps these beside it ("outputs_written"), and RestoreWritten puts them back, so
// a resume gives later steps the text the first run gave them and the same number to compute
// with (break22 #3, break22c #3).
Value::Map WrittenTexts(const Value::Map& values);
// Each number of `values` named in `texts` becomes Value::Written with that text.
void RestoreWritten(Value::Map& values, const Value::Map& texts);
// The same for the numbers inside the lists and maps among `values` (an approval's input list,
// a `log` step's outputs map): JSON Pointer (RFC 6901) from `values` -> text, "/name/1/key"
// -> "0755"; the store keeps them as "outputs_written_nested" (break24a C1: a resume gave a
// carried list's `3.10` as 3.1). Top-level numbers are WrittenTexts'.
Value::Map NestedWrittenTexts(const Value::Map& values);
// `key` as one reference token of a JSON Pointer (RFC 6901 3: `~` as `~0`, `/` as `~1`).
std::string JsonPointerToken(const std::string& key);
// Each number of `values` at a pointer of `texts` becomes Value::Written with that text; a
// pointer that names nothing, or no number, is left (a damaged or older record).
void RestoreNestedWritten(Value::Map& values, const Value::Map& texts);

}  // namespace runbook
