// service: starts a long-running process (the backend on PORT=4004), waits until its health
// check passes, and hands it to the run, which stops it when the run ends (SIGTERM to its
// group, a grace period, SIGKILL), also after a failure or Ctrl-C. Steps that need it fail
// instead of starting when it has died, with its exit status and the last lines of its log.
#include <poll.h>
#include <sys/stat.h>

#include <fstream>

#include "engine/plugin/registry.h"
#include "engine/util/duration.h"
#include "engine/util/strings.h"
#include "steps/common/files.h"
#include "steps/common/http.h"
#include "steps/common/net.h"
#include "steps/common/spec_builder.h"

namespace runbook {
namespace {

StepSpec MakeSpec() {
  StepSpec s;
  s.type = "service";
  s.summary = "start a long-running process, wait until healthy, stop it when the run ends";
  s.description =
      "Starts `run` (argv, no shell) in `cwd` with `env` added, its stdout and stderr appended "
      "to `log`. Waits up to `ready_timeout` for `health`: `{http: URL}` answering 2xx, or "
      "`{tcp: \"host:port\"}` accepting a connection (without `health` the service is ready "
      "once started). Something already answering there before the start is an error: a "
      "service left over from an earlier run would otherwise pass for this one. The process "
      "keeps running while later steps use it and is stopped when the run ends (also after a "
      "failure or Ctrl-C): SIGTERM to its process group, `stop_grace`, then SIGKILL. If it "
      "exits early or never becomes healthy the step fails with its exit status and the last "
      "lines of its log; if it dies later, the steps that need this step fail the same way "
      "instead of starting. `resume` starts it again.";
  s.params = {
      Param("run", ParamType::kStringList, "the command, as argv").Required(),
      Param("cwd", ParamType::kString, "working folder"),
      Param("env", ParamType::kStringMap, "extra environment, e.g. PORT, BACKEND_ENV_PATH"),
      Param("health", ParamType::kMap, "{http: URL} expecting 2xx, or {tcp: \"host:port\"}"),
      Param("ready_timeout", ParamType::kDuration, "how long to wait for health")
          .Default(Value("60s"))
          .DurationRange("1ms"),
      Param("log", ParamType::kString,
            "file its output is appended to (default: $TMPDIR/runbook-<run>-<step>.log)")
          .Path(PathRole::kWritesFile)
          .SharedAs("service log"),  // appended to: two services may share one
      Param("stop_grace", ParamType::kDuration, "between SIGTERM and SIGKILL at the end")
          .Default(Value("10s")),
  };
  s.outputs = {
      Output("pid", ParamType::kInteger, "the service's process id (its process group)"),
      Output("log", ParamType::kString, "the log file"),
  };
  s.side_effects = SideEffects::kWrite;
  s.idempotent = true;
  s.run_scoped = true;
  return s;
}

// The last `lines` lines written to `path` since byte `from`, from its last 4 KiB. A line
// the window cuts is left out whole, so no piece of it (of a secret in it) is shown.
std::string LogTail(const std::string& path, std::streamoff from, size_t lines = 15) {
  std::ifstream in(path, std::ios::binary);
  in.seekg(0, std::ios::end);
  std::streamoff size = in.tellg();
  std::streamoff start = std::max(from, size - 4096);
  if (!in || size <= start) return "(its log is empty)";
  bool cut = start > from;  // then read one byte before: was the window's start a line's?
  in.seekg(cut ? start - 1 : start);
  std::string text(static_cast<size_t>(size - start + (cut ? 1 : 0)), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (cut) {
    size_t nl = text.find('\n');
    if (nl == std::string::npos) return "(its last 4 KiB are one line: see the log)";
    text.erase(0, nl + 1);
  }
  return LastLines(text, lines);
}

std::streamoff FileSize(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? st.st_size : 0;
}

// One health check: "" when healthy, else why not.
struct Health {
  std::string http, tcp;
  bool empty() const { return http.empty() && tcp.empty(); }
  std::string Where() const { return http.empty() ? tcp : http; }
  std::string Check(HttpClient& client, const CancelToken& cancel) const {
    if (!tcp.empty()) return TcpConnect(tcp, Millis(1000));
    HttpRequest req;
    req.url = http;
    req.timeout = Millis(2000);
    HttpResponse r = client.Send(req, cancel);
    if (r.status == 0) return r.error;
    if (r.status / 100 != 2) return "HTTP " + std::to_string(r.status);
    return "";
  }
};

Health HealthOf(const StepParams& params) {
  Health h;
  const Value* v = params.Opt("health");
  if (v == nullptr || !v->is_map()) return h;
  if (const Value* u = v->Find("http")) h.http = u->ToText();
  if (const Value* t = v->Find("tcp")) h.tcp = t->ToText();
  return h;
}

class Service final : public RunResource {
 public:
  Service(std::string id, std::unique_ptr<BackgroundProcess> p, std::string log,
          std::streamoff from, Millis grace)
      : id_(std::move(id)), proc_(std::move(p)), log_(std::move(log)), from_(from), grace_(grace) {}
  std::string Name() const override {
    return "service '" + id_ + "' (pid " + std::to_string(proc_->pid()) + ")";
  }
  std::string Failure() override {
    auto ended = proc_->Exited();
    return ended ? *ended + "; " + Tail() : "";
  }
  std::string Tail() const { return "last lines of " + log_ + ":\n" + LogTail(log_, from_); }
  std::string Stop() override { return proc_->Stop(grace_); }
  BackgroundProcess& process() { return *proc_; }

 private:
  std::string id_;
  std::unique_ptr<BackgroundProcess> proc_;
  std::string log_;
  std::streamoff from_;
  Millis grace_;
};

AttemptResult Ended(AttemptStatus status) {
  AttemptResult r;
  r.status = status;
  return r;
}

// Sleeps up to `ms`, waking at once on cancellation.
void Nap(const CancelToken& cancel, int ms) {
  pollfd p{cancel.wait_fd(), POLLIN, 0};
  poll(&p, cancel.wait_fd() >= 0 ? 1 : 0, ms);
}

class ServiceStep final : public StepType {
 public:
  const StepSpec& spec() const override { return spec_; }

  void Configure(const ConfigureView& with, ConfigureReport& report) const override {
    const ConfigParam* h = with.Find("health");
    if (h == nullptr || !h->value) return;
    if (!h->value->is_map() || h->value->as_map().size() != 1 ||
        (!h->value->Find("http") && !h->value->Find("tcp")))
      report.Error(h->loc, "health must be {http: URL} or {tcp: \"host:port\"}");
    else if (const Value* tcp = h->value->Find("tcp"))
      ReportIf(h->loc, AddressProblem(tcp->ToText()), report);
    else
      ReportIf(h->loc, UrlPortProblem(h->value->Find("http")->ToText()), report);
  }

  static void ReportIf(Loc loc, const std::string& why, ConfigureReport& report) {
    if (!why.empty()) report.Error(loc, "health: " + why);
  }

  std::vector<std::string> Describe(const StepParams& p) const override {
    std::string argv;
    for (const Value& a : p.Get("run").as_list()) argv += (argv.empty() ? "" : " ") + a.ToText();
    Health h = HealthOf(p);
    return {"start `" + argv + "`" + (h.empty() ? "" : " and wait until " + h.Where() + " answers"),
            "stop it when the run ends"};
  }

  AttemptResult Run(StepContext& ctx) const override {
    Health health = HealthOf(ctx.params);
    HttpClient client;
    if (!health.empty() && health.Check(client, ctx.cancel).empty())
      return AttemptResult::Failure(
          "something already answers at " + health.Where() +
          " before the service started (one from an earlier run may still be running); stop "
          "it or use another port");
    std::string log = LogPath(ctx);
    if (Status made = MakeFolderSaying(DirName(log), ctx.log); !made.ok())
      return AttemptResult::Failure("log " + log + ": " + made.message());
    std::streamoff from = FileSize(log);
    std::string error;
    auto proc = ctx.processes.Start(Request(ctx, log), error);
    if (!proc) return AttemptResult::Failure(error);
    auto service = std::make_unique<Service>(ctx.step_id, std::move(proc), log, from,
                                             ctx.params.Duration("stop_grace"));
    ctx.log("started pid " + std::to_string(service->process().pid()) + ", output to " + log);
    AttemptResult r = WaitReady(ctx, health, client, *service);
    if (r.status != AttemptStatus::kSuccess) {
      ctx.log(service->Stop());
      return r;
    }
    r.outputs = {{"pid", Value(static_cast<int64_t>(service->process().pid()))},
                 {"log", Value(log)}};
    ctx.keep(std::move(service));
    return r;
  }

 private:
  static std::string LogPath(const StepContext& ctx) {
    if (const Value* l = ctx.params.Opt("log")) return l->ToText();
    auto tmp = ctx.env.find("TMPDIR");
    std::string dir = tmp == ctx.env.end() || tmp->second.empty() ? "/tmp" : tmp->second;
    return dir + "/runbook-" + ctx.run_id + "-" + ctx.step_id + ".log";
  }

  static BackgroundRequest Request(const StepContext& ctx, const std::string& log) {
    BackgroundRequest req;
    for (const Value& a : ctx.params.Get("run").as_list()) req.argv.push_back(a.ToText());
    if (const Value* cwd = ctx.params.Opt("cwd")) req.cwd = cwd->ToText();
    req.env = ctx.env;
    if (const Value* env = ctx.params.Opt("env"))
      for (const auto& [k, v] : env->as_map()) req.env[k] = v.ToText();
    req.log_path = log;
    return req;
  }

  // Polls until healthy, exited, out of time or cancelled.
  static AttemptResult WaitReady(StepContext& ctx, const Health& health, HttpClient& client,
                                 Service& service) {
    Millis timeout = ctx.params.Duration("ready_timeout");
    auto until = ctx.clock.Now() + timeout;
    std::string last = "not checked yet";
    for (int round = 0;; ++round) {
      if (std::string gone = service.Failure(); !gone.empty())
        return AttemptResult::Failure("the service exited before it became healthy: " + gone);
      if (ctx.cancel.cancelled()) return Ended(AttemptStatus::kCancelled);
      if (ctx.deadline && ctx.clock.Now() >= *ctx.deadline) return Ended(AttemptStatus::kTimeout);
      if (health.empty() ? round > 0 : (last = health.Check(client, ctx.cancel)).empty()) {
        ctx.log(health.empty() ? "running" : health.Where() + " is healthy");
        return AttemptResult::Success();
      }
      if (ctx.clock.Now() >= until)
        return AttemptResult::Failure("not healthy within " + FormatDuration(timeout) + " (" +
                                      health.Where() + ": " + last + "); " + service.Tail());
      Nap(ctx.cancel, 100);
    }
  }

  StepSpec spec_ = MakeSpec();
};

const RegisterStep kRegistration([]() -> std::unique_ptr<StepType> {
  return std::make_unique<ServiceStep>();
});

}  // namespace
}  // namespace runbook
