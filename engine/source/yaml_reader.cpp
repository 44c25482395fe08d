#include "engine/source/yaml_reader.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <sstream>
#include <string>
#include <unordered_set>
#include <vector>

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

struct Abort {};  // thrown by the builder to stop the parser after an error it reported

// Builds the located tree straight from yaml-cpp's parser events (no intermediate node
// graph, so memory stays near the size of the result). Aliases are copied, so the node and
// text budgets, checked before each copy, are what bound an alias bomb; depth is checked on
// every container.
class Builder final : public YAML::EventHandler {
 public:
  Builder(const SourceText& source, Diagnostics& diags, const YamlLimits& limits)
      : source_(source), diags_(diags), limits_(limits) {}

  SNode& root() { return root_; }

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    const Loc at = EmptyValueLoc(mark);
    SNode& n = Place(mark, {1, 0});
    n.loc = at;
    Done(n, anchor, {1, 0});
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) Fail(LocOf(mark), "unknown alias");
    if (text_ + it->second.size.text > limits_.max_text_bytes) {
      std::string name = AliasName(mark);
      Fail(LocOf(mark, static_cast<int>(name.size())),
           "alias '" + Printable(name) + "' expands the document past " +
               std::to_string(limits_.max_text_bytes >> 20) + " MiB of text (an alias bomb?)");
    }
    SNode& n = Place(mark, it->second.size);
    n = it->second.node;
    Done(n, 0, it->second.size);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    RefuseTag(mark, tag);
    SNode& n = Place(mark, {1, value.size()});
    n.kind = SNode::Kind::kScalar;
    n.text = value;
    n.quoted = tag == "!";
    bool one_line = value.find('\n') == std::string::npos;
    n.loc = LocOf(mark, one_line ? static_cast<int>(value.size()) + (n.quoted ? 2 : 0) : 1);
    // A double-quoted "\0" or "\x00" makes a NUL the file itself does not hold (CheckBytes):
    // an argv item, an env value or a path ends there, so the command would get less than
    // is written, the program run included (break23a C3). Refused where it is written.
    if (value.find('\0') != std::string::npos)
      diags_.Error(source_.path, n.loc,
                   "a NUL character (\\0) in a value: a command, its environment and a path "
                   "end at a NUL, so it would get less than is written");
    // A plain `~`/`null` scalar is YAML's null.
    if (!n.quoted && (value == "~" || value == "null" || value == "Null" || value == "NULL"))
      n.kind = SNode::Kind::kNull;
    Done(n, anchor, {1, value.size()});
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    RefuseTag(mark, tag);
    Open(mark, SNode::Kind::kSeq, anchor);
  }
  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    RefuseTag(mark, tag);
    Open(mark, SNode::Kind::kMap, anchor);
  }
  void OnSequenceEnd() override { Close(); }
  void OnMapEnd() override { Close(); }

 private:
  // What a node adds to the budgets: nodes and bytes of scalar text, aliases expanded.
  struct Size {
    size_t nodes;
    size_t text;
  };
  struct Open_ {
    SNode* node;
    YAML::anchor_t anchor;
    Size before;                           // the budgets spent before the container
    bool want_key = true;                  // mappings: the next event is a key
    std::unordered_set<std::string> keys;  // a hash set: linear in the keys
  };
  struct Anchored {
    SNode node;
    Size size;
  };

  // An explicit tag (`!!str 4`, `!!seq` over a mapping, `!!binary`) is refused where it is
  // written: runbook reads a value by what its field wants, and a tag that said otherwise was
  // ignored without a word (break23a C7). yaml-cpp gives "?" for a plain node without one and
  // "!" for a quoted scalar.
  void RefuseTag(const YAML::Mark& mark, const std::string& tag) {
    if (tag.empty() || tag == "?" || tag == "!") return;
    static const std::string kCore = "tag:yaml.org,2002:";
    std::string shown = tag.rfind(kCore, 0) == 0 ? "!!" + tag.substr(kCore.size()) : tag;
    diags_.Error(source_.path, LocOf(mark),
                 "YAML tag '" + Printable(shown) +
                     "': runbook reads tags nowhere; a value is read as its field wants it "
                     "(quote it to make it text)");
  }

  [[noreturn]] void Fail(const Loc& loc, const std::string& message) {
    diags_.Error(source_.path, loc, message);
    throw Abort{};
  }

  // `*name` at the alias's mark, as written (yaml-cpp reports only the anchor's number).
  std::string AliasName(const YAML::Mark& mark) const {
    const std::string& text = source_.text;
    size_t at = mark.pos < 0 ? text.size() : static_cast<size_t>(mark.pos);
    if (at >= text.size() || text[at] != '*') return "*";
    size_t end = text.find_first_of(" \t\r\n,[]{}", at + 1);
    return text.substr(at, std::min(end, text.size()) - at);
  }

  // Where the next node goes: the root, a sequence item, or a mapping key or value.
  SNode& Place(const YAML::Mark& mark, Size size) {
    nodes_ += size.nodes;
    text_ += size.text;
    if (nodes_ > limits_.max_nodes)
      Fail(LocOf(mark), "the document expands to more than " + std::to_string(limits_.max_nodes) +
                            " nodes (an alias bomb?)");
    if (open_.empty()) return root_;
    SNode& parent = *open_.back().node;
    if (parent.is_seq()) return parent.items.emplace_back();
    if (open_.back().want_key) return parent.entries.emplace_back().first;
    return parent.entries.back().second;
  }

  // Where an empty value is: yaml-cpp marks the token after it, which may be the next step
  // or the end of the file, so a value left out (`key:` alone on its line) is placed at its
  // key instead (break27a #8: `last:` was reported at the next step's `- id:`).
  Loc EmptyValueLoc(const YAML::Mark& mark) const {
    Loc at = LocOf(mark);
    if (open_.empty() || !open_.back().node->is_map() || open_.back().want_key) return at;
    const SNode& key = open_.back().node->entries.back().first;
    if (key.loc.line > 0 && at.line != key.loc.line) return key.loc;
    return at;
  }

  // A node is complete: remember its anchor, check a mapping key.
  void Done(const SNode& n, YAML::anchor_t anchor, Size size) {
    if (anchor != 0) anchors_[anchor] = {n, size};
    if (open_.empty() || !open_.back().node->is_map()) return;
    Open_& map = open_.back();
    if (map.want_key) {
      if (!n.is_scalar()) {
        diags_.Error(source_.path, n.loc, "mapping keys must be plain strings");
      } else if (!map.keys.insert(n.text).second) {
        diags_.Error(source_.path, n.loc, "duplicate key '" + n.text + "'");
      }
    }
    map.want_key = !map.want_key;
  }

  void Open(const YAML::Mark& mark, SNode::Kind kind, YAML::anchor_t anchor) {
    if (static_cast<int>(open_.size()) >= limits_.max_depth)
      Fail(LocOf(mark), "nesting deeper than " + std::to_string(limits_.max_depth) + " levels");
    SNode& n = Place(mark, {1, 0});
    n.kind = kind;
    n.loc = LocOf(mark);
    open_.push_back({&n, anchor, {nodes_ - 1, text_}, true, {}});
  }

  void Close() {
    Open_ done = std::move(open_.back());
    open_.pop_back();
    if (done.node->is_map()) Merge(*done.node);
    Done(*done.node, done.anchor, {nodes_ - done.before.nodes, text_ - done.before.text});
  }

  // YAML's merge key (yaml.org/type/merge.html, as PyYAML, Docker Compose and GitLab CI read
  // it): `<<: *defaults` or `<<: [*a, *b]` puts into the mapping each key of those mappings it
  // does not have itself, an earlier mapping of the list before a later one. The merged
  // entries keep their locations (the anchor's), so an error in one points there. A quoted
  // '<<' is an ordinary key.
  void Merge(SNode& map) {
    std::vector<std::pair<SNode, SNode>> own;
    std::vector<const SNode*> sources;
    std::vector<SNode> merges;  // the `<<` values, kept alive while merging
    for (auto& entry : map.entries) {
      if (!entry.first.is_scalar() || entry.first.quoted || entry.first.text != "<<") {
        own.push_back(std::move(entry));
        continue;
      }
      merges.push_back(std::move(entry.second));
    }
    if (merges.empty()) {
      map.entries = std::move(own);
      return;
    }
    for (const SNode& m : merges) {
      if (m.is_map()) {
        sources.push_back(&m);
        continue;
      }
      bool maps = m.is_seq() && std::all_of(m.items.begin(), m.items.end(),
                                            [](const SNode& i) { return i.is_map(); });
      if (!maps) {
        diags_.Error(source_.path, m.loc,
                     "a merge key '<<' takes a mapping or a list of mappings (an alias such as "
                     "`<<: *defaults`), found " +
                         std::string(m.KindName()));
        continue;
      }
      for (const SNode& i : m.items) sources.push_back(&i);
    }
    std::unordered_set<std::string> have;
    for (const auto& [key, value] : own) have.insert(key.text);
    for (const SNode* source : sources)
      for (const auto& [key, value] : source->entries)
        if (have.insert(key.text).second) own.emplace_back(key, value);
    map.entries = std::move(own);
  }

  const SourceText& source_;
  Diagnostics& diags_;
  const YamlLimits& limits_;
  SNode root_;
  std::vector<Open_> open_;
  std::map<YAML::anchor_t, Anchored> anchors_;
  size_t nodes_ = 0;
  size_t text_ = 0;  // bytes of scalar text placed so far
};

// Stops the parser at the start of a second document, remembering where it starts.
class SecondDocument final : public YAML::EventHandler {
 public:
  YAML::Mark start;

  void OnDocumentStart(const YAML::Mark& mark) override {
    start = mark;
    throw Abort{};
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

// A runbook file holds one document: anything after it but comments, blank lines and `...`
// is an error where it starts (PyYAML: "expected a single document in the stream").
void CheckSingleDocument(YAML::Parser& parser, const SourceText& source, Diagnostics& diags) {
  SecondDocument second;
  try {
    parser.HandleNextDocument(second);
  } catch (const Abort&) {
    const YAML::Mark& at = second.start;
    bool marker = at.column == 0 && StartsWith(source.Line(at.line + 1), "---");
    diags.Error(source.path, LocOf(at, marker ? 3 : 1),
                "a second YAML document starts here; a runbook file holds exactly one "
                "document (move the second one to a file of its own)");
  }
}

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
  std::istringstream in(source.text);
  Builder builder(source, diags, limits);
  try {
    YAML::Parser parser(in);
    parser.HandleNextDocument(builder);
    CheckSingleDocument(parser, source, diags);
  } catch (const Abort&) {
    return std::nullopt;
  } catch (const YAML::ParserException& e) {
    diags.Error(source.path, LocOf(e.mark), "invalid YAML: " + e.msg);
    return std::nullopt;
  } catch (const YAML::Exception& e) {
    diags.Error(source.path, LocOf(e.mark), "invalid YAML: " + e.msg);
    return std::nullopt;
  } catch (const std::bad_alloc&) {
    diags.Error(source.path, {}, "out of memory while reading the YAML");
    return std::nullopt;
  } catch (const std::exception& e) {
    diags.Error(source.path, {},
                std::string("internal error while reading YAML: ") + e.what() + " — please report");
    return std::nullopt;
  }
  return std::move(builder.root());
}

}  // namespace runbook
