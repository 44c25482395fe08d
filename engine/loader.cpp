// The loader's top level: file -> located tree -> the runbook's own keys. Steps are read in
// loader_steps.cpp and cross-checked in loader_check.cpp.
#include "engine/loader.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "engine/loader_internal.h"
#include "engine/plugin/check_value.h"
#include "engine/source/snode_value.h"
#include "engine/source/yaml_reader.h"
#include "engine/util/input_file.h"
#include "engine/util/strings.h"

namespace runbook {
namespace {

const std::vector<std::string> kTopKeys = {
    "version", "name",     "description",  "kind", "objectives", "params", "secrets",
    "env",     "defaults", "max_parallel", "lock", "steps",      "finally"};
const std::vector<std::string> kParamKeys = {"type",    "default", "description", "enum",
                                             "minimum", "maximum", "required"};
const std::vector<std::string> kParamTypes = {"string",   "integer", "number", "boolean",
                                              "duration", "list",    "map"};

ParamType ParamTypeFromName(const std::string& name) {
  static const std::vector<std::pair<std::string, ParamType>> kTable = {
      {"string", ParamType::kString},
      {"integer", ParamType::kInteger},
      {"number", ParamType::kNumber},
      {"boolean", ParamType::kBoolean},
      {"duration", ParamType::kDuration},
      {"list", ParamType::kList},
      {"map", ParamType::kMap}};
  for (const auto& [n, t] : kTable) {
    if (n == name) return t;
  }
  return ParamType::kString;
}

void ReadParam(FieldReader& r, const SNode& key, const SNode& node, Runbook& rb) {
  ParamSpec spec;
  spec.name = key.text;
  if (!r.ExpectMap(node, "param '" + key.text + "'")) return;
  r.CheckKeys(node, kParamKeys, "param '" + key.text + "'");
  if (const SNode* t = node.Get("type")) {
    if (auto name = r.Choice(*t, "param type", kParamTypes)) spec.type = ParamTypeFromName(*name);
  }
  if (const SNode* d = node.Get("description")) spec.doc = r.String(*d, "description").value_or("");
  if (const SNode* q = node.Get("required"))
    spec.required = r.Boolean(*q, "required").value_or(false);
  if (const SNode* e = node.Get("enum")) {
    if (e->is_seq()) {
      for (const SNode& item : e->items) spec.enum_values.push_back(item.text);
    } else {
      r.Error(e->loc, "enum must be a list");
    }
  }
  for (const char* bound : {"minimum", "maximum"}) {
    if (const SNode* b = node.Get(bound)) {
      Value v = ScalarValue(*b);
      if (!v.is_number())
        r.Error(b->loc, std::string(bound) + " must be a number");
      else
        (std::string(bound) == "minimum" ? spec.minimum : spec.maximum) = v.as_double();
    }
  }
  if (const SNode* d = node.Get("default")) {
    spec.default_value = ToValue(*d);
    std::string error = CheckValue(spec, spec.default_value);
    if (!error.empty()) r.Error(d->loc, "default of param '" + spec.name + "': " + error);
    spec.default_value = NormaliseValue(spec, spec.default_value);
  }
  rb.params.push_back(std::move(spec));
}

void ReadSecrets(FieldReader& r, const SNode& node, Runbook& rb) {
  if (!r.ExpectMap(node, "secrets")) return;
  for (const auto& [key, value] : node.entries) {
    SecretDecl s;
    s.name = key.text;
    s.loc = key.loc;
    if (!r.ExpectMap(value, "secret '" + key.text + "'")) continue;
    r.CheckKeys(value, {"env", "file"}, "secret '" + key.text + "'");
    if (const SNode* e = value.Get("env")) s.env = r.String(*e, "env").value_or("");
    if (const SNode* f = value.Get("file")) s.file = r.String(*f, "file").value_or("");
    if (s.env.empty() == s.file.empty()) {
      r.Error(value.loc, "secret '" + key.text + "' needs exactly one of 'env' or 'file'");
    }
    rb.secrets.push_back(std::move(s));
  }
}

void ReadObjectives(FieldReader& r, const SNode& node, Runbook& rb) {
  if (!r.ExpectMap(node, "objectives")) return;
  r.CheckKeys(node, {"rto", "rpo"}, "objectives");
  if (const SNode* n = node.Get("rto")) rb.rto_objective = r.Duration(*n, "objectives.rto");
  if (const SNode* n = node.Get("rpo")) rb.rpo_objective = r.Duration(*n, "objectives.rpo");
}

void ReadDefaults(FieldReader& r, const SNode& node, Runbook& rb) {
  if (!r.ExpectMap(node, "defaults")) return;
  r.CheckKeys(node, {"timeout", "retry"}, "defaults");
  if (const SNode* n = node.Get("timeout"))
    rb.default_timeout = r.PositiveDuration(*n, "defaults.timeout");
  if (const SNode* n = node.Get("retry")) ReadRetry(r, *n, rb.default_retry);
}

void ReadIdentity(FieldReader& r, const SNode& root, Runbook& rb) {
  const SNode* version = root.Get("version");
  if (version == nullptr) {
    r.Error(root.loc, "missing required key 'version' (the format version: 1)");
  } else if (auto v = r.Integer(*version, "version")) {
    if (*v != 1)
      r.Error(version->loc, "unsupported version " + std::to_string(*v) +
                                "; this runbook engine reads version 1");
  }
  if (const SNode* name = root.Get("name")) {
    rb.name = r.String(*name, "name").value_or("");
    if (!rb.name.empty() && !IsLowerName(rb.name, false)) {
      r.Error(name->loc, "invalid name '" + rb.name +
                             "'; expected lowercase letters, digits and '-', starting with a "
                             "letter or digit");
    }
  } else {
    r.Error(root.loc, "missing required key 'name'");
  }
  if (const SNode* d = root.Get("description"))
    rb.description = r.String(*d, "description").value_or("");
  if (const SNode* k = root.Get("kind")) {
    rb.kind =
        r.Choice(*k, "kind", {"backup", "restore", "drill", "canary", "custom"}).value_or("custom");
  }
}

void ReadStepList(FieldReader& r, const SNode& node, const StepRegistry& registry, bool is_finally,
                  Runbook& rb) {
  if (!node.is_seq()) {
    r.Error(node.loc, std::string(is_finally ? "finally" : "steps") + " must be a list, found " +
                          node.KindName());
    return;
  }
  for (const SNode& item : node.items) {
    StepDecl step;
    ReadStep(r, item, registry, is_finally, rb, step);
    rb.steps.push_back(std::move(step));
  }
}

void ReadRoot(FieldReader& r, const SNode& root, const StepRegistry& registry, Runbook& rb) {
  r.CheckKeys(root, kTopKeys, "the runbook");
  ReadIdentity(r, root, rb);
  if (const SNode* n = root.Get("objectives")) ReadObjectives(r, *n, rb);
  if (const SNode* n = root.Get("params")) {
    if (r.ExpectMap(*n, "params")) {
      for (const auto& [key, value] : n->entries) ReadParam(r, key, value, rb);
    }
  }
  if (const SNode* n = root.Get("secrets")) ReadSecrets(r, *n, rb);
  if (const SNode* n = root.Get("env")) rb.env = ReadEnv(r, *n, "env");
  if (const SNode* n = root.Get("defaults")) ReadDefaults(r, *n, rb);
  if (const SNode* n = root.Get("max_parallel")) {
    auto v = r.Integer(*n, "max_parallel");
    if (v && *v < 1)
      r.Error(n->loc, "max_parallel must be at least 1, found " + std::to_string(*v));
    if (v && *v >= 1) rb.max_parallel = static_cast<int>(std::min<int64_t>(*v, 4096));
  }
  if (const SNode* n = root.Get("lock")) {
    if (n->is_scalar())
      rb.lock = r.Tree(*n);
    else
      r.Error(n->loc, "lock must be a string");
  }
  const SNode* steps = root.Get("steps");
  if (steps == nullptr)
    r.Error(root.loc, "missing required key 'steps'");
  else
    ReadStepList(r, *steps, registry, false, rb);
  rb.finally_begin = rb.steps.size();
  if (const SNode* n = root.Get("finally")) ReadStepList(r, *n, registry, true, rb);
}

}  // namespace

std::unique_ptr<Runbook> LoadRunbookText(const std::string& path, std::string text,
                                         const StepRegistry& registry, Diagnostics& diags) {
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
  ReadRoot(r, *root, registry, *rb);
  rb->IndexSteps();
  CheckSteps(r, *rb);
  CheckExpressions(r, *rb);
  diags.Sort();
  return diags.has_errors() ? nullptr : std::move(rb);
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
  // Read at most one byte past the limit: an oversized file is refused, not slurped.
  constexpr size_t kLimit = YamlLimits{}.max_bytes + 1;
  out.text.assign(kLimit, '\0');
  size_t n = std::fread(out.text.data(), 1, kLimit, file.value());
  int err = std::ferror(file.value()) ? errno : 0;
  std::fclose(file.value());
  out.text.resize(n);
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
