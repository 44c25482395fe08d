// What a step type declares about itself: typed parameters with defaults and docs, typed
// outputs, side effects. The one source of truth for validation, `runbook steps`, the JSON
// Schema and the step reference. Plain data; thread-safe once built.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/util/value.h"

namespace runbook {

enum class ParamType {
  kString,
  kInteger,
  kNumber,
  kBoolean,
  kDuration,    // a string such as "30s" or "1h30m"
  kStringList,  // a list of strings; a single string is accepted as a one-item list
  kStringMap,   // a mapping of string to string (environment-like)
  kList,        // a list of anything
  kMap,         // a mapping of anything
  kAny,         // a command: a string or argv, whose items become text as written
  kValue,       // any value, passed on as it is (a written number keeps its text and its number)
};
const char* ParamTypeName(ParamType type);
// The type a runbook names in `params: {x: {type: NAME}}` and an approval's inputs: string,
// integer, number, boolean, duration, list, map. nullopt for any other name.
std::optional<ParamType> ParamTypeNamed(std::string_view name);
// Those names, for messages: "string, integer, number, boolean, duration, list, map".
const char* ParamTypeNames();

// What a step does at the local path a string parameter names: the engine's one rule across
// steps reads it (engine/path_roles.h). A value with the parameter's remote_prefix names no
// local path. Only roles a rule needs are here; reading is not one.
enum class PathRole {
  kNone,
  kWritesFile,    // writes, replaces or edits the file at the path
  kWritesInside,  // may write, replace or delete any file inside the folder at the path
  kWritesIn,      // may write or delete files directly in the folder (not in its subfolders)
  kGuards,        // replaces the path only after its own checks pass (restore's target)
  kReads,         // reads the file at the path (a string, or each of a list): no clash with
                  // anything, but a step that deletes files leaves it alone while the run may
                  // still read it (StepContext::read_elsewhere; breakCC C25)
};
// "writes this file", "writes inside this folder", "guards this path"; "" for kNone.
const char* PathRoleName(PathRole role);

struct ParamSpec {
  std::string name;
  ParamType type = ParamType::kString;
  std::string doc;
  bool required = false;
  Value default_value;  // null when there is none
  std::vector<std::string> enum_values;
  // The range checked at load (and at run time for a value from an expression). For a
  // kDuration the bounds are milliseconds: a duration where 0 would mean "no limit" (a
  // timeout) has a minimum of 1 (steps/common/spec_builder.h, DurationRange).
  std::optional<double> minimum;
  std::optional<double> maximum;
  PathRole path_role = PathRole::kNone;
  // A value starting with this names no local path (s3-sync's "s3://"): the rule of
  // path_role skips it. Only this exact prefix: any other value is a local path (breakW W1).
  std::string remote_prefix = "";
  // The parameter that says which remote service a remote value is on (s3-sync's
  // "endpoint"): remote paths of two services never clash (breakCC C11: two sites, one bucket
  // name). "" when there is one service.
  std::string remote_scope = "";
  // The service, as one text, that the remote_scope parameter's value names ("" when the
  // parameter is not given): two values naming one service give one key (s3-sync's
  // S3ServiceKey; breakEE E2: "http://LOCALHOST:9000/" and "http://127.0.0.1:9000" were two
  // services, so two deleting syncs into one prefix passed). Unset: the text as it is.
  std::function<std::string(const std::string& value)> remote_scope_key = nullptr;
  // The role holds only when the parameter `role_if_param` is `role_if_value` (probe's `report`
  // is written by kind http only; breakEE E3: two tcp probes clashed on its unused default).
  std::string role_if_param = "";
  std::string role_if_value = "";
  // Suffixes of the other names the step writes (or, for kGuards, replaces or keeps) beside
  // the path: SQLite's "-wal", integrity-check's ".integrity-check" marker, restore's
  // ".before-restore". The rule of path_role compares these names too (breakW W2).
  std::vector<std::string> beside = {};
  // kWritesIn: patterns (fnmatch) of the file names the step writes, replaces or deletes
  // directly in the folder (backup: its dumps and their metadata, which retention deletes);
  // another writer's file of such a name there clashes (breakBB2 F2). Empty: every name.
  std::vector<std::string> names_in = {};
  // kWritesFile: the kind of file the step updates in place under its lock or by appending,
  // which parameters of the same kind share ("inventory": hash's and s3-sync's; "flags file":
  // two flag-updates'; "service log"). "": the file is its own, written whole; any other
  // writer of it clashes, the same parameter of another step included: the second replaces
  // what the first wrote (breakBB2 F2, breakCC C1).
  std::string shared_kind = "";
  // Steps sharing such a file must take turns: it is written whole (a copy and a marker),
  // not under a lock, so two at once would write over each other mid-way. The engine then
  // requires one to come after the other in `needs` (breakDD D10: two integrity-checks of
  // one workspace). Shared kinds updated under a lock or by appending take no turns.
  bool shared_in_turn = false;
  // A path parameter whose "" means "none" (the inventories: '' for none); any other path
  // parameter given "" is refused (breakCC C21: "" named the run's own folder, left a stray
  // .lock there, or ended in "internal error").
  bool empty_is_none = false;
};

// What an output tells the backup catalog (engine/audit/backup_catalog.h, `runbook
// backups`) about a dump, so that the catalog reads any step type's record without knowing
// it. A step that published a dump marks its outputs kDumpPath (the file, relative to the
// run's base or absolute), kDumpSha256, kDumpSize (bytes) and kDumpCreatedAt (RFC 3339, the
// snapshot's time: RPO is measured from it); a step that proved a dump sound (restored in
// isolation and checked: the drill's part) marks the checked file's sha256 kVerifiedSha256;
// a step that copied files marks its list of {location, sha256} kCopiedObjects.
enum class OutputRole {
  kNone,
  kDumpPath,
  kDumpSha256,
  kDumpSize,
  kDumpCreatedAt,
  kVerifiedSha256,
  kCopiedObjects,
};

struct OutputSpec {
  std::string name;
  ParamType type = ParamType::kString;
  std::string doc;
  // The output names a file the step made or adopted, which the run's other steps leave alone
  // when they delete (StepContext::read_elsewhere): backup's `path`, a dump found already there
  // included (breakDD D4: a later backup's retention deleted the adopted pre-migration dump).
  bool kept_for_run = false;
  OutputRole role = OutputRole::kNone;  // what it tells the backup catalog
};

enum class SideEffects { kNone, kRead, kWrite, kDestructive };
const char* SideEffectsName(SideEffects effects);

struct StepSpec {
  std::string type;  // the name used in `uses:`
  std::string summary;
  std::string description;  // longer prose for the step reference
  std::vector<ParamSpec> params;
  std::vector<OutputSpec> outputs;
  // True when the step may produce outputs beyond the declared ones (exec: any key=value
  // line); references to undeclared names are then strings checked at run time.
  bool open_outputs = false;
  SideEffects side_effects = SideEffects::kNone;
  bool idempotent = true;
  // The output holding the creation time (RFC 3339) of a backup this step restored: the
  // engine measures the run's RPO from it. "" for steps that restore nothing; any step may
  // still report `backup_created_at`.
  std::string rpo_output;
  // The step reads the passed steps of its run (StepContext::passed); only then does the
  // executor gather them for each attempt.
  bool reads_passed_steps = false;
  // What the step does ends with its run (a service it started is stopped): resume runs it
  // again instead of carrying its earlier success over.
  bool run_scoped = false;
  // The step waits for people (an approval): `defaults.timeout` does not bound it, only a
  // `timeout` set on the step itself — as GitHub Actions' job timeout does not count the
  // wait for an environment's reviewers.
  bool waits_for_people = false;
  // The step changes nothing a later step could look at (it asks, or prints): in a dry run,
  // where it is only described, a later step's look is not made stale by it (breakS S4).
  bool changes_nothing = false;
  // What the step decided holds only for the parameters it was given (an approval: a person
  // approved one prompt, with those inputs): a resume carries its success over only when its
  // parameters resolve now to what it ran with, as recorded; else it runs again (breakFF F4:
  // `resume --force` carried an approval of "Swap STAGING traffic?" to an edited "Swap
  // PRODUCTION traffic? (irreversible)").
  bool decided_on_params = false;
  // Parameters a dry run's look (StepType::DryRun) can do without: a dry run gives a secret a
  // placeholder, and a step whose other parameters are all known still looks (backup lists
  // its retention without the database's password: break18 R5). The look sees these as
  // Unknown. Any other unknown parameter: the step is only described.
  std::vector<std::string> looks_without;

  const ParamSpec* FindParam(const std::string& name) const;
  const OutputSpec* FindOutput(const std::string& name) const;
};

}  // namespace runbook
