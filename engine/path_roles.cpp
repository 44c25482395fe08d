#include "engine/path_roles.h"

#include <sys/stat.h>

#include <filesystem>
#include <utility>

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

// Where `p` (absolute, normal) is: its deepest existing ancestor (itself when it exists) by
// identity, and the part below it that does not exist yet, as written.
struct Anchor {
  dev_t dev = 0;
  ino_t ino = 0;
  fs::path rest;
  bool found = false;
};

Anchor AnchorOf(const fs::path& p) {
  Anchor a;
  fs::path at = p;
  for (;;) {
    struct stat st {};
    if (::stat(at.c_str(), &st) == 0) {
      a = {st.st_dev, st.st_ino, p.lexically_relative(at), true};
      return a;
    }
    if (at == at.root_path() || !at.has_parent_path() || at.parent_path() == at) return a;
    at = at.parent_path();
  }
}

// One place under two names: the same existing file or folder (a bind mount: breakX X1,
// breakW W4), or the same names below the same existing folder (breakY Y3: a folder not
// made yet under a bind mount of the guarded path's folder).
bool SamePlace(const fs::path& a, const fs::path& b) {
  Anchor x = AnchorOf(a), y = AnchorOf(b);
  return x.found && y.found && x.dev == y.dev && x.ino == y.ino && x.rest == y.rest;
}

bool Inside(const fs::path& inner, const fs::path& folder) {
  auto f = folder.begin(), i = inner.begin();
  for (; f != folder.end(); ++f, ++i)
    if (i == inner.end() || *i != *f) return false;
  return true;
}

// One name of a path: the path plus `suffix`; with `prefix` (a suffix ending in '*'), every
// name in that folder starting so (restore's `.before-restore-<time>` copies: breakZ Z14).
struct Name {
  std::string suffix;
  fs::path path;
  bool prefix = false;
};

// `p`'s names: itself, then itself plus each suffix its step writes beside it (a folder
// written into has only its own name).
std::vector<Name> NamesOf(const RolePath& p, const fs::path& path) {
  std::vector<Name> names{{"", path, false}};
  if (p.role == PathRole::kWritesInside || p.role == PathRole::kWritesIn) return names;
  for (const std::string& suffix : p.beside) {
    bool prefix = !suffix.empty() && suffix.back() == '*';
    std::string stem = prefix ? suffix.substr(0, suffix.size() - 1) : suffix;
    names.push_back({suffix, fs::path(path.string() + stem), prefix});
  }
  return names;
}

// Whether two names (texts: whole paths, or file names) meet: equal, or one is a prefix name
// the other starts with, within one folder.
bool Meet(const std::string& a, bool a_prefix, const std::string& b, bool b_prefix) {
  auto starts = [](const std::string& text, const std::string& stem) {
    return text.compare(0, stem.size(), stem) == 0 &&
           text.find('/', stem.size()) == std::string::npos;
  };
  if (a_prefix && b_prefix) return starts(a, b) || starts(b, a);
  if (a_prefix) return starts(b, a);
  if (b_prefix) return starts(a, b);
  return a == b;
}

// How a name of `written` (at `w`) is a name of `guarded` (at `g`): the same path, or
// (links followed) the same file name in the same folder reached another way (a bind mount:
// breakX X1). nullopt when none is.
std::optional<std::string> SameName(const RolePath& written, const fs::path& w,
                                    const RolePath& guarded, const fs::path& g,
                                    bool resolve_links) {
  for (const Name& wname : NamesOf(written, w)) {
    for (const Name& gname : NamesOf(guarded, g)) {
      const std::string &ws = wname.suffix, &gs = gname.suffix;
      const fs::path &wn = wname.path, &gn = gname.path;
      bool same = Meet(wn.string(), wname.prefix, gn.string(), gname.prefix);
      bool aliased =
          !same && resolve_links &&
          Meet(wn.filename().string(), wname.prefix, gn.filename().string(), gname.prefix) &&
          SamePlace(wn.parent_path(), gn.parent_path());
      if (!same && !aliased) continue;
      // A prefix name is shown with its '*': "a.db.before-restore*".
      std::string g_shown = gn.string() + (gname.prefix ? "*" : "");
      std::string w_shown = wn.string() + (wname.prefix ? "*" : "");
      std::string how = aliased
                            ? "the same file, " + g_shown + ", under another name (" + w_shown + ")"
                        : wname.prefix || gname.prefix
                            ? "the names " + (gname.prefix ? w_shown + " and " + g_shown
                                                           : g_shown + " and " + w_shown)
                            : "the same path, " + g_shown;
      if (!ws.empty())
        how += std::string(", which its step ") +
               (written.role == PathRole::kGuards ? "keeps" : "writes") + " beside " + w.string();
      if (!gs.empty()) how += ", which the guarding step keeps beside " + g.string();
      return how;
    }
  }
  return std::nullopt;
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

// The values of `step`'s parameters that have a path role, as far as `scope` knows them;
// the names of those it cannot know yet go to `unknown` (when given).
Value::Map KnownValues(const StepDecl& step, const EvalScope& scope,
                       std::vector<std::string>* unknown = nullptr) {
  Value::Map out;
  for (const ParamSpec& spec : step.type->spec().params) {
    if (spec.path_role == PathRole::kNone) continue;
    const TNode* node = step.With(spec.name);
    if (node == nullptr) {
      if (!spec.default_value.is_null()) out[spec.name] = spec.default_value;
      continue;
    }
    auto v = ResolveTree(*node, scope);
    if (v.ok() && !v.value().has_unknown())
      out[spec.name] = v.value();
    else if (unknown != nullptr)
      unknown->push_back(spec.name);
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
    out.push_back({step, p.name, p.path_role, path, p.beside});
  }
  return out;
}

std::optional<std::string> PathClash(const RolePath& written, const RolePath& guarded,
                                     const std::string& base, bool resolve_links) {
  if (written.role == PathRole::kGuards && guarded.role == PathRole::kGuards) {
    // Two guards of one path are one target restored twice; a guard at a name another keeps
    // beside its own (its -wal, its .before-restore) is not (breakY Y13).
    fs::path a = Normal(written.path, base, resolve_links);
    fs::path b = Normal(guarded.path, base, resolve_links);
    if (a == b || (resolve_links && SamePlace(a, b))) return std::nullopt;
    return SameName(written, a, guarded, b, resolve_links);
  }
  bool writes = written.role == PathRole::kWritesFile || written.role == PathRole::kWritesInside ||
                written.role == PathRole::kWritesIn;
  if (!writes || guarded.role != PathRole::kGuards) return std::nullopt;
  fs::path w = Normal(written.path, base, resolve_links);
  fs::path g = Normal(guarded.path, base, resolve_links);
  if (written.role == PathRole::kWritesInside && Inside(g, w))
    return g.string() + " is inside the folder " + w.string();
  if (written.role == PathRole::kWritesIn &&
      (g.parent_path() == w || (resolve_links && SamePlace(g.parent_path(), w))))
    return g.string() + " is in the folder " + w.string();
  if (auto same = SameName(written, w, guarded, g, resolve_links)) return same;
  if (!resolve_links || written.role != PathRole::kWritesInside) return std::nullopt;
  for (fs::path up = g.parent_path(); !up.empty() && up != up.root_path(); up = up.parent_path())
    if (SamePlace(up, w))
      return g.string() + " is inside the folder " + w.string() + " (under another name)";
  return std::nullopt;
}

std::string ClashMessage(const Runbook& rb, const RolePath& at, const RolePath& other,
                         const std::string& how) {
  bool guards = at.role == PathRole::kGuards;
  bool both = guards && other.role == PathRole::kGuards;
  std::string who = other.step == at.step
                        ? "its own parameter '" + other.param + "'"
                        : "step '" + rb.steps[other.step].id + "' as '" + other.param + "'";
  return "parameter '" + at.param + "' " + (guards ? "guards" : "writes") + " a path that " + who +
         " " +
         (both     ? "also guards"
          : guards ? "writes"
                   : "guards") +
         " (" + how +
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
      bool guards = w.role == PathRole::kGuards && g.role == PathRole::kGuards;
      if (&w == &g || (guards && &w > &g)) continue;  // a pair of guards is said once
      if (auto how = PathClash(w, g, base, false))
        out.push_back({w.step, w.param, ClashMessage(rb, w, g, *how)});
    }
  }
  return out;
}

std::vector<RolePath> PeekRolePaths(const StepDecl& step, int index, const EvalScope& scope,
                                    std::vector<std::string>* unknown_guards) {
  if (step.type == nullptr) return {};
  std::vector<std::string> unknown;
  Value::Map known = KnownValues(step, scope, &unknown);
  for (const std::string& name : unknown) {
    const ParamSpec* spec = step.type->spec().FindParam(name);
    if (unknown_guards != nullptr && spec && spec->path_role == PathRole::kGuards)
      unknown_guards->push_back(name);
  }
  return RolePathsOf(index, step.type->spec(), known);
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
