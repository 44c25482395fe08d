#include "engine/util/number_text.h"

#include <cmath>
#include <cstdlib>

namespace runbook {

std::optional<double> DoubleInRange(const std::string& text) {
  double d = std::strtod(text.c_str(), nullptr);
  if (!std::isfinite(d)) return std::nullopt;
  if (d != 0) return d;
  // Zero: in range only when every digit of the mantissa is (`0.0e-999` is zero, `1e-400` is not).
  for (char c : text) {
    if (c == 'e' || c == 'E') break;
    if (c >= '1' && c <= '9') return std::nullopt;
  }
  return d;
}

}  // namespace runbook
