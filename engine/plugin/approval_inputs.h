// The typed inputs of an approval gate (the `approval` step's `inputs`: name -> {type,
// description, default, required, enum}), read into ParamSpecs. Shared by the step, which
// asks them, and the command line, which checks --input values before the first step runs
// (breakL L9: a wrong value was found only at the gate, after the work before it).
#pragma once

#include <string>
#include <vector>

#include "engine/plugin/spec.h"
#include "engine/util/value.h"

namespace runbook {

// The specs of `inputs` (a map), in its order; `error` names every malformed one, "; "
// between them (a declaration that is not a mapping, an unknown type or key, a default its
// own type or enum refuses), "" when none is. At load time `inputs` may hold Unknowns (the
// parts written as expressions, TNode::ShapeValue): the rest is checked (breakR R8), a
// declaration that is one expression is left out, and an Unknown type, enum or `required`
// is left unset (the gate checks them); an Unknown default is kept as the default.
std::vector<ParamSpec> ApprovalInputSpecs(const Value& inputs, std::string& error);

// One mistake in the declaration of an approval's inputs.
struct InputMistake {
  std::string pointer;  // where in `inputs` (JSON Pointer): "/NAME" or "/NAME/KEY"
  std::string message;  // "input 'NAME': ..."
};
// The same, each mistake apart with its place, for the load-time check that places each at
// its line and column (break24a D1: all were one message at `inputs`).
std::vector<ParamSpec> ApprovalInputSpecs(const Value& inputs, std::vector<InputMistake>& mistakes);

}  // namespace runbook
