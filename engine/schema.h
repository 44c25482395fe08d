// The runbook JSON Schema (draft-07), generated from what the loader validates with: the
// runbook keys (runbook_keys.h) and the step types' specs, so editors and the loader agree.
// Pure.
#pragma once

#include "engine/plugin/registry.h"
#include "engine/util/value.h"

namespace runbook {

Value RunbookSchema(const StepRegistry& registry);

}  // namespace runbook
