// Minimal edits of JSON text: find where a value sits (byte range) by a path of object
// keys, so a number can be replaced without re-serialising the document (its formatting,
// key order and every other value stay as they were).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace runbook {

struct JsonSpan {
  size_t begin = 0;
  size_t end = 0;  // one past the value's last byte
};

// The span of the value at `path` (object keys from the root, compared with each key as
// decoded from its escapes), or nullopt when some key
// is missing or the text is not JSON. The text must already have been validated.
std::optional<JsonSpan> FindJsonValue(const std::string& text,
                                      const std::vector<std::string>& path);

struct JsonDuplicate {
  std::string key;  // decoded (keys are compared decoded: "fl\u0061g" is "flag")
  size_t line = 0;  // 1-based line of its second occurrence
};

// The first key that appears twice in one object anywhere in `text` (a reader taking the
// last occurrence and an edit of the first would disagree), or nullopt. Linear in the text;
// the text must already have been validated.
std::optional<JsonDuplicate> FindDuplicateKey(const std::string& text);

}  // namespace runbook
