// exec: runs a command (an argv list, or a string through /bin/sh with shell: true).
// Outputs: exit_code, plus every key=value line the command writes to $RUNBOOK_OUTPUT.
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "engine/plugin/registry.h"
#include "engine/util/strings.h"

namespace runbook {
namespace {

StepSpec MakeSpec() {
  StepSpec s;
  s.type = "exec";
  s.summary = "run a command: an argv list, or a string with shell: true";
  s.description =
      "Runs one command in its own process group with stdin from /dev/null. stdout and stderr "
      "are captured separately (head and tail kept) and streamed to the live view. Lines "
      "`key=value` written to the file named by $RUNBOOK_OUTPUT become outputs.";
  s.params = {
      {"run",
       ParamType::kAny,
       "the command: a list (argv, no shell) or, with shell: true, a string",
       true,
       {},
       {},
       {},
       {}},
      {"shell",
       ParamType::kBoolean,
       "run `run` as a /bin/sh -c script",
       false,
       Value(false),
       {},
       {},
       {}},
      {"cwd",
       ParamType::kString,
       "working directory (default: where runbook runs)",
       false,
       {},
       {},
       {},
       {}},
      {"env",
       ParamType::kStringMap,
       "extra environment variables for this command",
       false,
       {},
       {},
       {},
       {}},
      {"success_codes",
       ParamType::kList,
       "exit codes that count as success",
       false,
       Value(Value::List{Value(0)}),
       {},
       {},
       {}},
  };
  s.outputs = {{"exit_code", ParamType::kInteger, "the command's exit code"}};
  s.open_outputs = true;
  s.side_effects = SideEffects::kWrite;
  s.idempotent = false;
  return s;
}

std::vector<std::string> Argv(const StepParams& params, std::string& error) {
  const Value* run = params.Opt("run");
  const Value* shell = params.Opt("shell");
  bool use_shell = shell && shell->is_bool() && shell->as_bool();
  if (use_shell) {
    if (run == nullptr || !run->is_string()) error = "with shell: true, run must be a string";
    return {"/bin/sh", "-c", run ? run->ToText() : ""};
  }
  std::vector<std::string> argv;
  if (run == nullptr || !run->is_list() || run->as_list().empty()) {
    error = "run must be a non-empty list (argv), or a string with shell: true";
    return argv;
  }
  for (const Value& a : run->as_list()) {
    if (a.is_map() || a.is_list()) error = "each argument of run must be a string";
    argv.push_back(a.ToText());
  }
  return argv;
}

// Reads key=value lines (the GitHub Actions $GITHUB_OUTPUT convention, single-line form).
Value::Map ReadOutputs(const std::string& path) {
  Value::Map out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    size_t eq = line.find('=');
    if (eq == std::string::npos || eq == 0) continue;
    out[Trim(line.substr(0, eq))] = Value(line.substr(eq + 1));
  }
  return out;
}

class Exec final : public StepType {
 public:
  const StepSpec& spec() const override { return spec_; }

  void Configure(const ConfigureView& with, ConfigureReport& report) const override {
    const ConfigParam* run = with.Find("run");
    const ConfigParam* shell = with.Find("shell");
    bool use_shell = shell && shell->value && shell->value->is_bool() && shell->value->as_bool();
    if (run == nullptr || !run->value) return;
    if (use_shell && !run->value->is_string()) {
      report.Error(run->loc, "with shell: true, run must be a string, found a list");
    } else if (!use_shell && run->value->is_string()) {
      report.Error(run->loc,
                   "run is a string; give an argv list ([cmd, arg, ...]) or set "
                   "shell: true to run it through /bin/sh");
    } else if (!use_shell && (!run->value->is_list() || run->value->as_list().empty())) {
      report.Error(run->loc, "run must be a non-empty list (argv)");
    }
  }

  std::vector<std::string> Describe(const StepParams& params) const override {
    std::string error;
    std::vector<std::string> argv = Argv(params, error);
    std::string line = "run: " + Join(argv, " ");
    if (const Value* cwd = params.Opt("cwd"); cwd && !cwd->is_null())
      line += " (in " + cwd->ToText() + ")";
    return {line};
  }

  AttemptResult Run(StepContext& ctx) const override {
    std::string error;
    ProcessRequest req;
    req.argv = Argv(ctx.params, error);
    if (!error.empty()) return AttemptResult::Failure(error);
    req.env = ctx.env;
    if (const Value* env = ctx.params.Opt("env")) {
      for (const auto& [k, v] : env->as_map()) req.env[k] = v.ToText();
    }
    if (const Value* cwd = ctx.params.Opt("cwd"); cwd && cwd->is_string())
      req.cwd = cwd->as_string();
    req.deadline = ctx.deadline;
    req.grace = ctx.kill_grace;
    req.on_line = [&](bool, std::string_view line) { ctx.log(line); };
    std::string output_file = MakeOutputFile();
    if (!output_file.empty()) req.env["RUNBOOK_OUTPUT"] = output_file;
    ProcessResult pr = ctx.processes.Run(req, ctx.cancel);
    AttemptResult r = Judge(ctx.params, pr);
    if (!output_file.empty()) {
      if (r.status == AttemptStatus::kSuccess) {
        for (auto& [k, v] : ReadOutputs(output_file)) r.outputs[k] = v;
      }
      unlink(output_file.c_str());
    }
    return r;
  }

 private:
  static std::string MakeOutputFile() {
    const char* tmp = std::getenv("TMPDIR");
    std::string path = std::string(tmp && *tmp ? tmp : "/tmp") + "/runbook-output-XXXXXX";
    int fd = mkstemp(path.data());
    if (fd < 0) return "";
    close(fd);
    return path;
  }

  static AttemptResult Judge(const StepParams& params, const ProcessResult& pr) {
    AttemptResult r;
    r.stdout_text = pr.out.text;
    r.stderr_text = pr.err.text;
    if (!pr.spawned) {
      r.error = pr.spawn_error;
      return r;
    }
    if (pr.exit_code >= 0 && pr.term_signal == 0) r.exit_code = pr.exit_code;
    bool ok = false;
    if (const Value* codes = params.Opt("success_codes"); codes && pr.term_signal == 0) {
      for (const Value& c : codes->as_list())
        ok = ok || (c.is_number() && c.as_int() == pr.exit_code);
    }
    if (pr.timed_out)
      r.status = AttemptStatus::kTimeout;
    else if (pr.cancelled)
      r.status = AttemptStatus::kCancelled;
    else if (ok)
      r.status = AttemptStatus::kSuccess;
    if (r.status == AttemptStatus::kSuccess) {
      r.outputs["exit_code"] = Value(static_cast<int64_t>(pr.exit_code));
      return r;
    }
    r.error = pr.Describe();
    std::string tail = LastLines(pr.err.text.empty() ? pr.out.text : pr.err.text, 5);
    if (!Trim(tail).empty() && r.status == AttemptStatus::kFailure) r.error += ": " + Trim(tail);
    return r;
  }

  StepSpec spec_ = MakeSpec();
};

const RegisterStep kRegistration([]() -> std::unique_ptr<StepType> {
  return std::make_unique<Exec>();
});

}  // namespace
}  // namespace runbook
