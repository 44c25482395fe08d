// Redactor: replaces every declared secret with "***" in text that leaves the engine (live
// view, logs, outputs and their names, errors, reports, the audit store). Forms masked:
// the value as written, percent-encoded (either case), form-encoded, JSON-escaped,
// HTML/XML-escaped (named, decimal and hex character references), quoted by a shell, SQL or
// CSV (`\$`, `'\''`, `''`, `""`), hex (either case), base64 and base64url (any padding,
// also inside longer base64; hex and base64 also wrapped across lines), each
// line of a multi-line secret alone, and the text a secret that reads as a number has once
// read as an integer or number param (`00424242` as 424242; docs/secrets.md). Forms
// shorter than kMinSecretLength are not masked. Text that was cut (a window, a tail,
// a long line in pieces) is masked with ApplyCut, which also masks the piece of a secret
// left at the cut. Built once per run; thread-safe to use after construction.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "engine/redact_pattern.h"
#include "engine/util/value.h"

namespace runbook {

constexpr size_t kMinSecretLength = 4;
// What a secret is replaced with.
constexpr const char* kMask = "***";
// A value given to a run (--input, an approval's inputs through the API, a resume's param)
// that holds the mask was copied from a shown record, not typed: the step would get "***"
// (breakM M27, break23a C2). "WHAT: give the value itself; ..." for such a `value`, "" for
// any other.
std::string CopiedMaskProblem(const std::string& what, const std::string& value);
// A piece of a secret left beside a cut is masked from this many bytes on.
constexpr size_t kMinCutFragment = 3;

// Environment variables whose values are treated as credentials and redacted although
// the runbook does not declare them: names holding SECRET, TOKEN, PASSWORD, PASSWD,
// API_KEY or PRIVATE_KEY, and AWS_ACCESS_KEY_ID.
bool IsCredentialName(const std::string& name);

// Where a text was cut from a longer one (bit flags).
enum CutEdge : unsigned { kCutNone = 0, kCutBefore = 1, kCutAfter = 2 };

class Redactor {
 public:
  // Adds a secret in all its forms. Values shorter than kMinSecretLength are ignored here;
  // declared secrets that short are refused when the run binds them (docs/secrets.md).
  void Add(const std::string& secret);
  std::string Apply(std::string text) const { return ApplyCut(std::move(text), kCutNone); }
  // As Apply, for a text cut from a longer one at `edges`: it also masks a beginning that
  // is the end of a secret (kCutBefore) and an end that is its beginning (kCutAfter), from
  // kMinCutFragment bytes on.
  std::string ApplyCut(std::string text, unsigned edges) const;
  // text[begin, end) masked, every form found in the whole `text` that reaches into it
  // included; `edges` are cuts at the ends of `text` (as ApplyCut's). For a part of a stream
  // shown with the text around it (engine/live_lines.h).
  std::string ApplyPart(std::string_view text, size_t begin, size_t end,
                        unsigned edges = kCutNone) const;
  // The length in bytes of the longest end of `text` that is a proper beginning of a form of
  // a secret (hex and base64 going on across line breaks, tools wrap them at 60 to 76
  // columns), 0 when none: text that may come next could complete it.
  size_t FormBegunAtEnd(std::string_view text) const;
  // Strings in the value, map keys included; a number or boolean whose text holds a secret
  // becomes that text masked, a string (breakL L15, breakQ Q1: a PIN given to an integer param
  // or approval input was recorded as its digits wherever a value, not a text, was masked).
  Value Apply(const Value& value) const;
  bool empty() const { return patterns_.empty(); }
  // A keyed fingerprint of `text`: hex HMAC-SHA256 keyed by the secrets added that `text`
  // holds (each alone masks some of it; in sorted order), "" when it holds none. Equal for
  // equal texts under the same secrets, useless to whoever lacks them, so the store may keep
  // it beside a masked value to prove a value given again is the one masked (breakN N5:
  // another secret at the same place, or an encoded form of the same, masked alike and
  // passed). Secrets it does not hold are no part of the key: a per-job token the run
  // inherited changes by the resume (breakO O2).
  // Its key also takes `fingerprint_key` (SetFingerprintKey): a store's own random key, which
  // a reader of the store or of an export does not have (breakO O15: keyed by the secrets
  // alone, the fingerprint of a param holding a 6-digit PIN verified guesses offline). ""
  // without that key.
  std::string Fingerprint(std::string_view text) const;
  void SetFingerprintKey(std::string key) { fingerprint_key_ = std::move(key); }

 private:
  // Add without the number forms: `secret` in its encodings and each of its lines.
  void AddForm(const std::string& secret);
  size_t LongestMatch(std::string_view text, size_t at) const;
  using Spans = std::vector<std::pair<size_t, size_t>>;  // [begin, end) byte ranges
  // Appends the spans of `text` that hold a secret in a form the patterns know.
  void PlainSpans(std::string_view text, Spans& out) const;
  // Appends the spans of `text` that hold such a form behind 1 to `layers` layers of
  // percent-encoding or JSON string escaping, in any order (engine/redact_layers.h); with
  // `edges` (CutEdge), also a piece of one beside a cut, as ApplyCut masks a plain one.
  void LayeredSpans(std::string_view text, int layers, unsigned edges, Spans& out) const;
  // Appends the span of a piece of a secret at `text`'s cut `edges`.
  void CutSpans(std::string_view text, unsigned edges, Spans& out) const;
  size_t CutHead(std::string_view text) const;
  bool CutTail(std::string_view text, size_t at) const;

  std::vector<SecretPattern> patterns_;
  std::set<std::string> secrets_;  // as added, for Fingerprint's key
  std::string fingerprint_key_;
};

// A run's redactor: every string among `secrets`, and the values of 8 bytes or more of the
// credential-named variables (IsCredentialName) in `env`, the environment steps inherit.
Redactor RunRedactor(const Value::Map& secrets, const std::map<std::string, std::string>& env);

}  // namespace runbook
