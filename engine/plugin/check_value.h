// Checks a value against a parameter's spec (type, enum, range) and normalises it (a
// single string given for a list of strings becomes a one-item list). Shared by the
// loader (static values), the executor (resolved values) and --set. Thread-safe.
#pragma once

#include <string>

#include "engine/plugin/spec.h"
#include "engine/util/value.h"

namespace runbook {

// "" when `value` fits `spec`; otherwise what was expected and what was found. A plain
// YAML scalar (`3.10`, `true`, `~`) fits a string: it is taken as written.
std::string CheckValue(const ParamSpec& spec, const Value& value);

// The value in the shape a step reads it: single string -> list for kStringList,
// integers -> numbers where a number is wanted; a plain YAML scalar (Value::Written) becomes
// its source text where text is wanted (string, duration, string list and map items, any:
// a command) and a plain typed value elsewhere. Call after CheckValue succeeded.
Value NormaliseValue(const ParamSpec& spec, Value value);

// "string 'abc'", "integer 5", "a list" — how a found value is named in messages.
std::string DescribeFound(const Value& value);

// Parses command-line text (--set k=v, approval inputs) into a value of the spec's type.
// Returns an error message in `error` when it does not fit.
Value ParseTextAs(const ParamSpec& spec, const std::string& text, std::string& error);

}  // namespace runbook
