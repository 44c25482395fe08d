#include "engine/path_roles.h"

#include <sys/stat.h>

#include <filesystem>

#include "engine/template.h"

namespace runbook {
namespace fs = std::filesystem;

namespace {

// `p` absolute and normal: relative ones against `base`; with `resolve_links`, the existing
// part of the path with its links followed before any ".." is applied (breakW W9:
// "lnk/../x" is where lnk points, up one), the rest lexically normal.
fs::path Normal(const std::string& p, const std::string& base, bool resolve_links) {
  fs::path abs = fs::path(p).is_absolute() ? fs::path(p) : fs::path(base) / p;
  bool resolved = false;
  if (resolve_links) {
    std::error_code ec;
    fs::path real = fs::weakly_canonical(abs, ec);
    if (!ec) abs = real, resolved = true;
  }
  if (!resolved) abs = abs.lexically_normal();
  std::string s = abs.string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();  // "dir/" is "dir"
  return fs::path(s);
}

// The same existing folder under two names (a bind mount: breakX X1, breakW W4).
bool SameFolder(const fs::path& a, const fs::path& b) {
  struct stat sa {
  }, sb{};
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && S_ISDIR(sa.st_mode) &&
         sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

bool Inside(const fs::path& inner, const fs::path& folder) {
  auto f = folder.begin(), i = inner.begin();
  for (; f != folder.end(); ++f, ++i)
    if (i == inner.end() || *i != *f) return false;
  return true;
}

// Values a load can know: params by their defaults; anything else is not known yet.
class DefaultsScope final : public EvalScope {
 public:
  explicit DefaultsScope(const Runbook& rb) : rb_(rb) {}
  Result<Value> Lookup(const std::vector<std::string>& path) const override {
    if (path.size() == 2 && path[0] == "params") {
      for (const ParamSpec& p : rb_.params)
        if (p.name == path[1] && !p.default_value.is_null()) return p.default_value;
    }
    return Status::Error("not known before the run");
  }
  bool StatusFunction(const std::string&) const override { return true; }

 private:
  const Runbook& rb_;
};

// The values of `step`'s parameters that have a path role, as far as `scope` knows them.
Value::Map KnownValues(const StepDecl& step, const EvalScope& scope) {
  Value::Map out;
  for (const ParamSpec& spec : step.type->spec().params) {
    if (spec.path_role == PathRole::kNone) continue;
    const TNode* node = step.With(spec.name);
    if (node == nullptr) {
      if (!spec.default_value.is_null()) out[spec.name] = spec.default_value;
      continue;
    }
    auto v = ResolveTree(*node, scope);
    if (v.ok() && !v.value().has_unknown()) out[spec.name] = v.value();
  }
  return out;
}

}  // namespace

std::vector<RolePath> RolePathsOf(int step, const StepSpec& spec, const Value::Map& params) {
  std::vector<RolePath> out;
  for (const ParamSpec& p : spec.params) {
    if (p.path_role == PathRole::kNone) continue;
    auto it = params.find(p.name);
    if (it == params.end() || !it->second.is_string()) continue;
    const std::string& path = it->second.as_string();
    if (path.empty()) continue;
    if (!p.remote_prefix.empty() && path.rfind(p.remote_prefix, 0) == 0) continue;
    out.push_back({step, p.name, p.path_role, path});
  }
  return out;
}

std::optional<std::string> PathClash(const RolePath& written, const RolePath& guarded,
                                     const std::string& base, bool resolve_links) {
  bool writes = written.role == PathRole::kWritesFile || written.role == PathRole::kWritesInside;
  if (!writes || guarded.role != PathRole::kGuards) return std::nullopt;
  fs::path w = Normal(written.path, base, resolve_links);
  fs::path g = Normal(guarded.path, base, resolve_links);
  if (w == g) return "the same path, " + g.string();
  if (written.role == PathRole::kWritesInside && Inside(g, w))
    return g.string() + " is inside the folder " + w.string();
  if (!resolve_links) return std::nullopt;
  // Names that differ may still be one place: compare the folders by identity.
  if (w.filename() == g.filename() && SameFolder(w.parent_path(), g.parent_path()))
    return "the same file, " + g.string() + ", under another name (" + w.string() + ")";
  if (written.role == PathRole::kWritesInside) {
    for (fs::path up = g.parent_path(); !up.empty() && up != up.root_path(); up = up.parent_path())
      if (SameFolder(up, w))
        return g.string() + " is inside the folder " + w.string() + " (under another name)";
  }
  return std::nullopt;
}

std::string ClashMessage(const Runbook& rb, const RolePath& at, const RolePath& other,
                         const std::string& how) {
  bool guards = at.role == PathRole::kGuards;
  std::string who = other.step == at.step
                        ? "its own parameter '" + other.param + "'"
                        : "step '" + rb.steps[other.step].id + "' as '" + other.param + "'";
  return "parameter '" + at.param + "' " + (guards ? "guards" : "writes") + " a path that " + who +
         " " + (guards ? "writes" : "guards") + " (" + how +
         "): a guarded path is replaced only after its step's own checks pass, and another "
         "step's file there would stand in for it unchecked; choose another path";
}

std::vector<LoadClash> LoadTimeClashes(const Runbook& rb, const std::string& base) {
  std::vector<RolePath> all;
  DefaultsScope defaults(rb);
  for (size_t i = 0; i < rb.steps.size(); ++i) {
    const StepDecl& step = rb.steps[i];
    if (step.type == nullptr) continue;
    for (RolePath& p :
         RolePathsOf(static_cast<int>(i), step.type->spec(), KnownValues(step, defaults)))
      all.push_back(std::move(p));
  }
  std::vector<LoadClash> out;
  for (const RolePath& w : all) {
    for (const RolePath& g : all) {
      if (&w == &g) continue;
      if (auto how = PathClash(w, g, base, false))
        out.push_back({w.step, w.param, ClashMessage(rb, w, g, *how)});
    }
  }
  return out;
}

std::vector<RolePath> PeekRolePaths(const StepDecl& step, int index, const EvalScope& scope) {
  if (step.type == nullptr) return {};
  return RolePathsOf(index, step.type->spec(), KnownValues(step, scope));
}

std::string FirstClash(const Runbook& rb, const std::vector<RolePath>& mine,
                       const std::vector<RolePath>& others, const std::string& base) {
  for (const RolePath& m : mine) {
    for (const RolePath& o : others) {
      auto how = PathClash(m, o, base, true);
      if (!how) how = PathClash(o, m, base, true);
      if (!how) continue;
      const TNode* node = rb.steps[m.step].With(m.param);
      return LocateError(Status::Error(ClashMessage(rb, m, o, *how)),
                         node != nullptr ? node->loc : Loc{})
          .message();
    }
  }
  return "";
}

}  // namespace runbook
