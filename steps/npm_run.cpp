// npm-run: `npm run <script> -- args` in a folder, through the engine's process runner
// (timeouts and Ctrl-C stop npm, node and whatever node started). A missing package.json
// or script is found at load time when the folder and script are literal.
#include <filesystem>

#include "engine/plugin/registry.h"
#include "engine/util/json.h"
#include "steps/common/files.h"
#include "steps/common/spec_builder.h"

namespace runbook {
namespace {

StepSpec MakeSpec() {
  StepSpec s;
  s.type = "npm-run";
  s.summary = "npm run <script> -- args in a folder, with env such as BACKEND_ENV_PATH";
  s.description =
      "Runs `npm run <script> -- <args>` in `cwd` with `env` added to the environment. With "
      "`install: ci`, runs `npm ci` first when node_modules is missing or older than "
      "package-lock.json. Output is streamed to the live view and kept (capped, redacted) "
      "for the audit. npm missing, no package.json or no such script is a clear error, "
      "found when the runbook is loaded if `cwd` and `script` are literal.";
  s.params = {
      Param("script", ParamType::kString, "the package.json script").Required(),
      Param("args", ParamType::kStringList, "arguments passed after --"),
      Param("cwd", ParamType::kString, "the folder with package.json").Default(Value(".")),
      Param("env", ParamType::kStringMap, "extra environment variables"),
      Param("install", ParamType::kString, "npm ci first when needed")
          .Default(Value("none"))
          .Enum({"none", "ci"}),
  };
  s.outputs = {Output("exit_code", ParamType::kInteger, "npm's exit code")};
  s.side_effects = SideEffects::kWrite;
  s.idempotent = false;
  return s;
}

// "" when package.json in `cwd` has `script`; else why not.
std::string CheckScript(const std::string& cwd, const std::string& script) {
  auto text = ReadWholeFile(cwd + "/package.json", 4u << 20);
  if (!text.ok()) return "no package.json in " + cwd;
  auto pkg = ParseJson(text.value());
  if (!pkg.ok()) return cwd + "/package.json is not valid JSON";
  const Value* scripts = pkg.value().Find("scripts");
  if (scripts == nullptr || !scripts->is_map() || !scripts->Find(script)) {
    std::string have;
    if (scripts && scripts->is_map())
      for (const auto& [name, cmd] : scripts->as_map()) have += (have.empty() ? "" : ", ") + name;
    return "no script '" + script + "' in " + cwd + "/package.json" +
           (have.empty() ? "" : "; it has: " + have);
  }
  return "";
}

bool NeedsInstall(const std::string& cwd) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(cwd + "/node_modules", ec)) return true;
  if (!fs::exists(cwd + "/package-lock.json", ec)) return false;
  return fs::last_write_time(cwd + "/package-lock.json", ec) >
         fs::last_write_time(cwd + "/node_modules", ec);
}

class NpmRun final : public StepType {
 public:
  const StepSpec& spec() const override { return spec_; }

  void Configure(const ConfigureView& with, ConfigureReport& report) const override {
    const ConfigParam* script = with.Find("script");
    const ConfigParam* cwd = with.Find("cwd");
    if (script == nullptr || !script->value || (cwd && !cwd->value)) return;  // known later
    std::string why = CheckScript(cwd ? cwd->value->ToText() : ".", script->value->ToText());
    if (!why.empty()) report.Error(script->loc, why);
  }

  std::vector<std::string> Describe(const StepParams& p) const override {
    std::string args;
    if (const Value* a = p.Opt("args"))
      for (const Value& v : a->as_list()) args += " " + v.ToText();
    return {"npm run " + p.Str("script") + (args.empty() ? "" : " --" + args) + " in " +
            p.Str("cwd")};
  }

  AttemptResult Run(StepContext& ctx) const override {
    const StepParams& p = ctx.params;
    std::string cwd = p.Str("cwd"), script = p.Str("script");
    std::string why = CheckScript(cwd, script);
    if (!why.empty()) return AttemptResult::Failure(why);
    if (p.Str("install") == "ci" && NeedsInstall(cwd)) {
      AttemptResult installed = Npm(ctx, {"npm", "ci", "--no-audit", "--no-fund"});
      if (installed.status != AttemptStatus::kSuccess) {
        installed.error = "npm ci failed: " + installed.error;
        return installed;
      }
    }
    std::vector<std::string> argv{"npm", "run", script};
    if (const Value* a = p.Opt("args"); a && !a->as_list().empty()) {
      argv.push_back("--");
      for (const Value& v : a->as_list()) argv.push_back(v.ToText());
    }
    return Npm(ctx, argv);
  }

 private:
  static AttemptResult Npm(StepContext& ctx, std::vector<std::string> argv) {
    ProcessRequest req;
    req.argv = std::move(argv);
    req.cwd = ctx.params.Str("cwd");
    req.env = ctx.env;
    if (const Value* env = ctx.params.Opt("env"))
      for (const auto& [k, v] : env->as_map()) req.env[k] = v.ToText();
    req.deadline = ctx.deadline;
    req.grace = ctx.kill_grace;
    req.on_line = [&](bool, std::string_view line) { ctx.output(line); };
    ProcessResult pr = ctx.processes.Run(req, ctx.cancel);
    AttemptResult r;
    r.stdout_text = pr.out.text;
    r.stderr_text = pr.err.text;
    if (!pr.spawned) {
      r.error = pr.spawn_error + " (is Node.js with npm installed?)";
      return r;
    }
    if (pr.term_signal == 0) r.outputs["exit_code"] = Value(int64_t{pr.exit_code});
    if (pr.timed_out) {
      r.status = AttemptStatus::kTimeout;
      r.error = "timed out";
    } else if (pr.cancelled) {
      r.status = AttemptStatus::kCancelled;
      r.error = "cancelled";
    } else if (pr.exited_ok()) {
      r.status = AttemptStatus::kSuccess;
    } else {
      r.exit_code = pr.exit_code >= 0 ? std::optional<int>(pr.exit_code) : std::nullopt;
      r.error = "npm: " + pr.Describe();
    }
    return r;
  }

  StepSpec spec_ = MakeSpec();
};

const RegisterStep kRegistration([]() -> std::unique_ptr<StepType> {
  return std::make_unique<NpmRun>();
});

}  // namespace
}  // namespace runbook
