// A regular expression whose every match ends in bounded time and memory: PCRE2 (a well-kept
// library, Debian's libpcre2) with a match limit, a depth limit and a heap limit, in place of
// POSIX regexec, whose bounded repetitions (`a{100}{100}b`) ran for minutes over one long line
// and could not be stopped by the step's timeout or a second signal (break23a B1). PCRE2's
// syntax accepts POSIX extended expressions (classes such as [[:digit:]] included).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "engine/util/status.h"

namespace runbook {

// One thread at a time (copies share it): its match data is reused by every Search.
class BoundedRegex {
 public:
  // At most this many backtracking steps for one subject (PCRE2's match limit): tens of
  // milliseconds at most.
  static constexpr uint32_t kMatchLimit = 1'000'000;
  // Compiles `pattern`. Errors: "not a valid regular expression at character N: WHY" (PCRE2's
  // words; the pattern is not quoted), or a pattern over PCRE2's compiled size.
  static Result<BoundedRegex> Compile(const std::string& pattern);
  // Whether `subject` holds a match. Errors: the match took more than kMatchLimit steps or
  // its memory limit ("takes too much work: ..."); never a partial answer.
  Result<bool> Search(std::string_view subject) const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace runbook
