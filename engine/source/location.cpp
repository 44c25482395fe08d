#include "engine/source/location.h"

namespace runbook {

SNode::SNode() = default;
SNode::~SNode() = default;
SNode::SNode(const SNode&) = default;
SNode::SNode(SNode&&) noexcept = default;
SNode& SNode::operator=(const SNode&) = default;
SNode& SNode::operator=(SNode&&) noexcept = default;

const SNode* SNode::Get(const std::string& key) const {
  for (const auto& [k, v] : entries) {
    if (k.text == key) return &v;
  }
  return nullptr;
}

const char* SNode::KindName() const {
  switch (kind) {
    case Kind::kNull:
      return "null";
    case Kind::kScalar:
      return "a scalar";
    case Kind::kSeq:
      return "a list";
    case Kind::kMap:
      return "a mapping";
  }
  return "?";
}

}  // namespace runbook
