// The runbook file's own keys (top level, steps, retry, params, secrets, objectives,
// defaults), described once: the loader checks a file against this table (unknown keys,
// value types, bounds, whether `${{ }}` is taken) and the JSON Schema generator describes
// it. A step's `with` is described by its type's StepSpec instead. Constant data; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace runbook {

enum class KeyType {
  kString,            // a scalar, kept as text (`format` may restrict it)
  kInteger,           // within [minimum, maximum] when set
  kNumber,            // an integer or a decimal
  kBoolean,           // true or false
  kDuration,          // '500ms', '30s', '1h30m'
  kPositiveDuration,  // a duration above zero (a timeout)
  kChoice,            // one of `choices`
  kBoolOrChoice,      // true, false, or one of `choices`
  kStringList,        // a string or a list of strings (each one of `choices` when set)
  kIntegerList,       // a list of integers
  kList,              // a list of anything
  kAny,               // any value
  kBlock,             // a mapping described by the block named `block`
  kBlockMap,          // a mapping of names to `block`s (params, secrets)
  kBlockList,         // a list of `block`s (steps, finally)
  kEnv,               // a mapping of variable names to text (`${{ }}` allowed in the values)
  kStepType,          // the name of a registered step type
  kStepParams,        // a mapping checked against the step type's StepSpec
  kCondition,         // an expression, with or without ${{ }}
};

// A text format a kString value must have: the loader's check and the schema's pattern.
struct KeyFormat {
  bool (*matches)(std::string_view text) = nullptr;
  const char* pattern = "";  // the same rule as an ECMA-262 regular expression
  const char* words = "";    // the rule for people: "expected " + words
};

struct KeySpec {
  std::string name;
  KeyType type = KeyType::kString;
  std::string doc;
  bool required = false;
  // The value may hold ${{ }} (evaluated when the run starts). Otherwise a string with
  // ${{ anywhere in it is refused: the loader would take it literally.
  bool expressions = false;
  std::vector<std::string> choices;   // kChoice, kBoolOrChoice, kStringList
  std::optional<int64_t> minimum;     // kInteger
  std::optional<int64_t> maximum;     // kInteger; minimum == maximum: the only value
  std::string minimum_why;            // shown after "must be at least N"
  std::string block;                  // kBlock, kBlockMap, kBlockList
  std::string label;                  // the key's name in messages; `name` when empty
  const KeyFormat* format = nullptr;  // kString
  std::string needs_key;  // given only beside this key of the same block (fail_fast: for_each)

  const std::string& what() const { return label.empty() ? name : label; }
};

struct BlockSpec {
  std::string name;   // "runbook", "step", "retry", ...
  std::string where;  // in messages: "unknown key 'x' in <where>"
  std::string doc;
  std::vector<KeySpec> keys;
  // When not empty: exactly one of these keys must be given (a secret's env or file).
  std::vector<std::string> exactly_one;

  const KeySpec* Find(std::string_view key) const;
  std::vector<std::string> Names() const;
};

// Every block, the top level ("runbook") first. Each `block` a key names is among them.
const std::vector<BlockSpec>& RunbookBlocks();
// The block named `name`; aborts on an unknown name (a bug).
const BlockSpec& RunbookBlock(std::string_view name);

}  // namespace runbook
