// The routes of serve's API (api.h). Handlers are small: parse, read or act, answer JSON.
#include "serve/api.h"

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <regex>
#include <sstream>
#include <thread>

#include "engine/audit/metrics.h"
#include "engine/audit/report.h"
#include "engine/audit/run_listing.h"
#include "engine/audit/run_record.h"
#include "engine/audit/unrecorded.h"
#include "engine/calls.h"
#include "engine/executor.h"
#include "engine/process_runner.h"
#include "engine/redact.h"
#include "engine/runbook_place.h"
#include "engine/util/json.h"
#include "engine/util/strings.h"
#include "engine/util/time_format.h"
#include "serve/approval_answer.h"
#include "serve/evidence_routes.h"
#include "serve/guarded_http.h"
#include "serve/kept_params.h"
#include "serve/listing_cache.h"
#include "serve/openapi.h"
#include "serve/request_body.h"
#include "serve/same_origin.h"
#include "serve/schedule_value.h"
#include "serve/scheduler.h"
#include "serve/starting_runs.h"
#include "serve/step_log.h"
#include "serve/store_metrics.h"
#include "serve/ui_routes.h"

namespace runbook {
namespace {

using Req = httplib::Request;
using Res = httplib::Response;

void Json(Res& res, int status, const Value& v) {
  res.status = status;
  res.set_content(ToJson(v, 2) + "\n", "application/json");
}

void Send(Res& res, const ApiAnswer& answer) {
  for (const auto& [name, value] : answer.headers) res.set_header(name, value);
  Json(res, answer.status, answer.body);
}

// `text` with the secrets of every runbook `catalog` serves (those readable now) and the
// credential-named variables of serve's environment masked: what serve answers or says may
// quote what a caller sent, and that may hold a secret (break23a A5: a refused param;
// break24a S1: a runbook name, a run id, a step, a cursor or a route in a 404, 405 or 409).
std::string MaskForCatalog(const Catalog& catalog, const std::string& text) {
  EnvMap env = CurrentEnvironment();
  Value::Map secrets;
  for (const CatalogEntry& e : catalog.entries()) {
    if (!e.runbook) continue;
    for (auto& [name, value] : SecretsToMaskNow(*e.runbook, env))
      secrets[e.runbook->name + "." + name] = std::move(value);
  }
  return RunRedactor(secrets, env).Apply(text);
}

// The masking of the request this thread serves (MaskForCatalog over the catalog it began
// with), set before routing, as t_caller: every refusal goes through Error, which applies it.
thread_local std::function<std::string(const std::string&)> t_mask;

void Error(Res& res, int status, const std::string& message) {
  Json(res, status, Value(Value::Map{{"error", Value(t_mask ? t_mask(message) : message)}}));
}

SysSeconds Now(const ApiContext& c) {
  return std::chrono::floor<std::chrono::seconds>(c.clock->WallNow());
}

Value RunbookSummary(const CatalogEntry& e, SysSeconds now, int fires) {
  if (!e.runbook)
    return Value(
        Value::Map{{"file", Value(e.file)}, {"name", Value()}, {"problems", Value(e.problems)}});
  const Runbook& rb = *e.runbook;
  Value::List schedules;
  for (const ScheduleDecl& s : rb.on.schedules) schedules.push_back(ScheduleValue(s, now, fires));
  return Value(Value::Map{{"file", Value(e.file)},
                          {"name", Value(rb.name)},
                          {"kind", Value(rb.kind)},
                          {"description", Value(rb.description)},
                          {"schedules", Value(std::move(schedules))},
                          {"problems", Value("")}});
}

Value ParamValue(const ParamSpec& p) {
  Value::List allowed;
  for (const std::string& v : p.enum_values) allowed.push_back(Value(v));
  const std::optional<std::string> written = OwnTextAsSent(p.default_value);
  return Value(Value::Map{{"name", Value(p.name)},
                          {"type", Value(ParamTypeName(p.type))},
                          {"description", Value(p.doc)},
                          {"required", Value(p.required)},
                          {"default", p.default_value},
                          // its text as written where JSON has another (`3.10`, [0755])
                          {"default_written", written ? Value(*written) : Value()},
                          {"enum", Value(std::move(allowed))},
                          {"minimum", p.minimum ? Value(*p.minimum) : Value()},
                          {"maximum", p.maximum ? Value(*p.maximum) : Value()}});
}

// The request body's "params" as --set pairs, checked as --set values are (BindParams).
bool ParamsOf(const Req& req, const Runbook& rb,
              std::vector<std::pair<std::string, std::string>>& sets, std::string& error) {
  auto body = ReadBody(req.body, {{"params", FieldKind::kObject}});
  if (!body.ok()) {
    error =
        body.status().message() + " (a JSON object such as {\"params\": {\"name\": \"value\"}})";
    return false;
  }
  const Value* params = FieldOf(body.value(), "params");
  for (const auto& [name, value] : params ? params->as_map() : Value::Map{}) {
    // A param is one value, as --set gives it: an object or a list was flattened into a text
    // that is neither what was sent nor JSON (breakYY YY1).
    auto decl = std::find_if(rb.params.begin(), rb.params.end(),
                             [&name = name](const ParamSpec& p) { return p.name == name; });
    const bool whole =
        decl != rb.params.end() && ((decl->type == ParamType::kList && value.is_list()) ||
                                    (decl->type == ParamType::kMap && value.is_map()));
    if (!whole && (value.is_map() || value.is_list() || value.is_null())) {
      error = "param '" + Printable(name) +
              "' must be a string, a number or true/false (a list or a map only for a param "
              "of that type)";
      return false;
    }
    std::string text = TextAsSent(value);
    // A run gets its params as arguments, which end at a NUL: refused, not cut (breakLL LL13).
    if (name.find('\0') != std::string::npos || text.find('\0') != std::string::npos) {
      error =
          "param '" + Printable(name) + "': a NUL character (\\u0000) cannot be passed to a run";
      return false;
    }
    sets.emplace_back(name, std::move(text));
  }
  auto bound = BindParams(rb, sets);
  if (!bound.ok()) {
    error = InParamsWords(bound.status().message());
    return false;
  }
  Runbook expanded = rb;  // a loop's list from these params, checked as `run` checks it
  if (Status s = ExpandRunbook(expanded, bound.value()); !s.ok()) {
    error = s.message();
    return false;
  }
  return true;
}

// Who the current request is (its token's name, "anonymous" without tokens): set by the
// pre-routing check on the thread that then runs the route.
thread_local std::string t_caller;
thread_local const TokenEntry* t_entry = nullptr;  // the caller's token, null without tokens
// The request's query names a parameter its route does not take (QueryNamesProblem): said by
// the route, 400, so a path no route serves is still 404 (break24a D4: `GET /api/v1/nope?x=1`
// answered 400 "unknown query parameter").
thread_local std::string t_query_problem;

// The role a request needs: reads are a viewer's; approvals an approver's; the other POSTs an
// operator's.
Role NeededRole(const Req& req) {
  if (req.method == "GET" || req.method == "HEAD") return Role::kViewer;
  if (req.path.find("/approvals/") != std::string::npos) return Role::kApprover;
  return Role::kOperator;
}

const char* RoleName(Role r) {
  return r == Role::kViewer ? "viewer" : r == Role::kOperator ? "operator" : "approver";
}

// Failed authentications per address: the 6th within a minute blocks it for a minute (429).
class FailureLimiter {
 public:
  bool Blocked(const std::string& addr, std::chrono::steady_clock::time_point now) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = by_addr_.find(addr);
    return it != by_addr_.end() && now < it->second.blocked_until;
  }
  void Failed(const std::string& addr, std::chrono::steady_clock::time_point now) {
    std::lock_guard<std::mutex> lock(mu_);
    if (by_addr_.size() > 10000) by_addr_.clear();  // bounded: a flood of addresses
    Entry& e = by_addr_[addr];
    if (now - e.window_start > std::chrono::minutes(1)) e = {now, 0, {}};
    if (++e.failures > 5) e.blocked_until = now + std::chrono::minutes(1);
  }

 private:
  struct Entry {
    std::chrono::steady_clock::time_point window_start;
    int failures = 0;
    std::chrono::steady_clock::time_point blocked_until;
  };
  std::mutex mu_;
  std::map<std::string, Entry> by_addr_;
};

class Routes {
 public:
  explicit Routes(ApiContext c) : c_(std::move(c)) {}

  // Every request but /healthz and the UI's files carries a bearer token of a role that may do it,
  // when serve has tokens (docs/serve.md "Tokens").
  httplib::Server::HandlerResponse Authenticate(const Req& req, Res& res) {
    using HR = httplib::Server::HandlerResponse;
    t_caller = "anonymous";
    t_entry = nullptr;
    t_mask = [catalog = c_.catalog()](const std::string& text) {
      return catalog ? MaskForCatalog(*catalog, text) : text;
    };
    RequestOrigin from{
        req.method, req.get_header_value("Host"), req.get_header_value("Origin"),
        req.get_header_value("Sec-Fetch-Site"), req.get_header_value("Content-Type"),
        // (the body is read after this handler: its headers say)
        (req.has_header("Content-Length") && req.get_header_value("Content-Length") != "0") ||
            req.has_header("Transfer-Encoding"),
        c_.tls};
    if (std::string refused = CrossSiteRefusal(from, c_.tokens == nullptr); !refused.empty()) {
      Error(res, 403, refused);
      return HR::Handled;
    }
    if (std::string problem = QueryProblem(req.target); !problem.empty()) {
      Error(res, 400, Printable(problem));
      return HR::Handled;
    }
    t_query_problem = IsUiPath(req.path) ? "" : QueryNamesProblem(req);
    if (req.path == "/healthz" || IsUiPath(req.path) || c_.tokens == nullptr) return HR::Unhandled;
    auto now = std::chrono::steady_clock::now();
    if (limiter_.Blocked(req.remote_addr, now)) {
      Error(res, 429, "too many failed authentications from this address; wait a minute");
      return HR::Handled;
    }
    std::string header = req.get_header_value("Authorization");
    std::string bearer = header.rfind("Bearer ", 0) == 0 ? header.substr(7) : "";
    const TokenEntry* entry = c_.tokens->Find(bearer);
    if (entry == nullptr) {
      limiter_.Failed(req.remote_addr, now);
      res.set_header("WWW-Authenticate", "Bearer");
      Error(res, 401, "a valid token is required: Authorization: Bearer TOKEN");
      return HR::Handled;
    }
    Role need = NeededRole(req);
    if (!Allows(*entry, need)) {
      Error(res, 403, "token '" + entry->name + "' has no role " + RoleName(need) + " for this");
      return HR::Handled;
    }
    t_caller = entry->name;
    t_entry = entry;
    return HR::Unhandled;
  }

  // A route's handler, answering once the query is known to be one the route takes.
  template <typename Handler>
  static auto Checked(Handler handler) {
    return [handler](const Req& req, Res& res) {
      if (!t_query_problem.empty()) return Error(res, 400, t_query_problem);
      handler(req, res);
    };
  }

  void Install(httplib::Server& s) {
    s.set_pre_routing_handler([this](const Req& req, Res& res) { return Authenticate(req, res); });
    s.Get("/healthz", Checked([this](const Req&, Res& res) { Health(res); }));
    s.Get("/metrics", Checked([this](const Req&, Res& res) { Metrics(res); }));
    s.Get("/api/v1/openapi.json", Checked([](const Req&, Res& res) {
            res.set_content(OpenApiDocument(), "application/json");
          }));
    s.Get("/api/v1/runbooks", Checked([this](const Req&, Res& res) { Runbooks(res); }));
    s.Get(R"(/api/v1/runbooks/([^/]+))",
          Checked([this](const Req& req, Res& res) { RunbookOne(req.matches[1], res); }));
    s.Post(R"(/api/v1/runbooks/([^/]+)/runs)",
           Checked([this](const Req& req, Res& res) { Trigger(req, req.matches[1], res); }));
    s.Get("/api/v1/runs", Checked([this](const Req& req, Res& res) { Runs(req, res); }));
    s.Get(R"(/api/v1/runs/([^/]+))",
          Checked([this](const Req& req, Res& res) { RunOne(req.matches[1], res); }));
    s.Get(R"(/api/v1/runs/([^/]+)/report.html)",
          Checked([this](const Req& req, Res& res) { Report(req.matches[1], "html", res); }));
    s.Get(R"(/api/v1/runs/([^/]+)/report.md)",
          Checked([this](const Req& req, Res& res) { Report(req.matches[1], "md", res); }));
    s.Get(R"(/api/v1/runs/([^/]+)/report.pdf)",
          Checked([this](const Req& req, Res& res) { Report(req.matches[1], "pdf", res); }));
    s.Get(R"(/api/v1/runs/([^/]+)/steps/([^/]+)/log)", Checked([this](const Req& req, Res& res) {
            StepLog(req, req.matches[1], req.matches[2], res);
          }));
    s.Post(R"(/api/v1/runs/([^/]+)/cancel)", Checked([this](const Req& req, Res& res) {
             if (auto body = ReadBody(req.body, {}); !body.ok())
               return Error(res, 400, body.status().message() + " (the body must be {})");
             Cancel(req.matches[1], res);
           }));
    s.Post(R"(/api/v1/runs/([^/]+)/approvals/([^/]+))", Checked([this](const Req& req, Res& res) {
             Answer(req, req.matches[1], req.matches[2], res);
           }));
    s.Post(R"(/api/v1/runs/([^/]+)/resume)",
           Checked([this](const Req& req, Res& res) { Resume(req, req.matches[1], res); }));
    s.Get("/api/v1/backups", Checked([this](const Req& req, Res& res) {
            Send(res, BackupsAnswer(c_.audit_db, *c_.registry, req.get_param_value("runbook")));
          }));
    s.Get("/api/v1/audit",
          Checked([this](const Req&, Res& res) { Send(res, AuditAnswer(c_.audit_db)); }));
    s.Get("/api/v1/me", Checked([this](const Req&, Res& res) { Me(res); }));
  }

 private:
  // A query parameter the route does not take, or one given twice, is a mistake said, never
  // a filter ignored or one value of two read (newcomer round of issue 16: ?state=failure
  // listed every run; breakGG GG5: /api/v1/backups?runbook=a&runbook=b read one). "" if none.
  static std::string QueryNamesProblem(const Req& req) {
    static const std::map<std::string, std::vector<std::string>> kTaken = {
        {"/api/v1/runs", {"runbook", "status", "since", "limit", "cursor"}},
        {"/api/v1/backups", {"runbook"}}};
    auto route = kTaken.find(req.path);
    const std::vector<std::string> taken =
        route != kTaken.end() ? route->second : std::vector<std::string>{};
    for (const auto& [name, value] : req.params) {
      if (std::find(taken.begin(), taken.end(), name) == taken.end())
        return "unknown query parameter '" + Printable(name) + "'; " + Printable(req.path) +
               (taken.empty() ? " takes none" : " takes " + Join(taken, ", "));
      if (req.get_param_value_count(name) > 1)
        return "query parameter '" + name + "' is given twice";
    }
    return "";
  }

  // Who calls, and what their token allows: the web UI offers only what it may do.
  void Me(Res& res) {
    Value::List roles{Value("viewer")};
    for (Role r : {Role::kOperator, Role::kApprover})
      if (c_.tokens == nullptr || (t_entry != nullptr && Allows(*t_entry, r)))
        roles.push_back(Value(RoleName(r)));
    Json(res, 200, Value(Value::Map{{"name", Value(t_caller)}, {"roles", Value(roles)}}));
  }

  void Health(Res& res) {
    auto store = AuditStore::OpenExisting(c_.audit_db);
    Json(res, store.ok() ? 200 : 503,
         Value(Value::Map{
             {"status", Value(store.ok() ? "ok" : "no audit store")},
             {"runbooks", Value(static_cast<int64_t>(c_.catalog()->Runbooks().size()))}}));
  }

  void Runbooks(Res& res) {
    Value::List out;
    for (const CatalogEntry& e : c_.catalog()->entries()) {
      Value summary = RunbookSummary(e, Now(c_), 3);
      out.push_back(e.runbook ? MaskForRunbook(*e.runbook, summary) : summary);  // S2
    }
    Json(res, 200, Value(std::move(out)));
  }

  void RunbookOne(const std::string& name, Res& res) {
    auto catalog = c_.catalog();
    const CatalogEntry* e = catalog->Find(name);
    if (e == nullptr) return Error(res, 404, "no runbook named '" + name + "'");
    Value v = RunbookSummary(*e, Now(c_), 5);
    Value::List params;
    for (const ParamSpec& p : e->runbook->params) params.push_back(ParamValue(p));
    Value::Map m = v.as_map();
    m["params"] = Value(std::move(params));
    m["catchup_ms"] = Value(static_cast<int64_t>(e->runbook->on.catchup.count()));
    m["overlap"] = Value(OverlapName(e->runbook->on.overlap));  // audit of issue 16, L5
    // A declaration holding a secret's text (a schedule's params, a default): masked as the
    // run masks it (break24a S2).
    Json(res, 200, MaskForRunbook(*e->runbook, Value(std::move(m))));
  }

  void Trigger(const Req& req, const std::string& name, Res& res) {
    auto catalog = c_.catalog();
    const CatalogEntry* e = catalog->Find(name);
    if (e == nullptr) return Error(res, 404, "no runbook named '" + name + "'");
    LaunchRequest request;
    std::string error;
    // The refusal may quote a value sent: Error masks it, as `run --set` does (break23a A5).
    if (!ParamsOf(req, *e->runbook, request.sets, error)) return Error(res, 400, error);
    request.runbook = name;
    request.file = e->file;
    request.trigger = Value(Value::Map{
        {"kind", Value("api")}, {"by", Value(t_caller)}, {"from", Value(req.remote_addr)}});
    request.caller_waits = true;  // answered once its params are kept (breakDD DD1)
    auto run = c_.launcher->Start(request);
    if (!run.ok()) return Error(res, 500, run.status().message());
    const std::string id = run.value().run_id;
    c_.say("started " + name + " as run " + id + " (API: " + t_caller + " at " + req.remote_addr +
           ")");
    // A 201 promises a run that a serve killed from then on records with its params and
    // tells: one that did not keep them within 10 s is not answered so (breakGG GG2: its
    // params were withheld after a kill, its page addressed by one unsent), unless the store
    // has it already or it ended (a refusal is recorded and told).
    if (!WaitTaken(id) && !Recorded(id) && c_.launcher->Cancel(id)) {
      (void)c_.launcher->Release(id, true);  // its caller is told: nothing to tell of it
      return NotKept(res, id, "it did not keep its params within 10 s");
    }
    // Nor one serve cannot mark answered: a serve killed then would drop it (breakFF FF1).
    if (Status marked = c_.launcher->Release(id, false);
        !marked.ok() && !Recorded(id) && c_.launcher->Cancel(id))
      return NotKept(res, id, marked.message());
    Json(res, 201, Value(Value::Map{{"run_id", Value(id)}}));
  }

  // Answers a trigger whose run `id` serve could not keep (`why`) and cancelled before it
  // began: 503, to be sent again.
  void NotKept(Res& res, const std::string& id, const std::string& why) {
    c_.say("run " + id + " cancelled before it began, answered 503: " + why);
    res.set_header("Retry-After", "60");
    Error(res, 503,
          "serve could not keep run " + id + " (" + why +
              "): it was cancelled before it began; send the request again");
  }

  // One line (a header's value) for a listing's store-wide alterations, "" when none.
  static std::string StoreAltered(const RunListing& listing) {
    std::vector<std::string> said;
    if (!listing.chain_problem.empty())
      said.push_back("the audit chain is broken: " + listing.chain_problem);
    for (const std::string& id : listing.index_only)
      said.push_back("the runs index lists run " + id + ", which no chained event records");
    return Printable(Join(said, "; "));
  }

  std::unique_ptr<AuditStore> Store(Res& res) {
    auto store = AuditStore::OpenExisting(c_.audit_db);
    if (!store.ok()) {
      Error(res, 503, store.status().message());
      return nullptr;
    }
    return std::move(store).value();
  }

  void Runs(const Req& req, Res& res) {
    auto store = Store(res);
    if (!store) return;
    int limit = 50;
    if (req.has_param("limit")) {
      std::string text = req.get_param_value("limit");
      if (text.empty() || text.size() > 4 ||
          text.find_first_not_of("0123456789") != std::string::npos || std::stoi(text) < 1)
        return Error(res, 400, "limit must be a whole number from 1 to 1000");
      limit = std::min(1000, std::stoi(text));
    }
    std::string status = req.get_param_value("status"), since = req.get_param_value("since");
    if (!since.empty() && !ParseUtc(since))
      return Error(res, 400, "since must be a UTC time such as 2026-12-01T03:00:00Z");
    // A status no run can have is a mistake, said as limit's and since's are (audit of
    // issue 16, L6: it answered an empty list).
    if (!status.empty() && status != "starting" && status != "running" && status != "success" &&
        status != "failure" && status != "cancelled" && status != "interrupted")
      return Error(res, 400,
                   "status must be one of starting, running, success, failure, cancelled, "
                   "interrupted");
    // As the chained events record them, each with what the runs index altered (breakGG G7).
    // The first page without filters (what the web UI polls) reads one page only (breakHH
    // HH6: every request folded every run).
    std::string cursor = req.get_param_value("cursor");
    bool first_page = cursor.empty() && status.empty() && since.empty();
    auto rows = first_page ? listing_cache_.Page(*store, req.get_param_value("runbook"), limit + 1)
                           : ListRuns(*store, req.get_param_value("runbook"), 100000);
    if (!rows.ok()) return Error(res, 503, rows.status().message());
    // What no run's own `altered` can say: where the chain breaks, runs only the index lists
    // (breakHH HH4, HH11).
    if (std::string altered = StoreAltered(rows.value()); !altered.empty())
      res.set_header("X-Store-Altered", altered);
    // cursor: the last run of the page before (its X-Next-Cursor); the page starts after it.
    bool past_cursor = cursor.empty();
    Value::List out;
    std::string last;
    // Runs not recorded yet come first, newest: on the first page, as running ones (a run
    // waiting for its lock is running to whoever waits for it; serve/starting_runs.h).
    if (cursor.empty() && since.empty() &&
        (status.empty() || status == "running" || status == "starting"))
      for (Value& starting : StartingRuns(*store, req.get_param_value("runbook")))
        out.push_back(std::move(starting));  // beside `limit` recorded runs: never a page alone
    const size_t starting_count = out.size();
    for (const ListedRun& listed : rows.value().runs) {
      const RunRow& r = listed.row;
      if (!past_cursor) {
        past_cursor = r.run_id == cursor;
        continue;
      }
      if (!status.empty() && r.status != status) continue;
      if (IsListed(out, r.run_id)) continue;  // recorded as it was listed
      if (!since.empty() && r.started_at < since) continue;
      if (static_cast<int>(out.size() - starting_count) >= limit) {
        res.set_header("X-Next-Cursor", last);  // more runs match
        break;
      }
      out.push_back(ListedRunValue(listed));
      last = r.run_id;
    }
    if (!past_cursor) return Error(res, 400, "cursor '" + cursor + "' is no run of this listing");
    Json(res, 200, Value(std::move(out)));
  }

  // This serve's runs of `runbook` ("": any) the store does not have yet, newest first, as
  // StartingRunValue gives them.
  Value::List StartingRuns(AuditStore& store, const std::string& runbook) {
    std::vector<LaunchedRun> running = c_.launcher->AllRunning();
    std::sort(running.begin(), running.end(),
              [](const LaunchedRun& a, const LaunchedRun& b) { return a.run_id > b.run_id; });
    auto catalog = c_.catalog();
    Value::List out;
    for (const LaunchedRun& run : running) {
      if ((!runbook.empty() && run.runbook != runbook) || store.FindRun(run.run_id).ok()) continue;
      const CatalogEntry* entry = catalog->Find(run.runbook);
      const bool known = entry != nullptr && entry->runbook != nullptr;
      out.push_back(StartingRunValue(run, known ? entry->runbook->kind : "", Tail(run.log)));
    }
    return out;
  }

  static bool IsListed(const Value::List& out, const std::string& run_id) {
    return std::any_of(out.begin(), out.end(), [&](const Value& v) {
      const Value* id = v.Find("run_id");
      return id != nullptr && id->ToText() == run_id;
    });
  }

  std::optional<RunRecord> Record(const std::string& id, Res& res) {
    auto store = Store(res);
    if (!store) return std::nullopt;
    auto row = store->FindRun(id);
    if (!row.ok()) return Error(res, 404, row.status().message()), std::nullopt;
    auto record = LoadRunRecord(*store, row.value().run_id);
    if (!record.ok()) return Error(res, 503, record.status().message()), std::nullopt;
    if (Status recorded = RecordedByEvents(record.value()); !recorded.ok())  // HH11
      return Error(res, 404, recorded.message()), std::nullopt;
    // As `report --format json` gives it: the runs of its incident, and what the chain and
    // the runs index say of the evidence (breakHH HH3: a deleted approval read as none).
    if (Status chain = LoadRunChain(*store, record.value()); !chain.ok())
      return Error(res, 503, chain.message()), std::nullopt;
    (void)NoteChainProblem(*store, record.value());  // a walk that fails is in chain_problem
    return std::move(record).value();
  }

  void RunOne(const std::string& id, Res& res) {
    // Started here, not recorded (yet): the child has not written its first event, or it
    // ended before (a lock it could not take, a secret it could not read): say so, with the
    // end of its output.
    if (auto launched = c_.launcher->Launched(id); launched && !Recorded(id)) {
      bool running = launched->exit_code < 0;
      // One cancelled before it started (waiting for its lock: breakUU UU6) did not fail.
      // One whose fire was queued again stands for nothing (breakXX XX8: "failed_to_start"
      // for good, though its fire ran as another run).
      const char* ended = launched->run.cancelled  ? "cancelled"
                          : launched->run.requeued ? "requeued"
                                                   : "failed_to_start";
      return Json(
          res, 200,
          Value(Value::Map{{"run_id", Value(id)},
                           {"runbook", Value(launched->run.runbook)},
                           {"status", Value(running ? "starting" : ended)},
                           {"exit_code", running ? Value() : Value(int64_t{launched->exit_code})},
                           {"output", Value(Tail(launched->run.log))},
                           {"waiting", Value(running ? WaitingLine(Tail(launched->run.log)) : "")},
                           {"trigger", launched->run.trigger},
                           {"params", StartingParams(ReadKeptParams(c_.launcher->ParamsOf(id)))}}));
    }
    if (auto record = Record(id, res)) Json(res, 200, ReportValue(*record));
  }

  // The run's report as `runbook report --format html|md|pdf` writes it. Nothing in it runs:
  // its CSP allows no script.
  void Report(const std::string& id, const std::string& format, Res& res) {
    auto record = Record(id, res);
    if (!record) return;
    res.set_header("Content-Security-Policy",
                   "default-src 'none'; style-src 'unsafe-inline'; img-src data:");
    if (format == "pdf") {
      auto pdf = ReportPdf(*record);
      if (!pdf.ok()) return Error(res, 500, pdf.status().message());
      // Opened in the browser's viewer; saved as RUN.pdf.
      res.set_header("Content-Disposition", "inline; filename=\"" + record->run_id + ".pdf\"");
      res.set_content(std::move(pdf).value(), "application/pdf");
    } else if (format == "html")
      res.set_content(ReportHtml(*record), "text/html; charset=utf-8");
    else
      res.set_content(ReportMarkdown(*record), "text/markdown; charset=utf-8");
  }

  bool Recorded(const std::string& id) { return RecordedStatus(id).has_value(); }

  // Run `id`'s status as the store's index records it; nullopt when it has none (not begun).
  std::optional<std::string> RecordedStatus(const std::string& id) {
    auto store = AuditStore::OpenExisting(c_.audit_db);
    if (!store.ok()) return std::nullopt;
    auto row = store.value()->FindRun(id);
    return row.ok() ? std::optional<std::string>(row.value().status) : std::nullopt;
  }

  static std::string Tail(const std::string& path) {
    std::string text = ReadLog(path);
    return text.size() > 4096 ? text.substr(text.size() - 4096) : text;
  }

  static std::string ReadLog(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "r");
    if (f == nullptr) return "";
    std::string out;
    char buf[4096];
    for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) out.append(buf, n);
    std::fclose(f);
    return out;
  }

  void StepLog(const Req& req, const std::string& id, const std::string& step, Res& res) {
    auto record = Record(id, res);
    if (!record) return;
    // A step the run's graph does not have is 404 at once, running or not (a typo is not "no
    // output yet").
    const Value& graph = ReportField(record->started, "graph");
    if (graph.is_list() && !graph.as_list().empty()) {
      bool known = false;
      for (const Value& node : graph.as_list())
        known = known || ReportField(node, "id").ToText() == step;
      if (!known) return Error(res, 404, "run " + record->run_id + " has no step '" + step + "'");
    }
    bool finished = false;
    auto text = StepLogText(*record, step, finished);
    if (!text && finished)
      return Error(res, 404, "run " + record->run_id + " has no step '" + step + "'");
    if (req.get_header_value("Accept").find("text/event-stream") != std::string::npos)
      return Stream(record->run_id, step, res);
    res.set_content(text.value_or(""), "text/plain; charset=utf-8");
  }

  // Server-Sent Events while the step runs: what it printed as it is kept (every 2 s by the
  // run), checked every second; "end" with the step's outcome last. At most kMaxStreams at
  // once: each holds a worker.
  void Stream(const std::string& run_id, const std::string& step, Res& res) {
    if (++streams_ > kMaxStreams) {
      --streams_;
      return Error(res, 503, "too many live logs followed at once; try again later");
    }
    auto sent = std::make_shared<std::string>();
    res.set_header("Cache-Control", "no-cache");
    res.set_chunked_content_provider(
        "text/event-stream",
        [this, run_id, step, sent](size_t, httplib::DataSink& sink) {
          auto store = AuditStore::OpenExisting(c_.audit_db);
          auto record = store.ok() ? LoadRunRecord(*store.value(), run_id)
                                   : Result<RunRecord>(store.status());
          bool finished = !record.ok();
          std::string text = record.ok() ? StepLogText(record.value(), step, finished).value_or("")
                                         : std::string();
          std::string out = SseDelta(*sent, text);
          *sent = text;
          if (finished)
            out += SseEvent("end", record.ok() ? StepEnd(record.value(), step) : "gone");
          if (!out.empty() && !sink.write(out.data(), out.size())) return false;
          if (finished) {
            sink.done();
            return true;
          }
          std::this_thread::sleep_for(std::chrono::seconds(1));
          return true;
        },
        [this](bool) { --streams_; });
  }

  // "; it was resumed as run NEXT: ..." naming the newest run along `run_id`'s resumes (a
  // gate run resumed at serve's restart waits again in NEXT: breakWW WW10, an approver who
  // answered the run named in the first approval_waiting got a bare 409); "" when none.
  std::string ResumedSince(const std::string& run_id, const std::string& step) {
    auto store = AuditStore::OpenExisting(c_.audit_db);
    if (!store.ok()) return "";
    std::optional<RunRow> newest;
    for (int hops = 0; hops < 100; ++hops) {  // a resume's resume, ...
      auto next = store.value()->ResumedAs(newest ? newest->run_id : run_id);
      if (!next.ok() || !next.value()) break;
      newest = std::move(next.value());
    }
    if (!newest) return "";
    return "; it was resumed as run " + newest->run_id + " (" + newest->status +
           (newest->status == "running"
                ? "): answer there, POST /api/v1/runs/" + newest->run_id + "/approvals/" + step
                : ")");
  }

  // Whether a run this serve started resumes `run_id` and is still going (recorded or not).
  bool BeingResumed(const std::string& run_id) const {
    for (const LaunchedRun& r : c_.launcher->AllRunning())
      if (r.resumes == run_id) return true;
    return false;
  }

  // Whether run `run_id`, going here, waits for a locked store to record the start of its
  // approval gate `step` (engine/audit/unrecorded.h): an answer then is early, not wrong
  // (breakYY YY6: it was 409 and dropped by clients; a busy store elsewhere is 503).
  bool StartingGate(const std::string& run_id, const std::string& step) const {
    if (!c_.launcher->IsRunning(run_id)) return false;
    auto starting = ReadUnrecorded(c_.launcher->UnrecordedOf(run_id), run_id).starting;
    return starting && starting->step == step && starting->type == "approval";
  }

  // An approver's answer to a gate that waits (cli/api_approver.h): recorded in the store as
  // `approval_answer`, which the run waits for. Body {"approve": bool, "inputs": {...}}.
  void Answer(const Req& req, const std::string& id, const std::string& step, Res& res) {
    auto record = Record(id, res);
    if (!record) return;
    // A run the serve before left: its gate waits again in the run that resumes it. Until that
    // run is known, the answer is to be sent again, not refused (breakXX XX6).
    const LeftRun left = c_.left_run ? c_.left_run(record->run_id) : LeftRun::kNo;
    if (left == LeftRun::kTakingUp || (left == LeftRun::kTakenUp && BeingResumed(record->run_id) &&
                                       ResumedSince(record->run_id, step).empty())) {
      res.set_header("Retry-After", "5");
      return Error(res, 503,
                   "run " + record->run_id +
                       " was left by the serve before this one, which takes it up (once the "
                       "store can be written): its gate then waits again in the run that "
                       "resumes it; send the answer again, and it names that run");
    }
    if (record->status == "running" && StartingGate(record->run_id, step)) {
      res.set_header("Retry-After", "5");
      return Error(res, 503,
                   "run " + record->run_id + " is recording the start of its gate '" + step +
                       "' (the audit store is busy): the gate waits once it is recorded; send "
                       "the answer again");
    }
    if (record->status != "running" || !Waiting(*record, step))
      return Error(res, 409,
                   "run " + record->run_id + " has no approval waiting at step '" + step + "'" +
                       ResumedSince(record->run_id, step));
    // A run this serve started whose process has ended cannot take an answer, though the
    // store still says it runs (its end unrecorded): the answer would be recorded and never
    // acted on (breakWW WW2).
    if (auto launched = c_.launcher->Launched(record->run_id); launched && launched->exit_code >= 0)
      return Error(res, 409,
                   "run " + record->run_id + "'s process ended (exit " +
                       std::to_string(launched->exit_code) +
                       ") before it took an answer; once it is marked interrupted, resume it "
                       "(POST /api/v1/runs/" +
                       record->run_id + "/resume) and its gate waits again");
    auto body = ReadBody(req.body, {{"approve", FieldKind::kBool}, {"inputs", FieldKind::kObject}});
    const std::string example =
        " (the body must be {\"approve\": true or false, \"inputs\": "
        "{\"name\": value}}; the gate still waits)";
    if (!body.ok()) return Error(res, 400, body.status().message() + example);
    const Value* approve = FieldOf(body.value(), "approve");
    const Value* inputs = FieldOf(body.value(), "inputs");
    if (approve == nullptr) return Error(res, 400, "\"approve\" is missing" + example);
    for (const Value& w : record->approvals_waiting) {
      if (ReportField(w, "step").ToText() != step) continue;
      std::string wrong = AnswerInputsProblem(ReportField(w, "inputs"), inputs, approve->as_bool());
      if (!wrong.empty()) return Error(res, 400, wrong + "; the gate still waits");
    }
    auto store = Store(res);
    if (!store) return;
    // Each input as the text the run reads it from (TextAsSent): JSON in the store would turn
    // 3.10 into 3.1 before the run sees it (break23a C1).
    Value::Map sent;
    for (const auto& [name, value] : inputs ? inputs->as_map() : Value::Map{})
      sent[name] = Value(TextAsSent(value));
    Status s = store->Append(record->run_id, "approval_answer", step, 0,
                             Value(Value::Map{{"step", Value(step)},
                                              {"approve", *approve},
                                              {"by", Value(t_caller)},
                                              {"inputs", Value(std::move(sent))}}));
    if (s.busy()) {  // the gate still waits: the same answer later is taken (breakWW WW5)
      res.set_header("Retry-After", "5");
      return Error(res, 503,
                   "the audit store is busy (" + s.message() +
                       "): the answer was not recorded and the gate still waits; send it again");
    }
    if (!s.ok()) return Error(res, 409, s.message());
    c_.say(std::string(approve->as_bool() ? "approved" : "declined") + " step " + step +
           " of run " + record->run_id + " (API: " + t_caller + ")");
    Json(res, 202,
         Value(Value::Map{
             {"run_id", Value(record->run_id)}, {"step", Value(step)}, {"approve", *approve}}));
  }

  // Whether the run's gate `step` waits: an approval_waiting event with no answer after it.
  bool Waiting(const RunRecord& r, const std::string& step) {
    for (const Value& w : r.approvals_waiting) {
      if (ReportField(w, "step").ToText() == step) return true;
    }
    return false;
  }

  void Cancel(const std::string& id, Res& res) {
    // Started here and not recorded yet (waiting for its `lock:`, say): serve's own handle
    // cancels it (breakTT TT8: the store had no such run, so the API said 404).
    if (auto launched = c_.launcher->Launched(id); launched && !Recorded(id)) {
      if (launched->exit_code >= 0 || !c_.launcher->Cancel(id))
        return Error(res, 409, "run " + id + " has ended before it started");
      c_.say("cancelling run " + id + " before it started (API: " + t_caller + ")");
      return Json(res, 202, Value(Value::Map{{"run_id", Value(id)}}));
    }
    auto record = Record(id, res);
    if (!record) return;
    // Its record decides first: a run that recorded its end may still be exiting.
    if (record->status != "running")
      return Error(res, 409, "run " + record->run_id + " has ended (" + record->status + ")");
    if (!c_.launcher->Cancel(record->run_id))
      return Error(res, 409, "run " + record->run_id + " is not running under this serve");
    c_.say("cancelling run " + record->run_id + " (API: " + t_caller + ")");
    Json(res, 202, Value(Value::Map{{"run_id", Value(record->run_id)}}));
  }

  void Resume(const Req& req, const std::string& id, Res& res) {
    // One this serve started that ended before it recorded anything: not the store's to find
    // (newcomer round of issue 16: a run cancelled while it waited answered "no run ... in"
    // the store's path).
    if (auto launched = c_.launcher->Launched(id); launched && !Recorded(id)) {
      if (launched->exit_code < 0)
        return Error(res, 409,
                     "run " + id + " has not begun (it waits: see GET /api/v1/runs/" + id +
                         "); nothing to resume yet");
      if (launched->run.cancelled && !launched->run.stopped)
        return Error(res, 409,
                     "run " + id +
                         " was cancelled before it began: nothing was recorded, nothing to "
                         "resume; start a new run: POST /api/v1/runbooks/" +
                         launched->run.runbook + "/runs");
    }
    auto record = Record(id, res);
    if (!record) return;
    // Its record decides first, as for a cancel: a run that recorded its end may still be
    // exiting (seen under ASan: "already resumed, as run N (running)" after N's cancel).
    if (record->status == "running" && c_.launcher->IsRunning(record->run_id))
      return Error(res, 409, "run " + record->run_id + " still runs");
    // One resume at a time (breakZZ ZZ7: a second, sent while the first waited for the store,
    // was 201 too, and one of them ran a step that had run).
    for (const LaunchedRun& r : c_.launcher->AllRunning())
      if (r.resumes == record->run_id && RecordedStatus(r.run_id).value_or("running") == "running")
        return Error(res, 409,
                     "run " + record->run_id + " is already resumed, as run " + r.run_id +
                         " (running)" + ": see GET /api/v1/runs/" + r.run_id);
    if (record->status == "success")
      return Error(res, 409, "run " + record->run_id + " succeeded: nothing to resume");
    auto catalog = c_.catalog();
    const CatalogEntry* e = catalog->Find(record->Text("runbook"));
    if (e == nullptr)
      return Error(res, 404, "no runbook named '" + record->Text("runbook") + "' here");
    LaunchRequest request;
    request.runbook = record->Text("runbook");
    request.file = e->file;
    request.resume_id = record->run_id;
    request.trigger = Value(Value::Map{
        {"kind", Value("api")}, {"by", Value(t_caller)}, {"resumes", Value(record->run_id)}});
    request.caller_waits = true;  // a refusal answered here pages nobody (breakNN NN3)
    std::string error;
    if (!ResumeChoices(req, request, error)) return Error(res, 400, error);
    auto run = c_.launcher->Start(request);
    if (!run.ok()) return Error(res, 500, run.status().message());
    std::string refused = Refused(run.value().run_id);
    // A resume that left no record is forgotten at a restart whatever its marker says.
    (void)c_.launcher->Release(run.value().run_id, !refused.empty());
    if (!refused.empty()) {
      c_.say("resuming run " + record->run_id + " (API: " + t_caller +
             ") was refused, answered 409: nothing sent (" + FirstLineOf(refused) + ")");
      return Error(res, 409, refused);
    }
    c_.say("resuming run " + record->run_id + " as run " + run.value().run_id +
           " (API: " + t_caller + ")");
    Json(res, 201,
         Value(Value::Map{{"run_id", Value(run.value().run_id)},
                          {"resumes", Value(record->run_id)}}));
  }

  // The body's choices, as resume's flags: "rerun" (steps stopped mid-way the operator
  // confirms to run again: --rerun), "end_leftovers" (--end-leftovers), "force" (--force: a
  // runbook changed since the run, a moved base; breakVV VV7) and "params" (a param the run
  // recorded masked, given again as --set does, on the resume's standard input: breakUU UU1,
  // no other way reached such a run through the API).
  static bool ResumeChoices(const Req& req, LaunchRequest& out, std::string& error) {
    auto body = ReadBody(req.body, {{"rerun", FieldKind::kStringList},
                                    {"end_leftovers", FieldKind::kBool},
                                    {"force", FieldKind::kBool},
                                    {"params", FieldKind::kObject}});
    if (!body.ok()) {
      error = body.status().message() +
              " (a JSON object such as {\"rerun\": [\"step-id\"], \"end_leftovers\": true, "
              "\"force\": true, \"params\": {\"name\": \"value\"}})";
      return false;
    }
    const Value* rerun = FieldOf(body.value(), "rerun");
    const Value* end = FieldOf(body.value(), "end_leftovers");
    const Value* force = FieldOf(body.value(), "force");
    const Value* params = FieldOf(body.value(), "params");
    out.force = force != nullptr && force->as_bool();
    for (const Value& step : rerun ? rerun->as_list() : Value::List{})
      out.reruns.push_back(step.ToText());
    out.end_leftovers = end != nullptr && end->as_bool();
    for (const auto& [name, value] : params ? params->as_map() : Value::Map{})
      out.sets.emplace_back(name, TextAsSent(value));
    return true;
  }

  // Waits, up to 10 s, until the run serve just started has kept its params as accepted
  // (serve/kept_params.h) or has ended; false when neither came (breakDD DD1: answered at
  // once before, a run killed with serve in the ~70 ms before it kept them was recorded with
  // them withheld, and a page addressed by one could not be sent).
  bool WaitTaken(const std::string& run_id) {
    const std::string kept = c_.launcher->ParamsOf(run_id);
    for (int i = 0; i < 500; ++i) {
      if (auto params = ReadKeptParams(kept); params && params->accepted) return true;
      auto launched = c_.launcher->Launched(run_id);
      if (!launched || launched->exit_code >= 0) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  // The first line of `text`, at most 300 bytes: a refusal said in serve's log (newcomer
  // round of issue 16: the log said a resume was refused, never why).
  static std::string FirstLineOf(const std::string& text) {
    std::string line = text.substr(0, text.find('\n'));
    return line.size() > 300 ? line.substr(0, 300) + "..." : line;
  }

  // What a child said when it ended before recording its run (a resume refused: a step to
  // confirm with "rerun", a changed runbook), waiting up to 3 s; "" once it recorded it, says
  // it waits (for its lock or the store: its checks passed, serve/starting_runs.h; the caller
  // was kept 3 s before, newcomer round of issue 16), or still runs.
  std::string Refused(const std::string& run_id) {
    for (int i = 0; i < 30; ++i) {
      if (Recorded(run_id)) return "";
      auto launched = c_.launcher->Launched(run_id);
      if (launched && launched->exit_code < 0 && !WaitingLine(Tail(launched->run.log)).empty())
        return "";
      if (launched && launched->exit_code >= 0) {
        // Its words, less the store line and the "runbook: error: " prefixes.
        std::string out = Tail(launched->run.log), said;
        std::istringstream lines(out);
        for (std::string line; std::getline(lines, line);) {
          if (line.rfind("runbook: audit store ", 0) == 0) continue;
          if (line.rfind("runbook: error: ", 0) == 0) line = line.substr(16);
          said += (said.empty() ? "" : "\n") + line;
        }
        return said.empty() ? "it ended at once, exit " + std::to_string(launched->exit_code)
                            : said;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return "";
  }

  void Metrics(Res& res) {
    auto store = Store(res);
    if (!store) return;
    // As the chained events record the runs, never the index alone (breakHH HH1: one UPDATE
    // silenced the backup-age alert).
    auto listing = listing_cache_.Every(*store);  // read again when the store changed (II5)
    if (!listing.ok()) return Error(res, 503, listing.status().message());
    std::vector<RunRow> rows;
    for (const ListedRun& r : listing.value().runs) rows.push_back(r.row);
    int64_t running = 0;
    for (const Runbook* rb : c_.catalog()->Runbooks())
      running += static_cast<int64_t>(c_.launcher->Running(rb->name).size());
    std::map<std::string, BackupSummary> backups;
    if (c_.registry) {
      auto read = listing_cache_.Backups(*store, *c_.registry);
      if (!read.ok()) return Error(res, 503, read.status().message());
      backups = read.value();
    }
    res.set_content(StoreMetricsText(rows, listing.value().Altered(), running, Now(c_), backups),
                    "text/plain; version=0.0.4");
  }

  static constexpr int kMaxStreams = 4;
  ApiContext c_;
  ListingCache listing_cache_;
  FailureLimiter limiter_;
  std::atomic<int> streams_{0};
};

}  // namespace

struct ApiServer::Impl {
  explicit Impl(ApiContext c) : routes(std::move(c)) {}
  std::unique_ptr<httplib::Server> server;
  Routes routes;
};

namespace {

// `context` whose `say` masks each line as Error masks an answer (MaskForCatalog): serve's log
// quotes what callers sent too (break24a S1: a resume's refused --rerun).
ApiContext SayingMasked(ApiContext context) {
  context.say = [say = context.say, catalog = context.catalog](const std::string& line) {
    auto current = catalog ? catalog() : nullptr;
    say(current ? MaskForCatalog(*current, line) : line);
  };
  return context;
}

}  // namespace

ApiServer::ApiServer(ApiContext context, const std::string& tls_cert, const std::string& tls_key)
    : impl_(std::make_unique<Impl>(SayingMasked(std::move(context)))) {
  // Slow or stuck clients (slowloris): a request must arrive whole within 10 s, each read
  // within 5 s, each write within 10 s; 32 connections per address, 128 workers; bodies above 1 MiB
  // are refused (serve/guarded_http.h).
  impl_->server = MakeGuardedServer(ClientLimits{}, tls_cert, tls_key);
  httplib::Server& s = *impl_->server;
  s.set_read_timeout(5, 0);
  s.set_write_timeout(10, 0);
  s.set_keep_alive_timeout(5);
  s.set_keep_alive_max_count(100);
  s.set_payload_max_length(1 << 20);
  impl_->routes.Install(s);
  InstallUiRoutes(s);
  // httplib's own refusals (a POST without a body: 400 before any route) in the API's form.
  s.set_error_handler([](const Req& req, Res& res) {
    if (!res.body.empty() || res.status < 400) return;
    // A route called with a method it does not take (newcomer round of issue 16: a GET on a
    // resume answered "HTTP 404"), as RFC 9110 says: 405 with Allow.
    static const std::regex kPostOnly(
        R"(/api/v1/(runbooks/[^/]+/runs|runs/[^/]+/(cancel|resume|approvals/[^/]+)))");
    if (res.status == 404 && req.method != "POST" && std::regex_match(req.path, kPostOnly)) {
      res.set_header("Allow", "POST");
      return Error(res, 405, req.method + " " + Printable(req.path) + " is not served: POST it");
    }
    Error(res, res.status,
          res.status == 400
              ? "bad request (a POST needs a JSON body: {} when there is nothing to say)"
          : res.status == 404 ? "no route " + req.method + " " + Printable(req.path) +
                                    " (the API's routes: GET /api/v1/openapi.json, docs/api.md)"
                              : "HTTP " + std::to_string(res.status));
  });
  s.set_exception_handler([](const Req&, Res& res, std::exception_ptr) {
    Error(res, 500, "internal error; see serve's log");
  });
}

ApiServer::~ApiServer() = default;

Status ApiServer::Run(const std::string& host, int port,
                      const std::function<void()>& on_listening) {
  if (!impl_->server->is_valid())
    return Status::Error("cannot use the TLS certificate and key (unreadable, or not a pair)");
  if (!impl_->server->bind_to_port(host.c_str(), port))
    return Status::Error("cannot listen on " + host + ":" + std::to_string(port) +
                         " (in use, or not an address of this machine)");
  on_listening();
  impl_->server->listen_after_bind();
  return Status::Ok();
}

void ApiServer::Stop() { impl_->server->stop(); }

}  // namespace runbook
