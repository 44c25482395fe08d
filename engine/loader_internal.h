// Pieces of the loader shared between its files. Internal; not for other modules.
#pragma once

#include "engine/loader_fields.h"
#include "engine/model.h"
#include "engine/plugin/registry.h"

namespace runbook {

// loader_steps.cpp: one entry of `steps` or `finally`.
void ReadStep(FieldReader& r, const SNode& node, const StepRegistry& registry, bool is_finally,
              const Runbook& rb, StepDecl& out);
void ReadRetry(FieldReader& r, const SNode& node, RetryPolicy& out);
TemplateMap ReadEnv(FieldReader& r, const SNode& node, const std::string& what);

// loader_check.cpp: checks across the whole runbook, once every part is read.
void CheckSteps(FieldReader& r, const Runbook& rb);
void CheckExpressions(FieldReader& r, Runbook& rb);

// loader_steps.cpp: the static expression type of a parameter or output type.
SType StaticTypeOfParam(ParamType t);

}  // namespace runbook
