#include "engine/testing/scenario.h"

#include <algorithm>
#include <filesystem>

#include "engine/loader.h"
#include "engine/loader_fields.h"
#include "engine/source/snode_value.h"
#include "engine/source/yaml_reader.h"
#include "engine/util/json.h"

namespace runbook {
namespace {

const std::vector<std::string> kOutcomeWords = {"success", "failure", "timeout", "decline"};

std::optional<ScriptedAttempt::Kind> KindNamed(const std::string& word) {
  if (word == "success") return ScriptedAttempt::Kind::kSuccess;
  if (word == "failure") return ScriptedAttempt::Kind::kFailure;
  if (word == "timeout") return ScriptedAttempt::Kind::kTimeout;
  if (word == "decline") return ScriptedAttempt::Kind::kDecline;
  return std::nullopt;
}

// `success`, `failure`, `timeout`, `decline`, or a mapping: `outcome` (default success),
// `error`, `outputs`.
std::optional<ScriptedAttempt> ReadAttempt(FieldReader& r, const SNode& node) {
  ScriptedAttempt a;
  a.loc = node.loc;
  if (node.is_scalar()) {
    auto kind = r.Choice(node, "scripted outcome", kOutcomeWords);
    if (!kind) return std::nullopt;
    a.kind = *KindNamed(*kind);
    return a;
  }
  if (!r.ExpectMap(node, "a scripted outcome")) return std::nullopt;
  r.CheckKeys(node, {"outcome", "error", "exit_code", "outputs"}, "a scripted outcome");
  if (const SNode* o = node.Get("outcome")) {
    auto kind = r.Choice(*o, "outcome", kOutcomeWords);
    if (!kind) return std::nullopt;
    a.kind = *KindNamed(*kind);
  }
  if (const SNode* e = node.Get("error")) {
    if (!e->is_scalar()) r.Error(e->loc, "error must be a text (the failure's message)");
    a.error = e->text;
    if (a.kind == ScriptedAttempt::Kind::kSuccess)
      r.Error(e->loc, "error is for an attempt that does not succeed (outcome: failure, ...)");
  }
  if (const SNode* c = node.Get("exit_code")) {
    if (auto n = r.Integer(*c, "exit_code")) {
      if (*n < 1 || *n > 255)  // a process exits 0..255; 0 is a success, not a failure
        r.Error(c->loc, "exit_code of a failure must be 1 to 255, found " + std::to_string(*n));
      else
        a.exit_code = static_cast<int>(*n);
    }
    if (a.kind != ScriptedAttempt::Kind::kFailure)
      r.Error(c->loc, "exit_code is for an attempt that fails (outcome: failure)");
  }
  if (const SNode* o = node.Get("outputs")) {
    if (!r.ExpectMap(*o, "outputs")) return std::nullopt;
    if (a.kind != ScriptedAttempt::Kind::kSuccess)
      r.Error(o->loc, "outputs are for an attempt that succeeds");
    a.outputs = ToValue(*o).as_map();
    a.has_outputs = true;
  }
  return a;
}

// A step's script: one outcome for every attempt, or `attempts: [...]`.
std::optional<StepScript> ReadScript(FieldReader& r, const SNode& node) {
  StepScript s;
  s.loc = node.loc;
  const SNode* list = node.is_map() ? node.Get("attempts") : nullptr;
  if (list == nullptr) {
    auto a = ReadAttempt(r, node);
    if (!a) return std::nullopt;
    s.attempts.push_back(std::move(*a));
    return s;
  }
  r.CheckKeys(node, {"attempts"}, "a step's script (attempts: with nothing beside it)");
  if (!list->is_seq() || list->items.empty()) {
    r.Error(list->loc, "attempts must be a list of outcomes, the first attempt's first");
    return std::nullopt;
  }
  for (const SNode& item : list->items) {
    auto a = ReadAttempt(r, item);
    if (!a) return std::nullopt;
    s.attempts.push_back(std::move(*a));
  }
  return s;
}

void ReadSteps(FieldReader& r, const SNode& node, std::map<std::string, StepScript>& out) {
  if (!r.ExpectMap(node, "steps")) return;
  for (const auto& [key, value] : node.entries) {
    auto s = ReadScript(r, value);
    if (!s) continue;
    s->loc = key.loc;
    out[key.text] = std::move(*s);
  }
}

void ReadExpect(FieldReader& r, const SNode& node, Expectation& out) {
  if (!r.ExpectMap(node, "expect")) return;
  bool proves = node.Get("status") != nullptr;
  for (const char* key : {"steps", "attempts"})
    if (const SNode* k = node.Get(key); k != nullptr && !(k->is_map() && k->entries.empty()))
      proves = true;
  if (!proves)
    r.Error(node.loc, "expect is empty: it would prove nothing (status, steps or attempts)");
  r.CheckKeys(node, {"status", "steps", "attempts"}, "expect");
  if (const SNode* s = node.Get("status")) {
    out.status = r.Choice(*s, "expect.status", {"success", "failure", "cancelled"});
    out.status_loc = s->loc;
  }
  if (const SNode* steps = node.Get("steps"); steps && r.ExpectMap(*steps, "expect.steps")) {
    for (const auto& [key, value] : steps->entries) {
      auto word = r.Choice(value, "expected outcome",
                           {"success", "warning", "failure", "skipped", "cancelled"});
      if (!word) continue;
      out.outcomes.emplace_back(key.text, *word);
      out.outcome_locs.push_back(key.loc);
    }
  }
  if (const SNode* a = node.Get("attempts"); a && r.ExpectMap(*a, "expect.attempts")) {
    for (const auto& [key, value] : a->entries) {
      auto n = r.Integer(value, "the attempts of step '" + key.text + "'");
      if (!n) continue;
      if (*n < 0) {
        r.Error(value.loc, "the attempts of step '" + key.text + "' cannot be negative");
        continue;
      }
      out.attempts.emplace_back(key.text, static_cast<int>(*n));
      out.attempt_locs.push_back(key.loc);
    }
  }
}

void ReadParams(FieldReader& r, const SNode& node,
                std::vector<std::pair<std::string, std::string>>& out, std::vector<Loc>* locs,
                std::vector<bool>* collections = nullptr) {
  if (!r.ExpectMap(node, "params")) return;
  for (const auto& [key, value] : node.entries) {  // as --set gives them: text, JSON for the rest
    if (value.is_null())
      r.Error(value.loc, "param '" + key.text + "' has no value (write \"\" for an empty text)");
    out.emplace_back(key.text, value.is_scalar() ? value.text : ToJson(ToValue(value)));
    if (locs != nullptr) locs->push_back(key.loc);
    if (collections != nullptr) collections->push_back(value.is_seq() || value.is_map());
  }
}

void ReadScenario(FieldReader& r, const SNode& node, ScenarioFile& file) {
  if (!r.ExpectMap(node, "a scenario")) return;
  r.CheckKeys(node, {"name", "params", "steps", "expect"}, "a scenario");
  Scenario s;
  s.loc = node.loc;
  if (const SNode* n = node.Get("name"); n != nullptr && (!n->is_scalar() || n->text.empty()))
    r.Error(n->loc, "a scenario's name must be a text that says what it proves");
  else if (n != nullptr)
    s.name = n->text;
  else
    r.Error(node.loc, "a scenario needs a name (what it proves)");
  if (const SNode* p = node.Get("params"))
    ReadParams(r, *p, s.params, &s.param_locs, &s.param_is_collection);
  if (const SNode* st = node.Get("steps")) ReadSteps(r, *st, s.steps);
  if (const SNode* e = node.Get("expect"))
    ReadExpect(r, *e, s.expect);
  else
    r.Error(node.loc, "scenario '" + s.name + "' has no expect: it would prove nothing");
  for (const Scenario& other : file.scenarios)
    if (other.name == s.name && !s.name.empty())
      r.Error(node.loc, "a second scenario named '" + s.name + "'");
  file.scenarios.push_back(std::move(s));
}

}  // namespace

std::string ScenarioPathOf(const std::string& runbook_path) {
  std::string stem = runbook_path;
  for (const char* ext : {".yaml", ".yml"}) {
    std::string e = ext;
    if (stem.size() > e.size() && stem.compare(stem.size() - e.size(), e.size(), e) == 0) {
      stem.resize(stem.size() - e.size());
      break;
    }
  }
  std::error_code ec;  // `x.test.yml` when only that is there (testing.md: either)
  if (!std::filesystem::exists(stem + ".test.yaml", ec) &&
      std::filesystem::exists(stem + ".test.yml", ec))
    return stem + ".test.yml";
  return stem + ".test.yaml";
}

namespace {

// The length of the scenario suffix `path` ends with (".test.yaml", ".test.yml"), else 0.
size_t ScenarioSuffix(const std::string& path) {
  for (const std::string ext : {".test.yaml", ".test.yml"})
    if (path.size() > ext.size() && path.compare(path.size() - ext.size(), ext.size(), ext) == 0)
      return ext.size();
  return 0;
}

}  // namespace

bool IsScenarioFile(const std::string& path) { return ScenarioSuffix(path) > 0; }

std::string RunbookPathOf(const std::string& scenario_path) {
  size_t suffix = ScenarioSuffix(scenario_path);
  if (suffix == 0) return scenario_path;
  std::string stem = scenario_path.substr(0, scenario_path.size() - suffix);
  std::error_code ec;
  if (!std::filesystem::exists(stem + ".yaml", ec) && std::filesystem::exists(stem + ".yml", ec))
    return stem + ".yml";
  return stem + ".yaml";
}

std::optional<ScenarioFile> LoadScenarioFile(const std::string& path, Diagnostics& diags) {
  ScenarioFile file;
  if (!ReadRunbookSource(path, file.source, diags)) return std::nullopt;
  std::optional<SNode> root = ReadYaml(file.source, diags);
  if (!root) return std::nullopt;
  FieldReader r(file.source, diags);
  if (!r.ExpectMap(*root, "a scenario file")) return std::nullopt;
  // Keys beginning with `x-` hold anchors and are ignored, as in a runbook.
  auto& top = root->entries;
  top.erase(std::remove_if(top.begin(), top.end(),
                           [](const auto& e) { return e.first.text.rfind("x-", 0) == 0; }),
            top.end());
  r.CheckKeys(*root, {"defaults", "scenarios"}, "a scenario file");
  if (const SNode* d = root->Get("defaults"); d && r.ExpectMap(*d, "defaults")) {
    r.CheckKeys(*d, {"steps", "params"}, "defaults");
    if (const SNode* s = d->Get("steps")) ReadSteps(r, *s, file.defaults);
    if (const SNode* p = d->Get("params")) ReadParams(r, *p, file.default_params, nullptr);
  }
  const SNode* list = root->Get("scenarios");
  if (list == nullptr || !list->is_seq() || list->items.empty())
    r.Error(list ? list->loc : root->loc, "a scenario file needs scenarios: a list of them");
  else
    for (const SNode& item : list->items) ReadScenario(r, item, file);
  diags.Sort();
  if (diags.has_errors()) return std::nullopt;
  return file;
}

}  // namespace runbook
