// Typed, located reading of YAML fields for the loader: each reader reports a mistake at
// the offending node and returns nullopt, so the loader can carry on and report the rest.
// Internal to the loader. Not thread-safe (one per load).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/source/diagnostics.h"
#include "engine/source/location.h"
#include "engine/template.h"
#include "engine/util/duration.h"

namespace runbook {

class FieldReader {
 public:
  FieldReader(const SourceText& source, Diagnostics& diags) : source_(source), diags_(diags) {}

  void Error(Loc loc, std::string message) { diags_.Error(source_.path, loc, std::move(message)); }
  void Warning(Loc loc, std::string message) {
    diags_.Warning(source_.path, loc, std::move(message));
  }

  // Reports keys not in `allowed` ("unknown key 'x' in <where>; did you mean 'y'?").
  void CheckKeys(const SNode& map, const std::vector<std::string>& allowed,
                 const std::string& where);
  bool ExpectMap(const SNode& node, const std::string& what);

  std::optional<std::string> String(const SNode& node, const std::string& what);
  std::optional<int64_t> Integer(const SNode& node, const std::string& what);
  std::optional<bool> Boolean(const SNode& node, const std::string& what);
  std::optional<Millis> Duration(const SNode& node, const std::string& what);
  // A duration above zero (a timeout: zero would fail every attempt at once).
  std::optional<Millis> PositiveDuration(const SNode& node, const std::string& what);
  std::optional<std::vector<std::string>> StringList(const SNode& node, const std::string& what);
  // One of `choices`; suggests the closest on a typo.
  std::optional<std::string> Choice(const SNode& node, const std::string& what,
                                    const std::vector<std::string>& choices);

  // A value tree whose strings may hold ${{ }}; expression syntax errors are located.
  TNode Tree(const SNode& node);
  std::optional<Template> TemplateOf(const SNode& scalar);
  // Whether `scalar`'s expression text still fits the runbook's total (kMaxRunbookExprBytes,
  // aliases counted each time they are used); an error at it, said once, when not.
  bool ExpressionTextFits(const SNode& scalar);
  // Location of `offset` bytes into a scalar's text (quotes accounted for).
  Loc LocIn(const SNode& scalar, int offset, int length) const;
  Loc LocIn(Loc loc, const std::string& text, bool quoted, int offset, int length) const;

  const SourceText& source() const { return source_; }

 private:
  const SourceText& source_;
  Diagnostics& diags_;
  size_t expression_bytes_ = 0;  // ExpressionTextFits: what the runbook's expressions hold
};

}  // namespace runbook
