// Plain YAML data as a Value: quoted scalars are strings; plain scalars follow the YAML
// 1.2 core schema (true/false, integers, floats, null), everything else is a string.
// yes/no/on/off stay strings (YAML 1.2, not 1.1). A plain scalar read as a number, boolean
// or null keeps its source text (Value::Written): where a string is wanted it is that text
// (`3.10` stays "3.10", `~` is ""). Thread-safe.
#pragma once

#include "engine/source/location.h"
#include "engine/util/value.h"

namespace runbook {

Value ScalarValue(const SNode& scalar);
Value ToValue(const SNode& node);

}  // namespace runbook
