// Where a runbook's relative paths start, and its secrets' text masked in a message about it:
// for every command and for serve, which knows no command (cli/ builds on serve/).
#pragma once

#include <filesystem>
#include <string>

#include "engine/model.h"
#include "engine/plugin/process.h"
#include "engine/redact.h"
#include "engine/util/status.h"

namespace runbook {

// `p` absolute and normal, naming the file the kernel would open: a `..` after a link leads
// to the link target's parent, so a path holding `..` has its links resolved as far as it
// exists (breakO O17: `a/lnk/../r.yaml` ran b/r.yaml but was recorded, based and stored as
// a/r.yaml); one without keeps its links (a linked file's own name is the recorded path).
std::filesystem::path KernelPath(const std::filesystem::path& p);

// `p` absolute with its links resolved as far as it exists (realpath): the one spelling of
// a folder, as the kernel resolves `..` for every other path of the run (breakK K10).
std::filesystem::path ResolvedPath(const std::filesystem::path& p);

// The folder of the runbook file at `runbook_path`: absolute, its links resolved (realpath),
// a link to the file itself included (the folder of the file it names),
// so `working_directory: ..` and the walk for .runbook/ go up the same folders as a `..`
// inside a step does (breakK K10).
std::string RunbookFolder(const std::string& runbook_path);

// The base of `rb`'s relative paths, absolute and lexically normal. Errors: a
// working_directory that is not a folder.
Result<std::string> RunbookBase(const Runbook& rb);

// The secrets of `rb` that can be read now, for masking only (SecretsToMask), its relative
// `file:` secrets read from its base (RunbookBase, before a run entered it: breakQ Q7).
Value::Map SecretsToMaskNow(const Runbook& rb, const EnvMap& env);
// The redactor of those secrets and of the credential-named variables of this process's
// environment: what `plan`, `graph` and the masking below apply.
Redactor RunbookRedactor(const Runbook& rb);

// `message` (an error that may quote a value someone gave: --set, --input, serve's API) with
// the runbook's secrets that can be read now and the credential-named variables of this
// process's environment masked, as `plan` masks (breakN N8: a refused value was echoed whole,
// a password or PIN included; break23a A5: serve's 400 answers did the same).
std::string MaskForRunbook(const Runbook& rb, const std::string& message);
// Every string of `value` (its keys too) so masked: what a command or serve shows of a
// runbook's declaration (a schedule's params, a param's default, enum or description) that
// may hold a secret's text (break24a S2; the run masks the same text).
Value MaskForRunbook(const Runbook& rb, const Value& value);
// The same for what is said about a runbook file that may not have loaded: `rb` is what
// could be read of it (LoadRunbookText's `rejected`), nullptr when nothing could, and then
// only the environment's credential-named variables are masked (break24a S3: `plan` and `run`
// showed the source lines of a runbook's mistakes unmasked).
std::string MaskForRunbook(const Runbook* rb, const std::string& message);
// The redactor MaskForRunbook applies, for many texts at once.
Redactor RunbookRedactor(const Runbook* rb);
Value MaskForRunbook(const Runbook* rb, const Value& value);

}  // namespace runbook
