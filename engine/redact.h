// Redactor: replaces every declared secret's value with "***" in text that leaves the
// engine (live view, logs, outputs, errors, reports). Built once per run; thread-safe to
// use after construction.
#pragma once

#include <string>
#include <vector>

#include "engine/util/value.h"

namespace runbook {

class Redactor {
 public:
  // Values shorter than 4 bytes are not redacted: they would mask ordinary text and are
  // too short to be secrets worth the name (documented in docs/secrets.md).
  void Add(const std::string& secret);
  std::string Apply(std::string text) const;
  Value Apply(const Value& value) const;
  bool empty() const { return secrets_.empty(); }

 private:
  std::vector<std::string> secrets_;  // longest first, so overlapping secrets mask fully
};

}  // namespace runbook
