// Pieces of the loader shared between its files. Internal; not for other modules.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/loader_fields.h"
#include "engine/model.h"
#include "engine/plugin/registry.h"
#include "engine/runbook_keys.h"

namespace runbook {

// loader_keys.cpp: a mapping checked against its block of the runbook keys. Unknown keys
// are reported with a suggestion, a missing required key as "<who> is missing required key"
// (`who`: block.where when empty), and each value against its KeySpec. Get() gives the
// values that passed; a reader reads only those. `map` must be a mapping and outlive this.
class CheckedBlock {
 public:
  explicit CheckedBlock(const SNode& map) : map_(&map) {}
  const SNode* Get(const std::string& key) const;
  void Pass(const std::string& key) { passed_.push_back(key); }

 private:
  const SNode* map_;
  std::vector<std::string> passed_;
};
CheckedBlock CheckBlock(FieldReader& r, const SNode& map, const BlockSpec& block,
                        const std::string& who = "");

// loader_uses.cpp: the runbooks a runbook uses (`uses: ./lib/x.yaml`, engine/calls.h), each
// loaded once, with the chain of files being loaded to find cycles.
struct UsesLoader {
  const StepRegistry& registry;
  Diagnostics& diags;
  std::vector<std::string> chain;                          // canonical paths, the outermost first
  std::map<std::string, std::shared_ptr<Runbook>> loaded;  // by canonical path
  std::vector<std::shared_ptr<const SourceText>> sources;  // of every used file read
};
// The runbook `uses` (as written at `loc` in the runbook `including`) names, loaded and
// checked, with its call types (engine/calls.h MakeCallTypes); nullptr with a located error
// when it cannot be read, has errors (reported in its own file), or closes a cycle.
std::shared_ptr<const Runbook> LoadUsed(FieldReader& r, const std::string& uses, Loc loc,
                                        const Runbook& including, UsesLoader& loader);
// The whole load of one file's text (loader.cpp), used for a used runbook too. nullptr when
// it has errors; `rejected` then receives what was read (LoadRunbookText's).
std::unique_ptr<Runbook> LoadText(const std::string& path, std::string text, UsesLoader& loader,
                                  std::unique_ptr<Runbook>* rejected = nullptr);
// A step that uses a runbook: the keys such a step may not have, its place (not finally).
void CheckCallStep(FieldReader& r, const SNode& node, const StepDecl& step);
// Adds the secrets `callee` declares to `rb`'s: the same name must read the same place.
void MergeSecrets(FieldReader& r, const StepDecl& call, const Runbook& callee, Runbook& rb);

// loader_steps.cpp: one entry of `steps` or `finally`.
void ReadStep(FieldReader& r, const SNode& node, const StepRegistry& registry, bool is_finally,
              Runbook& rb, StepDecl& out, UsesLoader& uses);
void ReadRetry(FieldReader& r, const SNode& node, RetryPolicy& out);
TemplateMap ReadEnv(FieldReader& r, const SNode& node, const std::string& what);

// loader_triggers.cpp: `on:` (schedules, catch-up, overlap). Reads after the params.
void ReadTriggers(FieldReader& r, const SNode& node, const Runbook& rb, TriggersDecl& out);

// loader_triggers.cpp: `notify:` entries.
void ReadNotify(FieldReader& r, const SNode& node, Runbook& rb);

// loader_check.cpp: checks across the whole runbook, once every part is read.
void CheckSteps(FieldReader& r, const Runbook& rb);
void CheckExpressions(FieldReader& r, Runbook& rb);
// `outputs:` (a used runbook's): each template may read the runbook's main steps.
void CheckOutputs(FieldReader& r, const Runbook& rb);
// A path one step guards that another parameter writes (engine/path_roles.h), located at
// the writer's parameter.
void CheckPathRoles(FieldReader& r, const Runbook& rb);

// loader_steps.cpp: the static expression type of a parameter or output type.
SType StaticTypeOfParam(ParamType t);

}  // namespace runbook
