// Source locations (1-based line and column) and the located YAML tree every later stage
// reads. The tree is plain data owned by whoever holds the root; no yaml-cpp type leaks out.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace runbook {

struct Loc {
  int line = 0;    // 1-based; 0 means unknown
  int col = 0;     // 1-based
  int length = 1;  // columns the caret underlines
};

// One YAML node with the position of its first character.
struct SNode {
  enum class Kind { kNull, kScalar, kSeq, kMap };
  Kind kind = Kind::kNull;
  std::string text;     // scalars only
  bool quoted = false;  // a quoted scalar stays a string: '5' is not a number
  Loc loc;
  std::vector<SNode> items;                      // sequences
  std::vector<std::pair<SNode, SNode>> entries;  // mappings, in document order

  // Out of line: `entries` holds SNode, incomplete here (clang rejects inline ones).
  SNode();
  ~SNode();
  SNode(const SNode&);
  SNode(SNode&&) noexcept;
  SNode& operator=(const SNode&);
  SNode& operator=(SNode&&) noexcept;

  bool is_null() const { return kind == Kind::kNull; }
  bool is_scalar() const { return kind == Kind::kScalar; }
  bool is_seq() const { return kind == Kind::kSeq; }
  bool is_map() const { return kind == Kind::kMap; }
  const SNode* Get(const std::string& key) const;  // mapping lookup, nullptr when absent
  const char* KindName() const;
};

}  // namespace runbook
