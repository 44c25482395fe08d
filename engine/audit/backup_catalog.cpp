#include "engine/audit/backup_catalog.h"

#include <sys/stat.h>

#include <algorithm>
#include <map>

#include "engine/audit/verify.h"
#include "engine/util/crypto.h"
#include "engine/util/json.h"
#include "engine/util/time_format.h"

namespace runbook {
namespace {

// What the catalog needs of a run, from its run_started event.
struct RunFacts {
  std::string runbook, kind, base;
  std::map<std::string, std::string> step_types;  // step id -> its `uses`
};

// type -> output name -> role, for the types that mark any.
using Roles = std::map<std::string, std::map<std::string, OutputRole>>;

Roles RolesOf(const StepRegistry& registry) {
  Roles roles;
  for (const StepType* type : registry.All())
    for (const OutputSpec& o : type->spec().outputs)
      if (o.role != OutputRole::kNone) roles[type->spec().type][o.name] = o.role;
  return roles;
}

std::string Text(const Value& map, const char* key) {
  const Value* v = map.Find(key);
  return v != nullptr && v->is_string() ? v->as_string() : "";
}

bool IsSha256(const std::string& s) {
  return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

std::string Absolute(const std::string& path, const std::string& base) {
  if (path.empty() || path[0] == '/' || path.rfind("s3://", 0) == 0 || base.empty()) return path;
  return base + (base.back() == '/' ? "" : "/") + path;
}

RunFacts FactsOf(const Value& body) {
  RunFacts f{Text(body, "runbook"), Text(body, "kind"), Text(body, "base"), {}};
  if (const Value* graph = body.Find("graph"); graph != nullptr && graph->is_list())
    for (const Value& node : graph->as_list()) f.step_types[Text(node, "id")] = Text(node, "uses");
  return f;
}

// One pass over the store: every passed step whose type marks roles, handed to `fn` with
// its outputs and the roles of its type.
Status ForEachPassedStep(
    AuditStore& store, const StepRegistry& registry,
    const std::function<void(const CatalogMention&, const RunFacts&, const Value& outputs,
                             const std::map<std::string, OutputRole>& roles)>& fn) {
  const Roles roles = RolesOf(registry);
  std::map<std::string, RunFacts> runs;
  return store.ForEachEvent([&](const AuditEvent& e) {
    if (e.kind != "run_started" && e.kind != "step_finished") return true;
    auto body = ParseJson(e.body);
    if (!body.ok()) return true;  // audit verify reports a damaged event; the catalog skips it
    if (e.kind == "run_started") {
      runs[e.run_id] = FactsOf(body.value());
      return true;
    }
    auto run = runs.find(e.run_id);
    if (run == runs.end() || Text(body.value(), "outcome") != "success") return true;
    auto type = roles.find(run->second.step_types[e.step]);
    const Value* outputs = body.value().Find("outputs");
    if (type == roles.end() || outputs == nullptr || !outputs->is_map()) return true;
    fn({e.run_id, run->second.runbook, run->second.kind, e.step, e.at}, run->second, *outputs,
       type->second);
    return true;
  });
}

// The output of `outputs` that has `role`, null when none does.
const Value* WithRole(const Value& outputs, const std::map<std::string, OutputRole>& roles,
                      OutputRole role) {
  for (const auto& [name, r] : roles)
    if (r == role) return outputs.Find(name);
  return nullptr;
}

bool PresentWithSize(const std::string& path, int64_t size) {
  struct stat st {};
  return !path.empty() && path.rfind("s3://", 0) != 0 && ::stat(path.c_str(), &st) == 0 &&
         S_ISREG(st.st_mode) && st.st_size == size;
}

std::optional<int64_t> AgeSeconds(const std::string& at, Clock::Wall now) {
  auto t = ParseUtc(at);
  if (!t) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::seconds>(now - *t).count();
}

bool InFuture(const std::string& at, Clock::Wall now) {
  auto t = ParseUtc(at);
  return t && *t > now + kFutureSkew;
}

Value MentionJson(const CatalogMention& m) {
  return Value(Value::Map{{"run_id", Value(m.run_id)},
                          {"runbook", Value(m.runbook)},
                          {"kind", Value(m.kind)},
                          {"step", Value(m.step)},
                          {"at", Value(m.at)}});
}

Value OrNull(const std::optional<int64_t>& v) { return v ? Value(*v) : Value(); }

// Per runbook, the newest present verified dump is hashed: when its bytes are no longer the
// ones verified, it is not present (`replaced` says why) and the next one is hashed, until one
// holds (dumps newest first).
void RehashNewestVerified(std::vector<CatalogDump>& dumps) {
  std::map<std::string, bool> settled;  // runbook -> its newest verified holds
  for (CatalogDump& d : dumps) {
    if (!d.present || d.verified_by.empty() || settled[d.made.runbook]) continue;
    auto now = Sha256File(d.path);
    if (now.ok() && now.value() == d.sha256) {
      settled[d.made.runbook] = true;
      continue;
    }
    d.present = false;
    d.replaced = now.ok() ? "its bytes changed since it was verified (sha256 now " +
                                now.value().substr(0, 12) + ")"
                          : "it cannot be read: " + now.status().message();
  }
}

}  // namespace

std::string CatalogStoreProblem(AuditStore& store) {
  auto walked = VerifyChainFrom(store, 1);
  if (!walked.ok()) return "cannot walk the chain: " + walked.status().message();
  if (!walked.value().ok) return walked.value().problem;
  auto head = HeadProblem(store);
  if (!head.ok()) return "cannot read the signed heads: " + head.status().message();
  return head.value();
}

Result<std::vector<CatalogDump>> ReadBackupCatalog(AuditStore& store, const StepRegistry& registry,
                                                   const std::string& runbook) {
  std::vector<CatalogDump> dumps;
  std::map<std::pair<std::string, std::string>, size_t> known;  // (path, sha256)
  std::map<std::string, size_t> last_at_path;  // the dump recorded last at each path
  std::map<std::string, std::vector<CatalogMention>> verified;  // by sha256, oldest first
  std::map<std::string, std::vector<std::pair<std::string, CatalogMention>>> copies;  // where
  Status s = ForEachPassedStep(
      store, registry,
      [&](const CatalogMention& m, const RunFacts& run, const Value& out, const auto& roles) {
        auto text = [&](OutputRole role) {
          const Value* v = WithRole(out, roles, role);
          return v != nullptr && v->is_string() ? v->as_string() : std::string();
        };
        if (std::string sha = text(OutputRole::kVerifiedSha256); IsSha256(sha))
          verified[sha].push_back(m);
        if (const Value* list = WithRole(out, roles, OutputRole::kCopiedObjects);
            list != nullptr && list->is_list())
          for (const Value& o : list->as_list())
            if (IsSha256(Text(o, "sha256")) && !Text(o, "location").empty())
              copies[Text(o, "sha256")].emplace_back(Absolute(Text(o, "location"), run.base), m);
        std::string sha = text(OutputRole::kDumpSha256);
        std::string path = Absolute(text(OutputRole::kDumpPath), run.base);
        if (!IsSha256(sha) || (!runbook.empty() && m.runbook != runbook)) return;
        if (auto k = known.find({path, sha}); k != known.end()) {  // published again
          last_at_path[path] = k->second;
          return;
        }
        CatalogDump d;
        d.sha256 = sha;
        d.path = path;
        const Value* size = WithRole(out, roles, OutputRole::kDumpSize);
        d.size = size != nullptr && size->is_int() ? size->as_int() : 0;
        d.created_at = text(OutputRole::kDumpCreatedAt);
        d.made = m;
        d.present = PresentWithSize(d.path, d.size);
        known[{path, sha}] = last_at_path[path] = dumps.size();
        dumps.push_back(std::move(d));
      });
  if (!s.ok()) return s;
  for (size_t i = 0; i < dumps.size(); ++i) {
    CatalogDump& d = dumps[i];
    if (last_at_path[d.path] != i && d.present) {
      d.present = false;
      d.replaced = "another dump was published at its path since";
    }
    // A proof or a copy of these bytes is one of each such file.
    if (auto v = verified.find(d.sha256); v != verified.end()) d.verified_by = v->second;
    if (auto c = copies.find(d.sha256); c != copies.end())
      for (const auto& [where, m] : c->second)
        if (where.rfind("s3://", 0) == 0 || PresentWithSize(where, d.size))
          d.copies.emplace_back(where, m);
  }
  auto time_of = [](const CatalogDump& d) {
    return ParseUtc(d.created_at).value_or(Clock::Wall{});
  };
  std::stable_sort(dumps.begin(), dumps.end(), [&](const CatalogDump& a, const CatalogDump& b) {
    return time_of(a) > time_of(b);
  });
  RehashNewestVerified(dumps);
  return dumps;
}

Result<std::map<std::string, CatalogMention>> VerifiedDumps(AuditStore& store,
                                                            const StepRegistry& registry) {
  std::map<std::string, CatalogMention> out;
  Status s = ForEachPassedStep(
      store, registry,
      [&](const CatalogMention& m, const RunFacts&, const Value& outputs, const auto& roles) {
        const Value* sha = WithRole(outputs, roles, OutputRole::kVerifiedSha256);
        if (sha != nullptr && sha->is_string() && IsSha256(sha->as_string()))
          out.emplace(sha->as_string(), m);  // the first that did
      });
  if (!s.ok()) return s;
  return out;
}

std::map<std::string, BackupSummary> SummarizeCatalog(const std::vector<CatalogDump>& dumps,
                                                      Clock::Wall now) {
  std::map<std::string, BackupSummary> per_runbook;
  for (const CatalogDump& d : dumps) {
    BackupSummary& s = per_runbook[d.made.runbook];
    ++s.dumps;
    if (!d.Available()) continue;  // deleted: nothing to restore from
    ++s.available;
    if (InFuture(d.created_at, now)) {
      ++s.future;
      continue;
    }
    if (s.newest.empty()) s.newest = d.created_at;  // `dumps` is newest first
    if (!d.verified_by.empty()) {
      ++s.verified;
      if (s.newest_verified.empty()) s.newest_verified = d.created_at;
    }
  }
  return per_runbook;
}

Value CatalogJson(const std::vector<CatalogDump>& dumps, Clock::Wall now) {
  Value::List list;
  for (const CatalogDump& d : dumps) {
    Value::List verified_by, copies;
    for (const CatalogMention& m : d.verified_by) verified_by.push_back(MentionJson(m));
    for (const auto& [where, m] : d.copies) {
      Value::Map c = MentionJson(m).as_map();
      c["location"] = Value(where);
      copies.push_back(Value(std::move(c)));
    }
    list.push_back(Value(
        Value::Map{{"sha256", Value(d.sha256)},
                   {"path", Value(d.path)},
                   {"present", Value(d.present)},
                   {"replaced", d.replaced.empty() ? Value() : Value(d.replaced)},
                   {"available", Value(d.Available())},
                   {"size", Value(d.size)},
                   {"created_at", Value(d.created_at)},
                   {"age_seconds",
                    InFuture(d.created_at, now) ? Value() : OrNull(AgeSeconds(d.created_at, now))},
                   {"future", Value(InFuture(d.created_at, now))},
                   {"made_by", MentionJson(d.made)},
                   {"verified", Value(!d.verified_by.empty())},
                   {"verified_by", Value(std::move(verified_by))},
                   {"copies", Value(std::move(copies))}}));
  }
  Value::List runbooks;
  for (const auto& [name, s] : SummarizeCatalog(dumps, now)) {
    auto text_or_null = [](const std::string& t) { return t.empty() ? Value() : Value(t); };
    runbooks.push_back(Value(
        Value::Map{{"name", Value(name)},
                   {"dumps", Value(s.dumps)},
                   {"available", Value(s.available)},
                   {"verified", Value(s.verified)},
                   {"future", Value(s.future)},
                   {"newest_created_at", text_or_null(s.newest)},
                   {"newest_age_seconds", OrNull(AgeSeconds(s.newest, now))},
                   {"newest_verified_created_at", text_or_null(s.newest_verified)},
                   {"newest_verified_age_seconds", OrNull(AgeSeconds(s.newest_verified, now))}}));
  }
  return Value(
      Value::Map{{"dumps", Value(std::move(list))}, {"runbooks", Value(std::move(runbooks))}});
}

}  // namespace runbook
