// Loops: a step with `for_each:` runs once per item of a list, each item a step of its own
// (`ID[0]`, `ID[1]` ...) with attempts, outcome and outputs of its own, so the audit store,
// the live view, `show` and resume see each item as they see any step (docs/format.md#loops).
// The list is known before the run starts (params only), so `plan` shows every item. Where
// the rules come from: GitHub Actions' matrix (`max-parallel`, `fail-fast`, true by default)
// and Argo's `withItems` (an item per node, outputs gathered as a list).
#pragma once

#include <cstddef>
#include <vector>

#include "engine/model.h"
#include "engine/plan.h"
#include "engine/util/status.h"
#include "engine/util/value.h"

namespace runbook {

// The most items one loop may have: a list larger than this is more likely a mistake (a
// param holding a file's lines) than a plan, and each item is a step in every view.
inline constexpr size_t kMaxLoopItems = 1000;

// Replaces each loop step of `rb` (a step with `loop` and no `loop_of`) by its items, in
// place and in order: `ID[0]` ... each a copy of the loop step with `loop_of`, `loop_index`
// and `loop_item` set; a step that needs the loop needs every item; `rb.loops` maps each loop
// id to its items; `rb.step_index` is rebuilt. The list is the `for_each` value evaluated
// against `params` (as BindParams gives them). With `plan_unset`, a list that is not known
// (a required param not given) leaves its loop as one step. Runbooks without loops are left
// as they are. Errors (nothing is run: exit 2), located at the `for_each` value: the value is
// not a list, the list is empty, it has more than kMaxLoopItems items, the expression fails.
Status ExpandLoops(Runbook& rb, const Value::Map& params, bool plan_unset = false);

// Rebuilds rb.loops from the steps' `loop_of` (after any change of rb.steps): a loop's items
// are its steps, and for a loop of calls (engine/calls.h) the calls' outputs steps.
void IndexLoops(Runbook& rb);

// `params.NAME...` of `params` (BindParams' map): the whole map for bare `params`; an error
// names a param that is not set. For scopes that read params only (a loop's list, a call's
// `with` bound before the run starts).
Result<Value> LookupParam(const Value::Map& params, const std::vector<std::string>& path);

// A loop's outcome from its items' (OutcomeName words): failure when one failed, else
// cancelled when one was, else skipped when all were, else warning when one warned, else
// success. For `steps.ID.outcome` of a loop.
const char* LoopOutcome(const std::vector<Outcome>& items);

}  // namespace runbook
