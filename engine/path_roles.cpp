#include "engine/path_roles.h"

#include <fnmatch.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "engine/redact.h"
#include "engine/template.h"

namespace runbook {
namespace fs = std::filesystem;

namespace {

// `p` absolute and normal: relative ones against `base`; with `resolve_links`, the existing
// part of the path with its links followed before any ".." is applied (breakW W9:
// "lnk/../x" is where lnk points, up one), the rest lexically normal. A path holding ".."
// has its links followed at load too: folded lexically, "lnk/../x" named a place the kernel
// does not open (breakBB2 F3).
fs::path Normal(const std::string& p, const std::string& base, bool resolve_links) {
  fs::path abs = fs::path(p).is_absolute() ? fs::path(p) : fs::path(base) / p;
  bool resolved = false;
  bool dotdot = std::any_of(abs.begin(), abs.end(), [](const fs::path& c) { return c == ".."; });
  if (resolve_links || dotdot) {
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
      if (!gs.empty())
        how += std::string(", which the ") +
               (guarded.role == PathRole::kGuards ? "guarding" : "other") + " step keeps beside " +
               g.string();
      return how;
    }
  }
  return std::nullopt;
}

// Values a load can know: params by their defaults; anything else is not known yet. The
// params whose defaults were read since Reads() was last cleared are kept there.
class DefaultsScope final : public EvalScope {
 public:
  explicit DefaultsScope(const Runbook& rb) : rb_(rb) {}
  Result<Value> Lookup(const std::vector<std::string>& path) const override {
    if (path.size() == 2 && path[0] == "params") {
      for (const ParamSpec& p : rb_.params)
        if (p.name == path[1] && !p.default_value.is_null()) {
          reads_.insert(p.name);
          return p.default_value;
        }
    }
    return Status::Error("not known before the run");
  }
  bool StatusFunction(const std::string&) const override { return true; }
  std::set<std::string>& Reads() const { return reads_; }

 private:
  const Runbook& rb_;
  mutable std::set<std::string> reads_;
};

// Where a value known at load came from, for the message: "" for a literal, else
// " (by the default of params.db, ...)": a default that clashes is refused whatever --set
// gives a run, as `validate` cannot know what a run will be given.
std::string DefaultsNote(const std::set<std::string>& reads) {
  if (reads.empty()) return "";
  std::string names;
  for (const std::string& n : reads) names += (names.empty() ? "" : ", ") + ("params." + n);
  return " (its value is the default of " + names +
         ": a default must be apart too, whatever --set gives a run)";
}

// The values of `step`'s parameters that have a path role, as far as `scope` knows them;
// the names of those it cannot know yet go to `unknown` (when given).
Value::Map KnownValues(const StepDecl& step, const EvalScope& scope,
                       std::vector<std::string>* unknown = nullptr) {
  Value::Map out;
  std::set<std::string> scopes;  // the parameters naming a remote service (remote_scope)
  for (const ParamSpec& spec : step.type->spec().params) {
    if (!spec.remote_scope.empty()) scopes.insert(spec.remote_scope);
    if (!spec.role_if_param.empty()) scopes.insert(spec.role_if_param);
  }
  for (const ParamSpec& spec : step.type->spec().params) {
    bool names_service = scopes.count(spec.name) > 0;
    if (spec.path_role == PathRole::kNone && !names_service) continue;
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
    // A service not known yet is its expression's text, not "none" (the default service):
    // two uploads whose endpoints are unknown at load meet only when written alike.
    if (names_service && out.count(spec.name) == 0)
      out[spec.name] = Value(v.ok() ? v.value().ToText() : node->text);
  }
  return out;
}

}  // namespace

std::vector<RolePath> RolePathsOf(int step, const StepSpec& spec, const Value::Map& params) {
  std::vector<RolePath> out;
  for (const ParamSpec& p : spec.params) {
    if (p.path_role == PathRole::kNone) continue;
    auto it = params.find(p.name);
    if (it == params.end()) continue;
    if (!p.role_if_param.empty()) {  // a role that holds for one value of another parameter
      auto when = params.find(p.role_if_param);
      if (when == params.end() || when->second.ToText() != p.role_if_value) continue;
    }
    if (p.path_role == PathRole::kReads && it->second.is_list()) {  // hash's files
      for (const Value& item : it->second.as_list())
        if (item.is_string() && !item.as_string().empty())
          out.push_back({step, p.name, p.path_role, item.as_string()});
      continue;
    }
    if (!it->second.is_string()) continue;
    const std::string& path = it->second.as_string();
    if (path.empty()) continue;
    bool remote = !p.remote_prefix.empty() && path.rfind(p.remote_prefix, 0) == 0;
    out.push_back({step, p.name, p.path_role, path, p.beside, p.names_in, p.shared_kind,
                   p.shared_in_turn, remote});
    if (!remote || p.remote_scope.empty()) continue;
    auto scope = params.find(p.remote_scope);
    RolePath& r = out.back();
    r.scope_text = scope == params.end() ? "" : scope->second.ToText();
    bool masked = r.scope_text.find(kMask) != std::string::npos;
    r.remote_scope =
        p.remote_scope_key && !masked ? p.remote_scope_key(r.scope_text) : r.scope_text;
  }
  return out;
}

std::string PathIdentity(const RolePath& p) {
  return p.remote ? p.scope_text + " " + p.path : p.path;
}

bool IdentityMasked(const RolePath& p) {
  return p.path.find(kMask) != std::string::npos ||
         (p.remote && p.scope_text.find(kMask) != std::string::npos);
}

namespace {

bool Writes(PathRole role) {
  return role == PathRole::kWritesFile || role == PathRole::kWritesInside ||
         role == PathRole::kWritesIn;
}

// `b`'s path or a name it keeps beside it lies under a name `a` writes or guards as a file:
// writing it makes a folder of that name (breakBB2 F10: an archive at "<target>-wal/x" and
// the restored database cannot be opened; a flags file's ".lock/x" and no run takes the
// lock). nullopt when none does, or when `a` is a folder (the inside rules say those).
std::optional<std::string> Under(const RolePath& a, const fs::path& pa, const RolePath& b,
                                 const fs::path& pb, bool resolve_links) {
  if (a.role == PathRole::kWritesInside || a.role == PathRole::kWritesIn) return std::nullopt;
  for (const Name& an : NamesOf(a, pa)) {
    for (const Name& bn : NamesOf(b, pb)) {
      bool under = bn.path != an.path && Inside(bn.path, an.path);
      if (an.prefix && !under) {  // under any name starting so: "<target>.before-restore-x/y"
        fs::path rel = bn.path.lexically_relative(an.path.parent_path());
        std::string first = rel.empty() ? "" : rel.begin()->string();
        under =
            std::distance(rel.begin(), rel.end()) > 1 && first != ".." &&
            first.compare(0, an.path.filename().string().size(), an.path.filename().string()) == 0;
      }
      for (fs::path up = bn.path.parent_path();
           !under && resolve_links && !up.empty() && up != up.root_path(); up = up.parent_path())
        under = SamePlace(up, an.path);
      if (under)
        return bn.path.string() + " is under " + an.path.string() + ", a file the other step " +
               (a.role == PathRole::kGuards ? "guards" : "writes") +
               ": writing there makes a folder of it";
    }
  }
  return std::nullopt;
}

// Either way round.
std::optional<std::string> EitherUnder(const RolePath& a, const fs::path& pa, const RolePath& b,
                                       const fs::path& pb, bool resolve_links) {
  if (auto u = Under(a, pa, b, pb, resolve_links)) return u;
  return Under(b, pb, a, pa, resolve_links);
}

// A name of `other` is a file directly in the folder `folder` writes in (kWritesIn) and of a
// name it writes there (its names_in: backup's dumps and their metadata, breakBB2 F2).
std::optional<std::string> InItsNames(const RolePath& folder, const fs::path& fp,
                                      const RolePath& other, const fs::path& op,
                                      bool resolve_links) {
  if (folder.role != PathRole::kWritesIn) return std::nullopt;
  for (const Name& name : NamesOf(other, op)) {
    // The name directly in the folder, or the one below the folder it lies under (breakDD
    // D9: "<dest>/<name>.sqlite.gz/x" made a folder at the dump's name).
    fs::path at = name.path;
    while (at.has_parent_path() && at.parent_path() != at && at.parent_path() != fp &&
           !(resolve_links && SamePlace(at.parent_path(), fp)))
      at = at.parent_path();
    if (!at.has_parent_path() || at.parent_path() == at) continue;
    std::string file = at.filename().string();
    bool named = folder.names_in.empty();
    for (const std::string& pattern : folder.names_in)
      named = named || ::fnmatch(pattern.c_str(), file.c_str(), 0) == 0;  // ".n.sqlite.gz" too
    if (named && at == name.path)
      return name.path.string() + " is a name the step writing in " + fp.string() +
             " writes or deletes there";
    if (named)
      return name.path.string() + " is under " + at.string() + ", a name the step writing in " +
             fp.string() + " writes there: writing it makes a folder of that name";
  }
  return std::nullopt;
}

// One path written by both is shared only by two steps writing in one folder (two backups'
// dest: retention keeps what its own run made) or two parameters that update one file of the
// same kind in place under its lock or by appending (two flag-updates; hash's and s3-sync's
// inventory; two services' log); any other pair replaces what the other wrote (breakBB2 F2:
// an archive over a dump, over an env file; breakCC C1: two archives, two env files, two kept
// workspaces) or deletes it (F8: a backup's dest that is also s3-sync's).
bool Shares(const RolePath& a, const RolePath& b) {
  if (a.role == PathRole::kWritesIn && b.role == PathRole::kWritesIn) return true;
  return a.role == PathRole::kWritesFile && b.role == PathRole::kWritesFile &&
         !a.shared_as.empty() && a.shared_as == b.shared_as;
}

// Two writers (breakAA A2): not one path (unless Shares), not a name the other keeps beside
// its file (its lock, its history), not under a name the other writes as a file, not inside a
// folder the other writes inside (s3-sync's dest: with `delete` it removes what its source
// lacks), not a name the other writes in its folder (backup's dumps).
std::optional<std::string> WritersClash(const RolePath& a, const RolePath& b,
                                        const std::string& base, bool resolve_links) {
  fs::path pa = Normal(a.path, base, resolve_links);
  fs::path pb = Normal(b.path, base, resolve_links);
  if (pa == pb || (resolve_links && SamePlace(pa, pb))) {
    if (Shares(a, b)) return std::nullopt;
    return "the same path, " + pa.string() + (pa == pb ? "" : " (under another name)");
  }
  if (auto same = SameName(a, pa, b, pb, resolve_links)) return same;
  if (auto under = EitherUnder(a, pa, b, pb, resolve_links)) return under;
  for (const auto& [folder, folder_path, other, other_path] :
       {std::tuple(&a, pa, &b, pb), std::tuple(&b, pb, &a, pa)}) {
    if (auto in = InItsNames(*folder, folder_path, *other, other_path, resolve_links)) return in;
    if (folder->role != PathRole::kWritesInside) continue;
    for (const Name& name : NamesOf(*other, other_path)) {
      bool inside = Inside(name.path, folder_path);
      for (fs::path up = name.path.parent_path();
           !inside && resolve_links && !up.empty() && up != up.root_path(); up = up.parent_path())
        inside = SamePlace(up, folder_path);
      if (inside)
        return name.path.string() + " is inside the folder " + folder_path.string() +
               ", where the step writing into it may replace or delete any file";
    }
  }
  return std::nullopt;
}

}  // namespace

namespace {

// A step acting on a path it reads itself (another step may: the DAG orders them): over it
// (breakDD D14: canary-compare's summary over its current report; breakCC C15: restore's
// target at its source), inside it when it is a folder (breakEE E6: s3-sync's inventory or
// dest inside its own source, an archive inside a folder it packs), or around it, a folder
// written in holding it (s3-sync's source inside its dest, where delete removes it).
std::optional<std::string> OwnReadClash(const RolePath& x, const RolePath& y,
                                        const std::string& base, bool resolve_links) {
  const RolePath& acting = x.role == PathRole::kReads ? y : x;
  const RolePath& read = x.role == PathRole::kReads ? x : y;
  if (x.step != y.step || acting.role == PathRole::kReads || x.remote || y.remote)
    return std::nullopt;
  fs::path a = Normal(acting.path, base, resolve_links);
  fs::path r = Normal(read.path, base, resolve_links);
  if (a == r || (resolve_links && SamePlace(a, r)))
    return "the same path, " + a.string() + ", which the step also reads";
  if (Inside(a, r)) return a.string() + " is inside " + r.string() + ", which the step also reads";
  bool folder = acting.role == PathRole::kWritesInside || acting.role == PathRole::kWritesIn;
  if (folder && Inside(r, a))
    return "the folder " + a.string() + " holds " + r.string() + ", which the step also reads";
  return std::nullopt;
}

}  // namespace

std::optional<std::string> PathClash(const RolePath& written, const RolePath& guarded,
                                     const std::string& base, bool resolve_links) {
  if (written.role == PathRole::kReads || guarded.role == PathRole::kReads)
    return OwnReadClash(written, guarded, base, resolve_links);
  // A remote path ("s3://bucket/prefix") meets only remote ones, by its text: two uploads into
  // one prefix, one deleting what the other put there (breakCC C10). Never a local file.
  if (written.remote || guarded.remote) {
    if (written.remote != guarded.remote || written.remote_scope != guarded.remote_scope)
      return std::nullopt;
    RolePath a = written, b = guarded;
    a.path = "/" + a.path, b.path = "/" + b.path;  // "/s3:/bucket/prefix", lexically
    a.remote = b.remote = false;
    auto how = PathClash(a, b, "/", false);
    if (!how) return how;
    for (const RolePath* r : {&written, &guarded}) {  // said as written: "s3://bucket/prefix"
      std::string shown = Normal("/" + r->path, "/", false).string();
      std::string plain = r->path;
      while (plain.size() > 1 && plain.back() == '/') plain.pop_back();
      for (size_t at = how->find(shown); at != std::string::npos; at = how->find(shown, at + 1))
        how->replace(at, shown.size(), plain);
    }
    // The service as each wrote it (a secret's text is masked after), never its key: a key
    // made from a secret's text would show what the mask hides.
    auto as_written = [](const RolePath& r) {
      return r.scope_text.empty() ? std::string("the default") : "'" + r.scope_text + "'";
    };
    std::string where = as_written(written);
    if (guarded.scope_text != written.scope_text) where += " and " + as_written(guarded);
    return *how + " on one service (" + where + ")";
  }
  if (Writes(written.role) && Writes(guarded.role))
    return WritersClash(written, guarded, base, resolve_links);
  if (written.role == PathRole::kGuards && guarded.role == PathRole::kGuards) {
    // Two guards of one path are one target restored twice; a guard at a name another keeps
    // beside its own (its -wal, its .before-restore) is not (breakY Y13).
    fs::path a = Normal(written.path, base, resolve_links);
    fs::path b = Normal(guarded.path, base, resolve_links);
    if (a == b || (resolve_links && SamePlace(a, b))) return std::nullopt;
    if (auto same = SameName(written, a, guarded, b, resolve_links)) return same;
    return EitherUnder(written, a, guarded, b, resolve_links);
  }
  if (!Writes(written.role) || guarded.role != PathRole::kGuards) return std::nullopt;
  fs::path w = Normal(written.path, base, resolve_links);
  fs::path g = Normal(guarded.path, base, resolve_links);
  if (written.role == PathRole::kWritesInside && Inside(g, w))
    return g.string() + " is inside the folder " + w.string();
  if (written.role == PathRole::kWritesIn &&
      (g.parent_path() == w || (resolve_links && SamePlace(g.parent_path(), w))))
    return g.string() + " is in the folder " + w.string();
  if (auto same = SameName(written, w, guarded, g, resolve_links)) return same;
  if (auto under = EitherUnder(written, w, guarded, g, resolve_links)) return under;
  if (!resolve_links || written.role != PathRole::kWritesInside) return std::nullopt;
  for (fs::path up = g.parent_path(); !up.empty() && up != up.root_path(); up = up.parent_path())
    if (SamePlace(up, w))
      return g.string() + " is inside the folder " + w.string() + " (under another name)";
  return std::nullopt;
}

namespace {

// Whether step `from` needs step `to`, directly or through others.
bool Needs(const Runbook& rb, int from, int to) {
  std::vector<int> stack{from};
  std::set<int> seen;
  while (!stack.empty()) {
    int at = stack.back();
    stack.pop_back();
    if (!seen.insert(at).second) continue;
    for (const std::string& need : rb.steps[at].needs) {
      const StepDecl* d = rb.FindStep(need);
      if (d == nullptr) continue;
      int k = static_cast<int>(d - rb.steps.data());
      if (k == to) return true;
      stack.push_back(k);
    }
  }
  return false;
}

bool InTurn(const Runbook& rb, int a, int b) {
  bool fa = static_cast<size_t>(a) >= rb.finally_begin,
       fb = static_cast<size_t>(b) >= rb.finally_begin;
  return rb.max_parallel == 1 || fa != fb || Needs(rb, a, b) || Needs(rb, b, a);
}

}  // namespace

std::optional<std::string> TurnClash(const Runbook& rb, const RolePath& a, const RolePath& b,
                                     const std::string& base, bool resolve_links) {
  if (a.step == b.step || a.remote || b.remote) return std::nullopt;
  bool guards = a.role == PathRole::kGuards && b.role == PathRole::kGuards;
  bool shared = a.role == PathRole::kWritesFile && b.role == PathRole::kWritesFile && a.in_turn &&
                b.in_turn && a.shared_as == b.shared_as;
  if (!guards && !shared) return std::nullopt;
  fs::path x = Normal(a.path, base, resolve_links), y = Normal(b.path, base, resolve_links);
  if (!(x == y || (resolve_links && SamePlace(x, y))) || InTurn(rb, a.step, b.step))
    return std::nullopt;
  std::string verb = guards ? "guards" : "writes";
  return "parameter '" + a.param + "' " + verb + " " + x.string() + ", which step '" +
         rb.steps[b.step].id + "' as '" + b.param + "' also " + verb +
         ", and the two may run at the same time: " +
         (guards ? "two restores of one target would replace it at once"
                 : "each would write over the other's file mid-way") +
         "; put one after the other with `needs`";
}

std::string ClashMessage(const Runbook& rb, const RolePath& at, const RolePath& other,
                         const std::string& how) {
  bool guards = at.role == PathRole::kGuards;
  bool both = guards == (other.role == PathRole::kGuards);
  std::string who = other.step == at.step
                        ? "its own parameter '" + other.param + "'"
                        : "step '" + rb.steps[other.step].id + "' as '" + other.param + "'";
  bool reads = at.role == PathRole::kReads || other.role == PathRole::kReads;
  std::string why =
      reads ? "the step would replace what it reads while it reads it"
      : guards || other.role == PathRole::kGuards
          ? "a guarded path is replaced only after its step's own checks pass, and another "
            "step's file there would stand in for it unchecked"
          : "one would overwrite or delete what the other wrote there";
  auto verb = [](PathRole r) {
    return r == PathRole::kGuards ? "guards" : r == PathRole::kReads ? "reads" : "writes";
  };
  return "parameter '" + at.param + "' " + verb(at.role) + " a path that " + who + " " +
         (both && !reads ? "also " : "") + verb(other.role) + " (" + how + "): " + why +
         "; choose another path";
}

std::vector<LoadClash> LoadTimeClashes(const Runbook& rb, const std::string& base) {
  std::vector<RolePath> all;
  std::map<std::pair<int, std::string>, std::set<std::string>> from_defaults;
  DefaultsScope defaults(rb);
  for (size_t i = 0; i < rb.steps.size(); ++i) {
    const StepDecl& step = rb.steps[i];
    if (step.type == nullptr) continue;
    for (const ParamSpec& spec : step.type->spec().params) {
      if (spec.path_role == PathRole::kNone) continue;
      const TNode* node = step.With(spec.name);
      if (node == nullptr) continue;
      defaults.Reads().clear();
      (void)ResolveTree(*node, defaults);
      from_defaults[{static_cast<int>(i), spec.name}] = defaults.Reads();
    }
    for (RolePath& p :
         RolePathsOf(static_cast<int>(i), step.type->spec(), KnownValues(step, defaults)))
      all.push_back(std::move(p));
  }
  auto note = [&](const RolePath& a, const RolePath& b) {
    std::set<std::string> reads = from_defaults[{a.step, a.param}];
    const std::set<std::string>& more = from_defaults[{b.step, b.param}];
    reads.insert(more.begin(), more.end());
    return DefaultsNote(reads);
  };
  std::vector<LoadClash> out;
  for (const RolePath& w : all) {
    for (const RolePath& g : all) {
      // A pair of guards is said once, at the first; of writers, at the later one (the one
      // that would overwrite). PathClash is symmetric for them.
      bool guards = w.role == PathRole::kGuards && g.role == PathRole::kGuards;
      bool writers = Writes(w.role) && Writes(g.role);
      // A read is said at the step's writer or guard of it, once.
      if (&w == &g || (guards && &w > &g) || (writers && &w < &g) || w.role == PathRole::kReads)
        continue;
      if (auto how = PathClash(w, g, base, false))
        out.push_back({w.step, w.param, ClashMessage(rb, w, g, *how) + note(w, g)});
      else if (auto turn = TurnClash(rb, w, g, base, false))  // each pair once, as above
        out.push_back({w.step, w.param, *turn + note(w, g)});
    }
  }
  return out;
}

std::vector<RolePath> PeekRolePaths(const StepDecl& step, int index, const EvalScope& scope,
                                    std::vector<std::string>* unknown_guards,
                                    std::vector<std::string>* unknown_reads) {
  if (step.type == nullptr) return {};
  std::vector<std::string> unknown;
  Value::Map known = KnownValues(step, scope, &unknown);
  for (const std::string& name : unknown) {
    const ParamSpec* spec = step.type->spec().FindParam(name);
    if (unknown_guards != nullptr && spec && spec->path_role == PathRole::kGuards)
      unknown_guards->push_back(name);
    if (unknown_reads != nullptr && spec && spec->path_role == PathRole::kReads)
      unknown_reads->push_back(name);
  }
  return RolePathsOf(index, step.type->spec(), known);
}

std::string FirstClash(const Runbook& rb, const std::vector<RolePath>& mine,
                       const std::vector<RolePath>& others, const std::string& base) {
  std::vector<RolePath> all = others;  // and each of `mine` against the others of `mine`
  all.insert(all.end(), mine.begin(), mine.end());
  for (const RolePath& m : mine) {
    for (const RolePath& o : all) {
      if (o.step == m.step && o.param == m.param) continue;
      auto how = PathClash(m, o, base, true);
      if (!how) how = PathClash(o, m, base, true);
      std::optional<std::string> turn = how ? std::nullopt : TurnClash(rb, m, o, base, true);
      if (!how && !turn) continue;
      const TNode* node = rb.steps[m.step].With(m.param);
      return LocateError(Status::Error(turn ? *turn : ClashMessage(rb, m, o, *how)),
                         node != nullptr ? node->loc : Loc{})
          .message();
    }
  }
  return "";
}

std::string UnknownCarriedClash(const Runbook& rb, const std::vector<RolePath>& mine,
                                const std::vector<RolePath>& unknown_carried, int* carried) {
  for (const RolePath& m : mine) {
    bool guards = m.role == PathRole::kGuards;
    for (const RolePath& u : unknown_carried) {
      bool reads = m.role == PathRole::kReads || u.role == PathRole::kReads;
      if (u.step == m.step || reads || (guards && u.role == PathRole::kGuards) ||
          u.remote != m.remote)
        continue;
      const std::string& other = rb.steps[u.step].id;
      *carried = u.step;
      std::string message =
          "parameter '" + m.param + "' " + (guards ? "guards" : "writes") + " a path, and step '" +
          other + "' as '" + u.param + "' " + (u.role == PathRole::kGuards ? "guarded" : "wrote") +
          " one in the run this resume continues that was recorded masked (it held a secret's "
          "text) and cannot be proven to be the path this resume resolves: a guarded path must "
          "be known beside every path written, or another step's file could stand at it "
          "unchecked; resume with --rerun " +
          other + " to run that step again";
      const TNode* node = rb.steps[m.step].With(m.param);
      return LocateError(Status::Error(message), node != nullptr ? node->loc : Loc{}).message();
    }
  }
  return "";
}

}  // namespace runbook
