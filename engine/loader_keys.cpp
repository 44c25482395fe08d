// A mapping of the runbook file checked against its block of the runbook keys
// (runbook_keys.h): unknown and missing keys, and each value's type, bounds, format and
// whether it may hold ${{ }}. The readers then take only values that passed.
#include "engine/loader_internal.h"
#include "engine/source/snode_value.h"
#include "engine/util/strings.h"

namespace runbook {
namespace {

// The first scalar in `node` holding ${{ (nullptr when none).
const SNode* FindExpression(const SNode& node) {
  if (node.is_scalar()) return HasExpressionMarker(node.text) ? &node : nullptr;
  for (const SNode& item : node.items) {
    if (const SNode* found = FindExpression(item)) return found;
  }
  for (const auto& [key, value] : node.entries) {
    if (const SNode* found = FindExpression(value)) return found;
  }
  return nullptr;
}

// "The step type." -> "the step type": a doc line as a parenthesis in a message.
std::string Hint(std::string doc) {
  if (!doc.empty() && doc.back() == '.') doc.pop_back();
  if (!doc.empty() && doc[0] >= 'A' && doc[0] <= 'Z')
    doc[0] = static_cast<char>(doc[0] - 'A' + 'a');
  return doc;
}

bool CheckRange(FieldReader& r, const SNode& node, const KeySpec& k, int64_t v) {
  if (k.minimum && k.minimum == k.maximum && v != *k.minimum) {
    r.Error(node.loc, "unsupported " + k.what() + " " + std::to_string(v) +
                          "; this runbook engine reads " + k.what() + " " +
                          std::to_string(*k.minimum));
    return false;
  }
  if (k.minimum && v < *k.minimum) {
    r.Error(node.loc, k.what() + " must be at least " + std::to_string(*k.minimum) + k.minimum_why +
                          ", found " + std::to_string(v));
    return false;
  }
  if (k.maximum && v > *k.maximum) {
    r.Error(node.loc, k.what() + " must be at most " + std::to_string(*k.maximum) + ", found " +
                          std::to_string(v));
    return false;
  }
  return true;
}

bool CheckString(FieldReader& r, const SNode& node, const KeySpec& k) {
  auto s = r.String(node, k.what());
  if (!s) return false;
  if (k.format != nullptr && !k.format->matches(*s)) {
    r.Error(node.loc, "invalid " + k.what() + " '" + *s + "'; expected " + k.format->words);
    return false;
  }
  return true;
}

bool CheckInteger(FieldReader& r, const SNode& node, const KeySpec& k) {
  auto v = r.Integer(node, k.what());
  return v && CheckRange(r, node, k, *v);
}

bool CheckNumber(FieldReader& r, const SNode& node, const KeySpec& k) {
  if (node.is_scalar() && ScalarValue(node).is_number()) return true;
  r.Error(node.loc, k.what() + " must be a number");
  return false;
}

bool CheckBoolOrChoice(FieldReader& r, const SNode& node, const KeySpec& k) {
  if (node.is_scalar() && !node.quoted && (node.text == "true" || node.text == "false"))
    return true;
  for (const std::string& c : k.choices) {
    if (node.is_scalar() && node.text == c) return true;
  }
  r.Error(node.loc, k.what() + " must be true, false or " + Join(k.choices, ", ") + ", found " +
                        (node.is_scalar() ? "'" + node.text + "'" : node.KindName()));
  return false;
}

bool CheckStringList(FieldReader& r, const SNode& node, const KeySpec& k) {
  auto list = r.StringList(node, k.what());
  if (!list) return false;
  bool ok = true;
  for (size_t i = 0; i < list->size() && !k.choices.empty(); ++i) {
    ok = r.Choice(node.is_seq() ? node.items[i] : node, k.what(), k.choices).has_value() && ok;
  }
  return ok;
}

bool CheckIntegerList(FieldReader& r, const SNode& node, const KeySpec& k) {
  if (!node.is_seq()) {
    r.Error(node.loc, k.what() + " must be a list of integers, found " + node.KindName());
    return false;
  }
  bool ok = true;
  for (const SNode& item : node.items) ok = r.Integer(item, "each item of " + k.what()) && ok;
  return ok;
}

bool CheckShape(FieldReader& r, const SNode& node, const KeySpec& k, SNode::Kind kind,
                const char* noun) {
  if (node.kind == kind) return true;
  r.Error(node.loc, k.what() + " must be " + noun + ", found " + node.KindName());
  return false;
}

// A switch, not a table: a new KeyType fails to compile (-Wswitch) until both this and the
// schema generator (schema.cpp, KeyTypeSchema) say what it takes.
bool CheckValue(FieldReader& r, const SNode& node, const KeySpec& k) {
  switch (k.type) {
    case KeyType::kString:
    case KeyType::kStepType:
      return CheckString(r, node, k);
    case KeyType::kInteger:
      return CheckInteger(r, node, k);
    case KeyType::kNumber:
      return CheckNumber(r, node, k);
    case KeyType::kBoolean:
      return r.Boolean(node, k.what()).has_value();
    case KeyType::kDuration:
      return r.Duration(node, k.what()).has_value();
    case KeyType::kPositiveDuration:
      return r.PositiveDuration(node, k.what()).has_value();
    case KeyType::kChoice:
      return r.Choice(node, k.what(), k.choices).has_value();
    case KeyType::kBoolOrChoice:
      return CheckBoolOrChoice(r, node, k);
    case KeyType::kStringList:
      return CheckStringList(r, node, k);
    case KeyType::kIntegerList:
      return CheckIntegerList(r, node, k);
    case KeyType::kList:
      // One ${{ }} expression where the key takes them (for_each): read by the key's reader.
      if (k.expressions && node.is_scalar() && HasExpressionMarker(node.text)) return true;
      return CheckShape(r, node, k, SNode::Kind::kSeq,
                        k.expressions ? "a list or one ${{ }} expression" : "a list");
    case KeyType::kBlockList:
      return CheckShape(r, node, k, SNode::Kind::kSeq, "a list");
    case KeyType::kAny:
      return true;
    case KeyType::kBlock:
    case KeyType::kBlockMap:
    case KeyType::kEnv:
    case KeyType::kStepParams:
      return CheckShape(r, node, k, SNode::Kind::kMap, "a mapping");
    case KeyType::kCondition:
      return CheckShape(r, node, k, SNode::Kind::kScalar, "an expression");
  }
  return false;
}

// Values of nested blocks, env and `with` are checked by their own readers.
bool HoldsOwnValues(KeyType t) {
  return t == KeyType::kBlock || t == KeyType::kBlockMap || t == KeyType::kBlockList ||
         t == KeyType::kEnv || t == KeyType::kStepParams;
}

bool CheckKey(FieldReader& r, const SNode& node, const KeySpec& k) {
  if (!k.expressions && !HoldsOwnValues(k.type)) {
    if (const SNode* e = FindExpression(node)) {
      r.Error(e->loc, k.what() +
                          " does not take ${{ }} expressions (it is read when the "
                          "runbook is loaded), found '" +
                          e->text + "'");
      return false;
    }
  }
  return CheckValue(r, node, k);
}

}  // namespace

const SNode* CheckedBlock::Get(const std::string& key) const {
  for (const std::string& k : passed_) {
    if (k == key) return map_->Get(key);
  }
  return nullptr;
}

CheckedBlock CheckBlock(FieldReader& r, const SNode& map, const BlockSpec& block,
                        const std::string& who) {
  CheckedBlock out(map);
  r.CheckKeys(map, block.Names(), block.where);
  for (const KeySpec& k : block.keys) {
    const SNode* value = map.Get(k.name);
    if (value == nullptr && k.required) {
      r.Error(map.loc, (who.empty() ? block.where : who) + " is missing required key '" + k.name +
                           "' (" + Hint(k.doc) + ")");
    }
    if (value != nullptr && CheckKey(r, *value, k)) out.Pass(k.name);
  }
  size_t given = 0;
  for (const std::string& k : block.exactly_one) given += map.Get(k) != nullptr ? 1 : 0;
  if (!block.exactly_one.empty() && given != 1) {
    r.Error(map.loc, (who.empty() ? block.where : who) + " needs exactly one of '" +
                         Join(block.exactly_one, "' or '") + "'");
  }
  return out;
}

}  // namespace runbook
