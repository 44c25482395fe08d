// Durations as written in runbooks ("500ms", "30s", "10m", "2h", "1h30m") and their
// rendering for people. Pure functions; thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace runbook {

using Millis = std::chrono::milliseconds;

// Parses a sequence of <integer><unit> with units h, m, s, ms in descending order.
// Returns nullopt for anything else (empty, negative, unknown unit, overflow).
std::optional<Millis> ParseDuration(std::string_view text);
// Why ParseDuration refuses `text`, for people: "invalid duration 'X'; expected ..." or, for
// a well-formed one past 100 years, "duration 'X' is out of range: at most 876000h (100
// years)" (break22 #13: both said "invalid"). "" when it parses.
std::string DurationProblem(std::string_view text);

// The canonical form ParseDuration accepts: "1h30m", "2s", "250ms", "0s".
std::string FormatDuration(Millis d);

// For summaries: "1.23s", "2m05s", "1h02m", "15ms".
std::string HumanDuration(Millis d);

}  // namespace runbook
