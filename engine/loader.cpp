// The loader's top level: file -> located tree -> the runbook's own keys. Steps are read in
// loader_steps.cpp and cross-checked in loader_check.cpp.
#include "engine/loader.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "engine/loader_internal.h"
#include "engine/plugin/check_value.h"
#include "engine/source/snode_value.h"
#include "engine/source/yaml_reader.h"
#include "engine/util/input_file.h"
#include "engine/util/strings.h"

namespace runbook {
namespace {

size_t ErrorCount(const Diagnostics& diags) {
  size_t n = 0;
  for (const Diagnostic& d : diags.all()) n += d.severity == Diagnostic::Severity::kError;
  return n;
}

void ReadParam(FieldReader& r, const SNode& key, const SNode& node, Runbook& rb) {
  ParamSpec spec;
  spec.name = key.text;
  if (!r.ExpectMap(node, "param '" + key.text + "'")) return;
  CheckedBlock c = CheckBlock(r, node, RunbookBlock("param"), "param '" + key.text + "'");
  if (const SNode* t = c.Get("type"))  // the key table checked the name
    spec.type = ParamTypeNamed(t->text).value_or(ParamType::kString);
  if (const SNode* d = c.Get("description")) spec.doc = d->text;
  if (const SNode* q = c.Get("required")) spec.required = ScalarValue(*q).as_bool();
  if (const SNode* e = c.Get("enum")) {
    for (const SNode& item : e->items) spec.enum_values.push_back(item.text);
  }
  if (const SNode* b = c.Get("minimum")) spec.minimum = ScalarValue(*b).as_double();
  if (const SNode* b = c.Get("maximum")) spec.maximum = ScalarValue(*b).as_double();
  if (const SNode* d = c.Get("default")) {
    spec.default_value = ToValue(*d);
    std::string error = CheckValue(spec, spec.default_value);
    if (!error.empty()) r.Error(d->loc, "default of param '" + spec.name + "': " + error);
    spec.default_value = NormaliseValue(spec, spec.default_value);
  }
  rb.params.push_back(std::move(spec));
}

void ReadSecrets(FieldReader& r, const SNode& node, Runbook& rb) {
  for (const auto& [key, value] : node.entries) {
    SecretDecl s;
    s.name = key.text;
    s.loc = key.loc;
    if (!r.ExpectMap(value, "secret '" + key.text + "'")) continue;
    CheckedBlock c = CheckBlock(r, value, RunbookBlock("secret"), "secret '" + key.text + "'");
    if (const SNode* e = c.Get("env")) s.env = e->text;
    if (const SNode* f = c.Get("file")) s.file = f->text;
    rb.secrets.push_back(std::move(s));
  }
}

void ReadObjectives(FieldReader& r, const SNode& node, Runbook& rb) {
  CheckedBlock c = CheckBlock(r, node, RunbookBlock("objectives"));
  if (const SNode* n = c.Get("rto")) rb.rto_objective = ParseDuration(n->text);
  if (const SNode* n = c.Get("rpo")) rb.rpo_objective = ParseDuration(n->text);
}

void ReadDefaults(FieldReader& r, const SNode& node, Runbook& rb) {
  CheckedBlock c = CheckBlock(r, node, RunbookBlock("defaults"));
  if (const SNode* n = c.Get("timeout")) rb.default_timeout = ParseDuration(n->text);
  if (const SNode* n = c.Get("retry")) ReadRetry(r, *n, rb.default_retry);
}

void ReadStepList(FieldReader& r, const SNode& node, bool is_finally, Runbook& rb,
                  UsesLoader& uses) {
  for (const SNode& item : node.items) {
    StepDecl step;
    ReadStep(r, item, uses.registry, is_finally, rb, step, uses);
    rb.steps.push_back(std::move(step));
  }
}

// The runbook's own keys, checked against the "runbook" block (runbook_keys.cpp) first.
void ReadRoot(FieldReader& r, const SNode& root, Runbook& rb, UsesLoader& uses) {
  CheckedBlock c = CheckBlock(r, root, RunbookBlock("runbook"));
  if (const SNode* n = c.Get("name")) rb.name = n->text;
  if (const SNode* n = c.Get("description")) rb.description = n->text;
  if (const SNode* n = c.Get("kind")) rb.kind = n->text;
  if (const SNode* n = c.Get("objectives")) ReadObjectives(r, *n, rb);
  if (const SNode* n = c.Get("params")) {
    for (const auto& [key, value] : n->entries) ReadParam(r, key, value, rb);
  }
  if (const SNode* n = c.Get("secrets")) ReadSecrets(r, *n, rb);
  if (const SNode* n = c.Get("on")) ReadTriggers(r, *n, rb, rb.on);
  if (const SNode* n = c.Get("notify")) ReadNotify(r, *n, rb);
  if (const SNode* n = c.Get("env")) rb.env = ReadEnv(r, *n, "env");
  if (const SNode* n = c.Get("defaults")) ReadDefaults(r, *n, rb);
  if (const SNode* n = c.Get("max_parallel")) {
    rb.max_parallel = static_cast<int>(std::min<int64_t>(ScalarValue(*n).as_int(), 4096));
  }
  if (const SNode* n = c.Get("lock")) rb.lock = r.Tree(*n);
  if (const SNode* n = c.Get("working_directory")) rb.working_directory = n->text;
  if (const SNode* n = c.Get("steps")) ReadStepList(r, *n, false, rb, uses);
  rb.finally_begin = rb.steps.size();
  if (const SNode* n = c.Get("finally")) ReadStepList(r, *n, true, rb, uses);
  if (const SNode* n = c.Get("outputs")) {
    rb.outputs = ReadEnv(r, *n, "outputs");
    rb.outputs_loc = n->loc;
  }
}

}  // namespace

std::unique_ptr<Runbook> LoadText(const std::string& path, std::string text, UsesLoader& loader,
                                  std::unique_ptr<Runbook>* rejected) {
  Diagnostics& diags = loader.diags;
  auto rb = std::make_unique<Runbook>();
  rb->source = {path, std::move(text)};
  std::optional<SNode> root = ReadYaml(rb->source, diags);
  if (!root) return nullptr;
  FieldReader r(rb->source, diags);
  if (!root->is_map()) {
    r.Error(root->loc, std::string("a runbook must be a mapping (version, name, steps...), "
                                   "found ") +
                           root->KindName());
    return nullptr;
  }
  // Top-level keys beginning with `x-` hold what the author keeps for anchors and is ignored,
  // as Docker Compose's extension fields are (issue 19).
  auto& top = root->entries;
  top.erase(std::remove_if(top.begin(), top.end(),
                           [](const auto& e) { return e.first.text.rfind("x-", 0) == 0; }),
            top.end());
  size_t errors_before = ErrorCount(diags);
  ReadRoot(r, *root, *rb, loader);
  rb->IndexSteps();
  CheckSteps(r, *rb);
  CheckExpressions(r, *rb);
  CheckOutputs(r, *rb);
  CheckPathRoles(r, *rb);
  if (ErrorCount(diags) == errors_before) return rb;
  if (rejected != nullptr) *rejected = std::move(rb);
  return nullptr;
}

std::unique_ptr<Runbook> LoadRunbookText(const std::string& path, std::string text,
                                         const StepRegistry& registry, Diagnostics& diags,
                                         std::unique_ptr<Runbook>* rejected) {
  SuggestionBudget suggestions;  // "did you mean" for the whole load, used runbooks included
  UsesLoader loader{registry, diags, {}, {}, {}};
  std::error_code ec;
  std::filesystem::path canonical = std::filesystem::weakly_canonical(path, ec);
  loader.chain.push_back(ec ? path : canonical.string());
  auto rb = LoadText(path, std::move(text), loader, rejected);
  for (const auto& source : loader.sources) diags.KeepSource(source);
  diags.Sort();
  if (rb == nullptr || diags.has_errors()) {  // LoadText filled `rejected`, or left it
    if (rb != nullptr && rejected != nullptr) *rejected = std::move(rb);
    return nullptr;
  }
  rb->used_sources = loader.sources;
  return rb;
}

namespace {

// Why `path` cannot be read as a runbook ("is a directory, not a runbook file", "cannot read
// the file: No such file or directory"); "" for a regular file.
std::string NotARunbookFile(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return "cannot read the file: " + std::string(std::strerror(errno));
  if (S_ISREG(st.st_mode)) return "";
  return "is " + std::string(S_ISDIR(st.st_mode) ? "a directory" : FileKindName(st.st_mode)) +
         ", not a runbook file";
}

}  // namespace

bool ReadRunbookSource(const std::string& path, SourceText& out, Diagnostics& diags) {
  out.path = path;
  if (std::string why = NotARunbookFile(path); !why.empty()) {
    diags.Error(path, {}, why);
    return false;
  }
  // Opened without blocking and checked again once open (input_file.h): a FIFO put there
  // in between is refused, never waited on.
  auto file = OpenInputStream(path);
  if (!file.ok()) {
    std::string why = "cannot read the file: " + std::string(std::strerror(errno));
    std::string now = NotARunbookFile(path);
    diags.Error(path, {}, now.empty() ? why : now);
    return false;
  }
  // Read at most one byte past the limit: an oversized file is refused, not slurped. In
  // pieces: a buffer of the limit's size (16 MiB) zeroed for every file read was a tenth of
  // the CPU of `runbook` processes (profiled 2026-12-05, io_buffer.h).
  constexpr size_t kLimit = YamlLimits{}.max_bytes + 1;
  out.text.clear();
  char piece[65536];
  size_t n = 0;
  while (out.text.size() < kLimit &&
         (n = std::fread(piece, 1, std::min(sizeof piece, kLimit - out.text.size()),
                         file.value())) > 0)
    out.text.append(piece, n);
  int err = std::ferror(file.value()) ? errno : 0;
  std::fclose(file.value());
  if (err != 0) {
    diags.Error(path, {}, "cannot read the file: " + std::string(std::strerror(err)));
    return false;
  }
  return true;
}

std::unique_ptr<Runbook> LoadRunbookFile(const std::string& path, const StepRegistry& registry,
                                         Diagnostics& diags) {
  SourceText source;
  if (!ReadRunbookSource(path, source, diags)) return nullptr;
  return LoadRunbookText(path, std::move(source.text), registry, diags);
}

}  // namespace runbook
