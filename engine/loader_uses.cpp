// Reading a step that uses a runbook file (engine/calls.h): loading that runbook once,
// finding cycles between files, and the keys such a step may have.
#include <algorithm>
#include <filesystem>

#include "engine/calls.h"
#include "engine/loader.h"
#include "engine/loader_internal.h"
#include "engine/util/strings.h"

namespace runbook {
namespace {

// `uses` as a path from the folder of the runbook that writes it.
std::string UsedPath(const Runbook& including, const std::string& uses) {
  std::filesystem::path folder = std::filesystem::path(including.path()).parent_path();
  return (folder / uses).lexically_normal().string();
}

std::string Canonical(const std::string& path) {
  std::error_code ec;
  std::filesystem::path c = std::filesystem::weakly_canonical(path, ec);
  return ec ? path : c.string();
}

// "a.yaml -> b.yaml -> a.yaml", the files as their names show.
std::string CycleText(const std::vector<std::string>& chain, const std::string& again) {
  auto from = std::find(chain.begin(), chain.end(), again);
  std::string out;
  for (auto it = from; it != chain.end(); ++it)
    out += std::filesystem::path(*it).filename().string() + " -> ";
  return out + std::filesystem::path(again).filename().string();
}

// Where key `key` of mapping `node` is written (its value's place when not found).
Loc KeyLoc(const SNode& node, const std::string& key, Loc fallback) {
  for (const auto& [k, v] : node.entries)
    if (k.text == key) return k.loc;
  return fallback;
}

}  // namespace

std::shared_ptr<const Runbook> LoadUsed(FieldReader& r, const std::string& uses, Loc loc,
                                        const Runbook& including, UsesLoader& loader) {
  std::string path = UsedPath(including, uses);
  std::string canonical = Canonical(path);
  if (std::find(loader.chain.begin(), loader.chain.end(), canonical) != loader.chain.end()) {
    r.Error(loc, "uses " + uses + ", which uses this runbook again: a cycle (" +
                     CycleText(loader.chain, canonical) + ")");
    return nullptr;
  }
  if (loader.chain.size() >= static_cast<size_t>(kMaxCallDepth)) {
    r.Error(loc, "uses " + uses + ": runbooks use each other more than " +
                     std::to_string(kMaxCallDepth) + " deep");
    return nullptr;
  }
  if (auto it = loader.loaded.find(canonical); it != loader.loaded.end()) {
    if (!it->second) r.Error(loc, "runbook " + uses + " has errors (reported in " + path + ")");
    return it->second;
  }
  auto source = std::make_shared<SourceText>();
  Diagnostics read;
  if (!ReadRunbookSource(path, *source, read)) {
    std::string why = read.all().empty() ? "cannot be read" : read.all().front().message;
    r.Error(loc, "uses " + uses + " (" + path + "): " + why);
    loader.loaded[canonical] = nullptr;
    return nullptr;
  }
  loader.sources.push_back(source);
  loader.chain.push_back(canonical);
  std::unique_ptr<Runbook> callee = LoadText(path, source->text, loader);
  loader.chain.pop_back();
  if (callee == nullptr) {
    r.Error(loc, "runbook " + uses + " has errors (reported in " + path + ")");
    loader.loaded[canonical] = nullptr;
    return nullptr;
  }
  MakeCallTypes(*callee, uses);
  std::shared_ptr<Runbook> shared = std::move(callee);
  loader.loaded[canonical] = shared;
  return shared;
}

void CheckCallStep(FieldReader& r, const SNode& node, const StepDecl& step) {
  static const char* const kNot[] = {"timeout", "retry",      "continue_on_error",
                                     "env",     "idempotent", "rto"};
  for (const char* key : kNot)
    if (const SNode* k = node.Get(key); k != nullptr)
      r.Error(KeyLoc(node, key, k->loc), std::string(key) +
                                             " is not for a step that uses a runbook (" +
                                             step.uses + "): set it on that runbook's steps");
  if (step.is_finally)
    r.Error(step.uses_loc,
            "a finally step cannot use a runbook (" + step.uses +
                "); use it among the steps, and put its clean-up in its own finally");
}

void MergeSecrets(FieldReader& r, const StepDecl& call, const Runbook& callee, Runbook& rb) {
  for (const SecretDecl& s : callee.secrets) {
    auto same = std::find_if(rb.secrets.begin(), rb.secrets.end(),
                             [&](const SecretDecl& d) { return d.name == s.name; });
    if (same == rb.secrets.end()) {
      rb.secrets.push_back(s);
      continue;
    }
    if (same->env != s.env || same->file != s.file)
      r.Error(call.uses_loc, "secret '" + s.name + "' of " + call.uses +
                                 " is read from another place than this runbook's secret '" +
                                 s.name + "': give one of them another name");
  }
}

}  // namespace runbook
