// The table of the runbook file's own keys. Adding a key here makes the loader accept it
// (its reader must then read it) and the schema describe it; tests/engine/runbook_keys_test
// checks that both agree on every key.
#include "engine/runbook_keys.h"

#include <cstdio>
#include <cstdlib>

#include "engine/util/strings.h"

namespace runbook {
namespace {

bool IsRunbookName(std::string_view text) { return IsLowerName(text, false); }
bool IsStepId(std::string_view text) { return IsLowerName(text, true); }

const KeyFormat kRunbookName{IsRunbookName, "^[a-z0-9][a-z0-9-]*$",
                             "lowercase letters, digits and '-', starting with a letter or digit"};
const KeyFormat kStepId{IsStepId, "^[a-z0-9][a-z0-9_-]*$",
                        "lowercase letters, digits, '_' and '-', starting with a letter or digit"};

bool IsNotEmpty(std::string_view text) { return !text.empty(); }
const KeyFormat kNotEmpty{IsNotEmpty, "[\\s\\S]", "a text that is not empty"};

using T = KeyType;

KeySpec Key(std::string name, T type, std::string doc) {
  KeySpec k;
  k.name = std::move(name);
  k.type = type;
  k.doc = std::move(doc);
  return k;
}

KeySpec Required(KeySpec k) {
  k.required = true;
  return k;
}

KeySpec NotEmpty(KeySpec k) {
  k.format = &kNotEmpty;
  return k;
}

KeySpec Choice(std::string name, T type, std::vector<std::string> choices, std::string doc) {
  KeySpec k = Key(std::move(name), type, std::move(doc));
  k.choices = std::move(choices);
  return k;
}

KeySpec Nested(std::string name, T type, std::string block, std::string doc) {
  KeySpec k = Key(std::move(name), type, std::move(doc));
  k.block = std::move(block);
  return k;
}

KeySpec Labelled(KeySpec k, std::string label) {
  k.label = std::move(label);
  return k;
}

KeySpec AtLeastOne(std::string name, std::string why, std::string doc) {
  KeySpec k = Key(std::move(name), T::kInteger, std::move(doc));
  k.minimum = 1;
  k.minimum_why = std::move(why);
  return k;
}

BlockSpec TopBlock() {
  KeySpec version = Required(Key("version", T::kInteger, "The format version: 1."));
  version.minimum = version.maximum = 1;
  KeySpec name = Required(Key("name", T::kString, "The runbook's name."));
  name.format = &kRunbookName;
  KeySpec lock = Key("lock", T::kString, "A name: runs holding the same lock never overlap.");
  lock.expressions = true;
  return {"runbook",
          "the runbook",
          "A runbook file (format version 1).",
          {version, name, Key("description", T::kString, "What the runbook is for."),
           Choice("kind", T::kChoice, {"backup", "restore", "drill", "canary", "custom"},
                  "What kind of runbook this is (reports group by it)."),
           Nested("objectives", T::kBlock, "objectives", "Recovery objectives."),
           Nested("params", T::kBlockMap, "param", "Parameters, set with --set name=value."),
           Nested("secrets", T::kBlockMap, "secret", "Secrets, read when the run starts."),
           Key("env", T::kEnv, "Environment variables of every step."),
           Nested("defaults", T::kBlock, "defaults", "Defaults of every step."),
           AtLeastOne("max_parallel", "", "How many steps run at once (default: the cores)."), lock,
           Labelled(Nested("on", T::kBlock, "on",
                           "When the runbook runs by itself under runbook serve: its schedules."),
                    "on"),
           Labelled(Nested("notify", T::kBlockList, "notify",
                           "Who is told when a run ends: webhooks, Slack, Alertmanager."),
                    "notify"),
           Key("working_directory", T::kString,
               "The folder the run's relative paths resolve against, relative to this file's "
               "folder (default: this file's folder)."),
           Required(Nested("steps", T::kBlockList, "step", "The steps, a graph by needs.")),
           Nested("finally", T::kBlockList, "step", "Steps run after the others, always."),
           Key("outputs", T::kEnv,
               "What a runbook that uses this one (uses: ./this.yaml) reads as "
               "steps.<id>.outputs.<name>: name -> a value, ${{ }} over its steps.")},
          {}};
}

BlockSpec StepBlock() {
  KeySpec id = Labelled(Required(Key("id", T::kString, "The step's id, unique.")), "step id");
  id.format = &kStepId;
  KeySpec condition = Key("if", T::kCondition, "Run the step only when this is true.");
  condition.expressions = true;
  KeySpec for_each = Key("for_each", T::kList,
                         "Run the step once per item: a list, or one ${{ }} expression of "
                         "params that gives one; ${{ item }} and ${{ index }} in the step.");
  for_each.expressions = true;
  KeySpec loop_parallel = AtLeastOne(
      "max_parallel", "", "With for_each: how many items run at once (default: the run's limit).");
  loop_parallel.needs_key = "for_each";
  KeySpec fail_fast = Key("fail_fast", T::kBoolean,
                          "With for_each: a failed item skips the items not started yet "
                          "(default: true).");
  fail_fast.needs_key = "for_each";
  return {"step",
          "a step",
          "One step: a step type and its parameters.",
          {id, Key("name", T::kString, "A name for people (default: the id)."),
           Required(Key("uses", T::kStepType,
                        "The step type, or a runbook file to run as part of this one: "
                        "./lib/x.yaml.")),
           Key("with", T::kStepParams, "The step type's parameters."),
           Key("needs", T::kStringList, "Steps that must pass before this one."), condition,
           Key("timeout", T::kPositiveDuration, "Time allowed for one attempt."),
           Nested("retry", T::kBlock, "retry", "When and how often to try again."),
           Choice("continue_on_error", T::kBoolOrChoice, {"warn"},
                  "A failure does not fail the run (warn: reported as a warning)."),
           Key("env", T::kEnv, "Environment variables of this step."),
           Key("idempotent", T::kBoolean,
               "Running it again is safe (default: its type's). A resume runs a step that "
               "was stopped mid-way again only when it is, or when the operator confirms it."),
           Labelled(Choice("rto", T::kChoice, {"start", "end"},
                           "The RTO clock starts at this step's start or stops at its end."),
                    "rto mark"),
           for_each, loop_parallel, fail_fast},
          {}};
}

BlockSpec RetryBlock() {
  return {"retry",
          "retry",
          "When and how often a failed attempt is tried again.",
          {AtLeastOne("max_attempts", " (it counts the first attempt)",
                      "Attempts in all, the first included."),
           Key("delay", T::kDuration, "Wait before the second attempt."),
           Choice("backoff", T::kChoice, {"constant", "exponential"}, "How the wait grows."),
           Key("max_delay", T::kDuration, "The longest wait."),
           Key("jitter", T::kBoolean, "Randomise each wait."),
           Labelled(Choice("on", T::kStringList, {"failure", "timeout"}, "What is retried."),
                    "retry condition"),
           Key("exit_codes", T::kIntegerList, "Retry only failures with these exit codes.")},
          {}};
}

BlockSpec ParamBlock() {
  return {"param",
          "a param",
          "One parameter of the runbook.",
          {Labelled(Choice("type", T::kChoice,
                           {"string", "integer", "number", "boolean", "duration", "list", "map"},
                           "The value's type (default: string)."),
                    "param type"),
           Key("default", T::kAny, "The value when --set does not give one."),
           Key("description", T::kString, "What the parameter is for."),
           Key("enum", T::kList, "The allowed values."),
           Key("minimum", T::kNumber, "The smallest allowed number."),
           Key("maximum", T::kNumber, "The largest allowed number."),
           Key("required", T::kBoolean, "--set must give a value.")},
          {}};
}

// `on:`, in GitHub Actions' vocabulary: `on.schedule[].cron`.
BlockSpec OnBlock() {
  return {"on",
          "on",
          "When the runbook runs by itself (runbook serve).",
          {Nested("schedule", T::kBlockList, "schedule", "Times the runbook fires."),
           Labelled(Key("catchup", T::kDuration,
                        "After downtime, the latest missed fire runs once if it is at most "
                        "this late (default: 0, missed fires are skipped)."),
                    "on.catchup"),
           Labelled(Choice("overlap", T::kChoice, {"skip", "queue", "cancel_running"},
                           "A fire while a run of this runbook (or of its lock) goes on: skip "
                           "it, queue it (one at most), or cancel the running one "
                           "(default: skip)."),
                    "on.overlap")},
          {}};
}

BlockSpec ScheduleBlock() {
  KeySpec cron = Required(Key("cron", T::kString,
                              "Five fields (minute hour day-of-month month day-of-week), or a "
                              "macro such as @daily."));
  cron.format = &kNotEmpty;
  return {"schedule",
          "a schedule",
          "One schedule: a cron expression in a time zone, and the params of its runs.",
          {cron,
           NotEmpty(Key("timezone", T::kString,
                        "An IANA time zone such as Europe/Madrid (default: UTC).")),
           Key("params", T::kAny, "Params of the runs it fires, checked like --set.")},
          {}};
}

KeySpec Templated(KeySpec k) {
  k.expressions = true;
  return k;
}

// `notify:` entries: the events that send, and exactly one channel (docs/notify.md).
std::vector<BlockSpec> NotifyBlocks() {
  return {{"notify",
           "a notify entry",
           "Where to send when a run ends with one of the events in `on`.",
           {Required(Labelled(
                Choice("on", T::kStringList,
                       {"success", "failure", "objective_missed", "recovered", "approval_waiting"},
                       "The events that send: a run that failed, missed an "
                       "objective, succeeded, or succeeded after one that did "
                       "not."),
                "notify event")),
            Nested("webhook", T::kBlock, "webhook", "POST the run's summary as JSON."),
            Nested("slack", T::kBlock, "slack", "Post a message to a Slack incoming webhook."),
            Nested("alertmanager", T::kBlock, "alertmanager",
                   "Raise an alert in Prometheus Alertmanager (resolved on recovery)."),
            Nested("email", T::kBlock, "email", "Send a mail through SMTP.")},
           {"webhook", "slack", "alertmanager", "email"}},
          {"webhook",
           "a webhook",
           "A JSON POST, signed with HMAC-SHA256 when a secret is given.",
           {Required(Templated(NotEmpty(Key("url", T::kString, "The URL (http or https).")))),
            Templated(Key("secret", T::kString,
                          "The HMAC-SHA256 key of the X-Runbook-Signature-256 header.")),
            Templated(Key("ca_file", T::kString,
                          "A PEM file of the certificate authorities the server's certificate "
                          "is checked against instead of the system's (a private CA)."))},
           {}},
          {"slack",
           "slack",
           "A Slack incoming webhook.",
           {Required(Templated(NotEmpty(
               Key("webhook_url", T::kString, "The incoming webhook's URL (a secret)."))))},
           {}},
          {"email",
           "email",
           "A mail through SMTP: smtp:// with STARTTLS, or smtps://.",
           {Required(Templated(NotEmpty(
                Key("smtp", T::kString, "The server: smtp://host:587 or smtps://host:465.")))),
            Required(NotEmpty(Key("from", T::kString, "The sender's address."))),
            Required(Key("to", T::kStringList, "The recipients' addresses.")),
            Templated(Key("username", T::kString, "The SMTP login (none when not given).")),
            Templated(Key("password", T::kString, "The SMTP password (from secrets).")),
            Key("starttls", T::kBoolean,
                "smtp:// must upgrade with STARTTLS (default true); false sends in clear "
                "text when the server offers no TLS (a relay on this host)."),
            Templated(Key("ca_file", T::kString,
                          "A PEM file of the certificate authorities the server's certificate "
                          "is checked against instead of the system's (a private CA)."))},
           {}},
          {"alertmanager",
           "alertmanager",
           "Prometheus Alertmanager's API v2.",
           {Required(Templated(NotEmpty(
                Key("url", T::kString, "Alertmanager's base URL, e.g. http://127.0.0.1:9093.")))),
            Templated(Key("ca_file", T::kString,
                          "A PEM file of the certificate authorities the server's certificate "
                          "is checked against instead of the system's (a private CA)."))},
           {}}};
}

std::vector<BlockSpec> MakeBlocks() {
  std::vector<BlockSpec> blocks = {
      TopBlock(),
      StepBlock(),
      RetryBlock(),
      ParamBlock(),
      OnBlock(),
      ScheduleBlock(),
      {"secret",
       "a secret",
       "Where a secret is read from: exactly one of env and file.",
       {NotEmpty(Key("env", T::kString, "An environment variable of runbook's own environment.")),
        NotEmpty(Key("file", T::kString, "A file (at most 1 MiB; a final newline is dropped)."))},
       {"env", "file"}},
      {"objectives",
       "objectives",
       "Recovery objectives, checked after the run.",
       {Labelled(Key("rto", T::kDuration, "Recovery time objective."), "objectives.rto"),
        Labelled(Key("rpo", T::kDuration, "Recovery point objective."), "objectives.rpo")},
       {}},
      {"defaults",
       "defaults",
       "Defaults of every step.",
       {Labelled(Key("timeout", T::kPositiveDuration, "Time allowed for one attempt."),
                 "defaults.timeout"),
        Nested("retry", T::kBlock, "retry", "When and how often to try again.")},
       {}}};
  for (BlockSpec& b : NotifyBlocks()) blocks.push_back(std::move(b));
  return blocks;
}

}  // namespace

const KeySpec* BlockSpec::Find(std::string_view key) const {
  for (const KeySpec& k : keys) {
    if (k.name == key) return &k;
  }
  return nullptr;
}

std::vector<std::string> BlockSpec::Names() const {
  std::vector<std::string> out;
  for (const KeySpec& k : keys) out.push_back(k.name);
  return out;
}

const std::vector<BlockSpec>& RunbookBlocks() {
  static const std::vector<BlockSpec> kBlocks = MakeBlocks();
  return kBlocks;
}

const BlockSpec& RunbookBlock(std::string_view name) {
  for (const BlockSpec& b : RunbookBlocks()) {
    if (b.name == name) return b;
  }
  std::fprintf(stderr, "runbook: bug: no block '%.*s' in the runbook keys\n",
               static_cast<int>(name.size()), name.data());
  std::abort();
}

}  // namespace runbook
