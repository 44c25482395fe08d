// The runbook JSON Schema (draft-07), generated from the same step specs the loader
// validates with, so editors and the loader agree. Pure.
#pragma once

#include "engine/plugin/registry.h"
#include "engine/util/value.h"

namespace runbook {

Value RunbookSchema(const StepRegistry& registry);

}  // namespace runbook
