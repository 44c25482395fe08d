#include "engine/source/yaml_reader.h"

#include <yaml-cpp/yaml.h>

#include <cstring>
#include <set>
#include <string>

#include "engine/util/strings.h"

namespace runbook {
namespace {

Loc LocOf(const YAML::Mark& mark, int length = 1) {
  if (mark.line < 0) return {};
  return {mark.line + 1, mark.column + 1, length};
}

Loc LocAtOffset(const std::string& text, size_t offset) {
  Loc loc{1, 1, 1};
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++loc.line;
      loc.col = 1;
    } else {
      ++loc.col;
    }
  }
  return loc;
}

// Converts yaml-cpp's tree; aliases are shared nodes there and are copied here, so the
// node budget is what bounds an alias bomb.
class Converter {
 public:
  Converter(const SourceText& source, Diagnostics& diags, const YamlLimits& limits)
      : source_(source), diags_(diags), limits_(limits) {}

  bool Convert(const YAML::Node& node, SNode& out, int depth) {
    if (++nodes_ > limits_.max_nodes)
      return Fail(node, "the document expands to more than " + std::to_string(limits_.max_nodes) +
                            " nodes (an alias bomb?)");
    if (depth > limits_.max_depth) {
      return Fail(node, "nesting deeper than " + std::to_string(limits_.max_depth) + " levels");
    }
    switch (node.Type()) {
      case YAML::NodeType::Scalar:
        return Scalar(node, out);
      case YAML::NodeType::Sequence:
        return Sequence(node, out, depth);
      case YAML::NodeType::Map:
        return Mapping(node, out, depth);
      default:
        out.kind = SNode::Kind::kNull;
        out.loc = LocOf(node.Mark());
        return true;
    }
  }

 private:
  bool Fail(const YAML::Node& node, const std::string& message) {
    if (!failed_) diags_.Error(source_.path, LocOf(node.Mark()), message);
    failed_ = true;
    return false;
  }

  bool Scalar(const YAML::Node& node, SNode& out) {
    out.kind = SNode::Kind::kScalar;
    out.text = node.Scalar();
    out.quoted = node.Tag() == "!";
    bool one_line = out.text.find('\n') == std::string::npos;
    int length = one_line ? static_cast<int>(out.text.size()) + (out.quoted ? 2 : 0) : 1;
    out.loc = LocOf(node.Mark(), length);
    // A plain `~`/`null` scalar is YAML's null.
    if (!out.quoted &&
        (out.text == "~" || out.text == "null" || out.text == "Null" || out.text == "NULL")) {
      out.kind = SNode::Kind::kNull;
    }
    return true;
  }

  bool Sequence(const YAML::Node& node, SNode& out, int depth) {
    out.kind = SNode::Kind::kSeq;
    out.loc = LocOf(node.Mark());
    out.items.reserve(node.size());
    for (const YAML::Node& item : node) {
      out.items.emplace_back();
      if (!Convert(item, out.items.back(), depth + 1)) return false;
    }
    return true;
  }

  bool Mapping(const YAML::Node& node, SNode& out, int depth) {
    out.kind = SNode::Kind::kMap;
    out.loc = LocOf(node.Mark());
    std::set<std::string> seen;
    for (auto it = node.begin(); it != node.end(); ++it) {
      out.entries.emplace_back();
      auto& [key, value] = out.entries.back();
      if (!Convert(it->first, key, depth + 1)) return false;
      if (!key.is_scalar()) {
        diags_.Error(source_.path, key.loc, "mapping keys must be plain strings");
      } else if (!seen.insert(key.text).second) {
        diags_.Error(source_.path, key.loc, "duplicate key '" + key.text + "'");
      }
      if (!Convert(it->second, value, depth + 1)) return false;
    }
    return true;
  }

  const SourceText& source_;
  Diagnostics& diags_;
  const YamlLimits& limits_;
  size_t nodes_ = 0;
  bool failed_ = false;
};

bool CheckBytes(const SourceText& source, Diagnostics& diags, const YamlLimits& limits) {
  const std::string& text = source.text;
  if (text.size() > limits.max_bytes) {
    diags.Error(source.path, {},
                "file is " + std::to_string(text.size()) + " bytes, over the limit of " +
                    std::to_string(limits.max_bytes));
    return false;
  }
  if (Trim(text).empty()) {
    diags.Error(source.path, {},
                "file is empty; expected a runbook (a mapping with version, "
                "name and steps)");
    return false;
  }
  size_t nul = text.find('\0');
  if (nul != std::string::npos) {
    diags.Error(source.path, LocAtOffset(text, nul),
                "file contains a NUL byte; a runbook is UTF-8 text, not binary data");
    return false;
  }
  size_t bad = FindInvalidUtf8(text);
  if (bad != std::string::npos) {
    diags.Error(source.path, LocAtOffset(text, bad), "invalid UTF-8; a runbook is UTF-8 text");
    return false;
  }
  return true;
}

}  // namespace

std::optional<SNode> ReadYaml(const SourceText& source, Diagnostics& diags,
                              const YamlLimits& limits) {
  if (!CheckBytes(source, diags, limits)) return std::nullopt;
  YAML::Node root;
  try {
    root = YAML::Load(source.text);
  } catch (const YAML::ParserException& e) {
    diags.Error(source.path, LocOf(e.mark), "invalid YAML: " + e.msg);
    return std::nullopt;
  } catch (const std::exception& e) {
    diags.Error(source.path, {}, std::string("invalid YAML: ") + e.what());
    return std::nullopt;
  }
  SNode out;
  Converter converter(source, diags, limits);
  try {
    if (!converter.Convert(root, out, 0)) return std::nullopt;
  } catch (const std::exception& e) {
    diags.Error(source.path, {}, std::string("invalid YAML: ") + e.what());
    return std::nullopt;
  }
  return out;
}

}  // namespace runbook
