// Redactor: replaces every declared secret's value with "***" in text that leaves the
// engine (live view, logs, outputs, errors, reports). Built once per run; thread-safe to
// use after construction.
#pragma once

#include <string>
#include <vector>

#include "engine/util/value.h"

namespace runbook {

constexpr size_t kMinSecretLength = 4;

// Environment variables whose values are treated as credentials and redacted although
// the runbook does not declare them: names holding SECRET, TOKEN, PASSWORD, PASSWD,
// API_KEY or PRIVATE_KEY, and AWS_ACCESS_KEY_ID.
bool IsCredentialName(const std::string& name);

class Redactor {
 public:
  // Adds a value, its URL-encoded form and the stable core of its base64 forms. Values
  // shorter than kMinSecretLength are ignored here; declared secrets that short are
  // refused when the run binds them (docs/secrets.md).
  void Add(const std::string& secret);
  std::string Apply(std::string text) const;
  Value Apply(const Value& value) const;
  bool empty() const { return secrets_.empty(); }

 private:
  std::vector<std::string> secrets_;  // longest first, so overlapping secrets mask fully
};

}  // namespace runbook
