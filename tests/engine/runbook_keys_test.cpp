// The runbook keys table (engine/runbook_keys.h) is the one description of the file's own
// keys: for every key of every block, `runbook validate` and the generated JSON Schema
// (checked with python3-jsonschema) give the same verdict on a valid value, on values of a
// wrong type, on ${{ }} expressions, and on a missing required key.
#include "engine/runbook_keys.h"

#include <catch2/catch.hpp>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "engine/util/json.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

using Entries = std::vector<std::pair<std::string, std::string>>;  // key, flow YAML

// A valid value of each key, as flow YAML, by "block.key". A key missing here fails the test:
// a new key needs its example.
const std::map<std::string, std::string> kValid = {
    {"runbook.version", "1"},
    {"runbook.name", "keys-ok"},
    {"runbook.description", "'what it does'"},
    {"runbook.kind", "drill"},
    {"runbook.objectives", "{rto: 1h}"},
    {"runbook.params", "{n: {type: integer, default: 2}}"},
    {"runbook.secrets", "{s: {env: MY_SECRET}}"},
    {"runbook.env", "{A: x, B: ~}"},
    {"runbook.defaults", "{timeout: 1m}"},
    {"runbook.max_parallel", "2"},
    {"runbook.lock", "db"},
    {"runbook.working_directory", "sub/folder"},
    {"runbook.outputs", "{size: x}"},
    {"runbook.on", "{schedule: [{cron: '0 3 * * *'}]}"},
    {"on.schedule", "[{cron: '@daily', timezone: Europe/Madrid}]"},
    {"on.catchup", "6h"},
    {"on.overlap", "queue"},
    {"schedule.cron", "'*/15 9-17 * * mon-fri'"},
    {"schedule.timezone", "America/New_York"},
    {"schedule.params", "{n: 3}"},
    {"runbook.notify", "[{on: [failure], webhook: {url: 'https://hooks.example/rb'}}]"},
    {"notify.on", "[failure, recovered]"},
    {"notify.webhook", "{url: 'https://hooks.example/rb', secret: '${{ secrets.s }}'}"},
    {"notify.slack", "{webhook_url: '${{ secrets.s }}'}"},
    {"notify.alertmanager", "{url: 'http://127.0.0.1:9093'}"},
    {"webhook.url", "'https://hooks.example/rb'"},
    {"webhook.secret", "'${{ secrets.s }}'"},
    {"webhook.ca_file", "/etc/ssl/private-ca.pem"},
    {"alertmanager.ca_file", "ca.pem"},
    {"email.ca_file", "/etc/ssl/relay-ca.pem"},
    {"slack.webhook_url", "'https://hooks.slack.example/T0/B0/x'"},
    {"alertmanager.url", "'http://127.0.0.1:9093'"},
    {"notify.email", "{smtp: 'smtp://127.0.0.1:25', from: a@example.test, to: [b@example.test]}"},
    {"email.smtp", "'smtps://mail.example.test:465'"},
    {"email.from", "runbook@example.test"},
    {"email.to", "[oncall@example.test]"},
    {"email.username", "rb"},
    {"email.password", "'${{ secrets.s }}'"},
    {"email.starttls", "false"},
    {"runbook.steps", "[{id: a, uses: exec, with: {run: ['true']}}]"},
    {"runbook.finally", "[{id: z, uses: exec, with: {run: ['true']}}]"},
    {"step.id", "b"},
    {"step.name", "'A step'"},
    {"step.uses", "exec"},
    {"step.with", "{run: [echo]}"},
    {"step.needs", "first"},
    {"step.if", "'params.n > 1'"},
    {"step.timeout", "30s"},
    {"step.retry", "{max_attempts: 2}"},
    {"step.continue_on_error", "warn"},
    {"step.env", "{B: y}"},
    {"step.rto", "start"},
    {"step.idempotent", "true"},
    {"step.for_each", "[shop, {db: orders}]"},
    {"step.max_parallel", "2"},
    {"step.fail_fast", "false"},
    {"retry.max_attempts", "3"},
    {"retry.delay", "2s"},
    {"retry.backoff", "exponential"},
    {"retry.max_delay", "1m"},
    {"retry.jitter", "true"},
    {"retry.on", "[timeout]"},
    {"retry.exit_codes", "[1, 2]"},
    {"param.type", "integer"},
    {"param.default", "x"},
    {"param.description", "'what it is'"},
    {"param.enum", "[x, y]"},
    {"param.minimum", "1"},
    {"param.maximum", "9"},
    {"param.required", "true"},
    {"secret.env", "MY_SECRET"},
    {"secret.file", "/run/secret"},
    {"objectives.rto", "1h"},
    {"objectives.rpo", "24h"},
    {"defaults.timeout", "10m"},
    {"defaults.retry", "{max_attempts: 2}"},
};

// Values of a wrong type for a key of type `t` (none for kAny: every value fits).
std::vector<std::string> WrongValues(KeyType t) {
  static const std::map<KeyType, std::vector<std::string>> kWrong = {
      {KeyType::kString, {"[x]", "{a: b}"}},       {KeyType::kInteger, {"abc", "1.5", "'3'"}},
      {KeyType::kNumber, {"abc", "[1]"}},          {KeyType::kBoolean, {"maybe", "'true'"}},
      {KeyType::kDuration, {"abc", "5", "''"}},    {KeyType::kPositiveDuration, {"abc", "5", "0s"}},
      {KeyType::kChoice, {"nope", "[a]"}},         {KeyType::kBoolOrChoice, {"nope", "[a]"}},
      {KeyType::kStringList, {"{a: b}", "[[a]]"}}, {KeyType::kIntegerList, {"[abc]", "7"}},
      {KeyType::kList, {"abc", "{a: b}"}},         {KeyType::kAny, {}},
      {KeyType::kBlock, {"abc", "[a]"}},           {KeyType::kBlockMap, {"abc", "[a]"}},
      {KeyType::kBlockList, {"abc", "{a: b}"}},    {KeyType::kEnv, {"abc", "[a]", "{A: [x]}"}},
      {KeyType::kStepType, {"[x]", "nope-step"}},  {KeyType::kStepParams, {"abc", "[a]"}},
      {KeyType::kCondition, {"[a]", "{a: b}"}},
  };
  return kWrong.at(t);
}

// Expressions put where a key of `t` goes (lists also in a list); a condition's is a test,
// as the loader checks its static type.
std::vector<std::string> ExpressionValues(KeyType t) {
  if (t == KeyType::kCondition) return {"'${{ params.n > 1 }}'"};
  // A list a whole expression gives (for_each): its type is checked, so one of unknown type.
  if (t == KeyType::kList) return {"'${{ fromJSON(''[1]'') }}'", "['${{ params.n }}']"};
  std::vector<std::string> out = {"'${{ params.n }}'"};
  if (t == KeyType::kStringList || t == KeyType::kList || t == KeyType::kIntegerList)
    out.push_back("['${{ params.n }}']");
  return out;
}

void Set(Entries& entries, const std::string& key, const std::optional<std::string>& value) {
  for (auto it = entries.begin(); it != entries.end(); ++it) {
    if (it->first != key) continue;
    if (value)
      it->second = *value;
    else
      entries.erase(it);
    return;
  }
  if (value) entries.emplace_back(key, *value);
}

std::string Flow(const Entries& entries) {
  std::string out = "{";
  for (const auto& [k, v] : entries) out += (out.size() > 1 ? ", " : "") + k + ": " + v;
  return out + "}";
}

// A valid runbook with `key` of `block` set to `value` (removed when nullopt).
std::string RunbookWith(const std::string& block, const std::string& key,
                        const std::optional<std::string>& value) {
  Entries top = {
      {"version", "1"}, {"name", "keys"}, {"params", "{n: {type: integer, default: 2}}"}};
  Entries step = {{"id", "a"}, {"uses", "exec"}, {"with", "{run: ['true']}"}};
  Entries nested;
  if (block == "secret") nested = {{"env", "MY_SECRET"}};
  if (block == "on") nested = {{"schedule", "[{cron: '0 3 * * *'}]"}};
  if (block == "schedule") nested = {{"cron", "'0 3 * * *'"}};
  if (block == "notify") nested = {{"on", "[failure]"}};
  if (block == "webhook" || block == "alertmanager") nested = {{"url", "'http://127.0.0.1:9'"}};
  if (block == "slack") nested = {{"webhook_url", "'http://127.0.0.1:9'"}};
  if (block == "email")
    nested = {{"smtp", "'smtp://127.0.0.1:25'"}, {"from", "a@example.test"}, {"to", "[b@x.test]"}};
  // A notify entry names exactly one channel: the one under test replaces the default.
  if (block == "notify" &&
      (key == "webhook" || key == "slack" || key == "alertmanager" || key == "email")) {
  } else if (block == "notify") {
    nested.emplace_back("webhook", "{url: 'http://127.0.0.1:9'}");
  }
  Set(block == "runbook" ? top : block == "step" ? step : nested, key, value);
  // A key given only beside another (KeySpec::needs_key) has it.
  for (const BlockSpec& b : RunbookBlocks())
    if (b.name == block && block == "step")
      if (const KeySpec* k = b.Find(key); k && !k->needs_key.empty())
        step.emplace_back(k->needs_key, "[x]");
  if (block == "secret" && key == "file") Set(nested, "env", std::nullopt);
  if (block == "retry") step.emplace_back("retry", Flow(nested));
  if (block == "param")
    Set(top, "params", "{n: {type: integer, default: 2}, p: " + Flow(nested) + "}");
  if (block == "secret") top.emplace_back("secrets", "{s: " + Flow(nested) + "}");
  if (block == "objectives" || block == "defaults" || block == "on")
    top.emplace_back(block, Flow(nested));
  if (block == "schedule") top.emplace_back("on", "{schedule: [" + Flow(nested) + "]}");
  if (block == "notify") top.emplace_back("notify", "[" + Flow(nested) + "]");
  if (block == "webhook" || block == "slack" || block == "alertmanager" || block == "email")
    top.emplace_back("notify", "[{on: [failure], " + block + ": " + Flow(nested) + "}]");
  if (block == "notify" || block == "webhook" || block == "slack" || block == "alertmanager" ||
      block == "email")
    top.emplace_back("secrets", "{s: {env: MY_SECRET}}");
  bool has_steps = false;
  for (const auto& [k, v] : top) has_steps = has_steps || k == "steps";
  if (!has_steps && !(block == "runbook" && key == "steps")) {
    top.emplace_back("steps",
                     "[{id: first, uses: exec, with: {run: ['true']}}, " + Flow(step) + "]");
  }
  std::string text;
  for (const auto& [k, v] : top) text += k + ": " + v + "\n";
  return text;
}

struct Case {
  std::string what;  // "retry.max_attempts = '${{ params.n }}'"
  std::string file;
  bool expect_valid = false;
  bool check_expectation = true;  // false: only that loader and schema agree
};

std::vector<Case> AllCases(const std::string& dir) {
  std::vector<Case> cases;
  auto add = [&](std::string what, const std::string& text, bool valid, bool check) {
    std::string name = std::to_string(cases.size()) + ".yaml";
    cases.push_back({std::move(what), WriteFile(dir, name, text), valid, check});
  };
  for (const BlockSpec& b : RunbookBlocks()) {
    for (const KeySpec& k : b.keys) {
      std::string id = b.name + "." + k.name;
      REQUIRE(kValid.count(id) == 1);  // every key has a valid example
      add(id + " = " + kValid.at(id), RunbookWith(b.name, k.name, kValid.at(id)), true, true);
      // A plain number is read as its text; a cron and a time zone are checked against the
      // cron grammar and the tz database, which the schema's pattern only approximates.
      if (k.type == KeyType::kString && id != "schedule.cron" && id != "schedule.timezone")
        add(id + " = 7", RunbookWith(b.name, k.name, "7"), true, true);
      for (const std::string& v : WrongValues(k.type))
        add(id + " = " + v, RunbookWith(b.name, k.name, v), false, true);
      for (const std::string& v : ExpressionValues(k.type))
        add(id + " = " + v, RunbookWith(b.name, k.name, v), k.expressions, true);
      if (k.required) add(id + " missing", RunbookWith(b.name, k.name, std::nullopt), false, true);
      if (k.minimum) {
        std::string below = std::to_string(*k.minimum - 1);
        add(id + " = " + below, RunbookWith(b.name, k.name, below), false, true);
      }
    }
  }
  // A block's own rule: a secret names exactly one of env and file.
  add("secret with env and file",
      "version: 1\nname: t\nsecrets: {s: {env: A, file: /run/x}}\n"
      "steps: [{id: a, uses: exec, with: {run: ['true']}}]\n",
      false, true);
  add("secret with neither", "version: 1\nname: t\nsecrets: {s: {}}\nsteps: []\n", false, true);
  return cases;
}

// file -> valid, from `runbook validate --format json`.
std::map<std::string, bool> LoaderVerdicts(const std::vector<Case>& cases) {
  std::string files;
  for (const Case& c : cases) files += " " + c.file;
  Command validate = Shell(Binary() + " validate --format json" + files, 120);
  auto report = ParseJson(validate.out);
  REQUIRE(report.ok());
  std::map<std::string, bool> out;
  for (const Value& f : report.value().as_list())
    out[f.Find("file")->as_string()] = f.Find("valid")->as_bool();
  return out;
}

// file -> valid, from the generated schema and python3-jsonschema.
std::map<std::string, bool> SchemaVerdicts(const std::string& dir, const std::vector<Case>& cases) {
  std::string schema = WriteFile(dir, "schema.json", Shell(Binary() + " schema").out);
  std::string script = WriteFile(
      dir, "verdicts.py",
      // YAML 1.2 booleans, as runbook and the YAML language server read them (PyYAML's 1.1
      // would make the key `on` a boolean).
      "import json, re, sys, yaml, jsonschema\n"
      "class L(yaml.SafeLoader): pass\n"
      "L.yaml_implicit_resolvers = {k: [(t, r) for t, r in v if t != 'tag:yaml.org,2002:bool']\n"
      "    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}\n"
      "L.add_implicit_resolver('tag:yaml.org,2002:bool', re.compile('^(?:true|false)$'), "
      "list('tf'))\n"
      "v = jsonschema.Draft7Validator(json.load(open(sys.argv[1])))\n"
      "for path in sys.argv[2:]:\n"
      "    ok = not list(v.iter_errors(yaml.load(open(path), Loader=L)))\n"
      "    print(path, 'valid' if ok else 'invalid')\n");
  std::string files;
  for (const Case& c : cases) files += " " + c.file;
  Command run = Shell("python3 " + script + " " + schema + files, 120);
  REQUIRE(run.exit_code == 0);
  std::map<std::string, bool> out;
  std::istringstream lines(run.out);
  std::string path, verdict;
  while (lines >> path >> verdict) out[path] = verdict == "valid";
  return out;
}

}  // namespace

TEST_CASE("loader and schema agree on every runbook key", "[runbook-keys][schema]") {
  std::string dir = TempDir();
  std::vector<Case> cases = AllCases(dir);
  std::map<std::string, bool> loader = LoaderVerdicts(cases);
  std::map<std::string, bool> schema = SchemaVerdicts(dir, cases);
  REQUIRE(loader.size() == cases.size());
  REQUIRE(schema.size() == cases.size());
  for (const Case& c : cases) {
    INFO(c.what << "\n" << ReadFile(c.file));
    CHECK(loader.at(c.file) == schema.at(c.file));
    if (c.check_expectation) CHECK(loader.at(c.file) == c.expect_valid);
  }
}

TEST_CASE("retry.max_attempts takes no expression, in validate and in the schema",
          "[runbook-keys][schema]") {
  std::string dir = TempDir();
  std::string text =
      "version: 1\nname: t\nparams: {n: {type: integer, default: 3}}\nsteps:\n"
      "  - {id: a, uses: exec, with: {run: ['true']}, retry: {max_attempts: '${{ params.n }}'}}\n";
  std::string file = WriteFile(dir, "r.yaml", text);
  Command validate = Shell(Binary() + " validate " + file);
  CHECK(validate.exit_code == 2);
  CHECK(validate.err ==
        file +
            ":5:70: error: max_attempts does not take ${{ }} expressions (it is read when the "
            "runbook is loaded), found '${{ params.n }}'\n"
            "    5 |   - {id: a, uses: exec, with: {run: ['true']}, retry: {max_attempts: '${{ "
            "params.n }}'}}\n"
            "      |                                                                      "
            "^~~~~~~~~~~~~~~~~\n");
  std::vector<Case> one = {{"max_attempts", file, false, true}};
  CHECK_FALSE(SchemaVerdicts(dir, one).at(file));
}

TEST_CASE("the runbook keys' own rules are located errors", "[runbook-keys][loader]") {
  CHECK(
      Diagnose("version: 1\nname: t\nparams: {n: {type: integer, default: 2}}\n"
               "secrets: {s: {env: A, file: /run/x}}\nsteps:\n  - id: a\n"
               "    with: {run: [echo]}\n"
               "  - {id: b, uses: exec, needs: [a, \"${{ params.n }}\"], with: {run: [echo]}}\n") ==
      "test.yaml:4:14: error: secret 's' needs exactly one of 'env' or 'file'\n"
      "    4 | secrets: {s: {env: A, file: /run/x}}\n"
      "      |              ^\n"
      "test.yaml:6:5: error: step 'a' is missing required key 'uses' (the step type, or a "
      "runbook file to run as part of this one: ./lib/x.yaml)\n"
      "    6 |   - id: a\n"
      "      |     ^\n"
      "test.yaml:8:36: error: needs does not take ${{ }} expressions (it is read when the "
      "runbook is loaded), found '${{ params.n }}'\n"
      "    8 |   - {id: b, uses: exec, needs: [a, \"${{ params.n }}\"], with: {run: [echo]}}\n"
      "      |                                    ^~~~~~~~~~~~~~~~~\n");
}
