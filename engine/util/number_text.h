// The one range rule for a number's text, whoever reads it: a runbook's YAML scalars, --set
// and the other values given as text (ParseTextAs), JSON as a person sent it, expressions.
#pragma once

#include <optional>
#include <string>

namespace runbook {

// The double `text` reads as (strtod: a decimal number, its fraction and exponent), when that
// keeps its magnitude; nullopt for one past ±1.8e308 (`1e400`, infinite) and for a nonzero one
// below the smallest double (`1e-400`, which strtod makes zero): both are beyond what a number
// holds, refused alike (break24a C4: 1e-400 was read as 0 where 1e400 was refused). `text`
// must already be a number's text; a subnormal (`1e-310`) is in range.
std::optional<double> DoubleInRange(const std::string& text);

// Whether `text` is a decimal number as a runbook's YAML reads one: [-+]? (digits [. digits?]
// | . digits) ([eE] [-+]? digits)?, nothing around it. No hex (`0x10`, `0x1p3`), no space, no
// `inf`/`nan` (strtod takes all of these: break25a #8 `--set n=0x1p3` was 8.0, `' 5'` was 5).
bool IsDecimalNumber(const std::string& text);

// What is said of an integer written past 64 bits, after its quoted text ("'1e30' is out of
// range ..."): one wording for the file's fields, params' values and --set.
inline constexpr const char* kIntegerOutOfRange =
    "is out of range for an integer (-2^63 to 2^63-1)";

}  // namespace runbook
