// Wall-clock times as text: RFC 3339 UTC with milliseconds ("2026-11-27T19:02:03.456Z"),
// the one format the audit store, reports and metadata use.
#pragma once

#include <optional>
#include <string>

#include "engine/util/clock.h"

namespace runbook {

std::string FormatUtc(Clock::Wall t);
// Parses what FormatUtc writes, with or without fractional seconds, 'Z' or "+00:00".
// Years 1970-2200 only, and real dates: nullopt for 2026-02-30 or 2026-13-45.
std::optional<Clock::Wall> ParseUtc(const std::string& text);
int64_t UnixMillis(Clock::Wall t);

}  // namespace runbook
