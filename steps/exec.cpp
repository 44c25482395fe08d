// exec: runs a command (an argv list, or a string through /bin/sh with shell: true).
// Outputs: exit_code, plus what the command writes to $RUNBOOK_OUTPUT (name=value lines and
// name<<DELIMITER blocks, steps/common/output_file.h).
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>

#include "engine/plugin/registry.h"
#include "engine/util/strings.h"
#include "steps/common/files.h"
#include "steps/common/output_file.h"
#include "steps/common/scratch.h"

namespace runbook {
namespace {

StepSpec MakeSpec() {
  StepSpec s;
  s.type = "exec";
  s.summary = "run a command: an argv list, or a string with shell: true";
  s.description =
      "Runs one command in its own process group with stdin from /dev/null. stdout and stderr "
      "are captured separately (head and tail kept) and streamed to the live view. The "
      "command writes outputs to the file named by $RUNBOOK_OUTPUT as GitHub Actions does: "
      "`name=value` lines, and `name<<DELIMITER`, the value's lines, then `DELIMITER` alone "
      "on a line for a multi-line value. Lines end with LF or CRLF; empty lines are ignored; "
      "names follow the step id pattern; `exit_code` cannot be written. A malformed line, a "
      "NUL byte, a block that never ends or a file over 16 MiB fails the step, naming the "
      "line.";
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
       "working directory; relative to the run's base (format.md \"Relative paths inside a "
       "runbook\"); default: the base itself, which runbook enters before the first step",
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

constexpr size_t kMaxOutputBytes = 16u << 20;

// Reads the outputs the command wrote (steps/common/output_file.h for the format).
Result<Value::Map> ReadOutputs(const std::string& path, const StepContext& ctx,
                               const StepSpec& spec) {
  // Opened without blocking (a FIFO put in its place never hangs the run), and bounded.
  auto text = ReadWholeFile(path, kMaxOutputBytes);
  if (!text.ok()) return Status::Error("$RUNBOOK_OUTPUT: " + text.status().message());
  std::vector<std::string> builtins;
  for (const OutputSpec& o : spec.outputs) builtins.push_back(o.name);
  return ParseOutputFile(text.value(), builtins, ctx.redact);
}

class Exec final : public StepType {
 public:
  const StepSpec& spec() const override { return spec_; }

  // Why `codes` (success_codes) is not a list of exit codes, 0 to 255; "" when it is. An item
  // known only at run time (Unknown) passes here (break22 #7: `["O"]`, 256, -1 and 1.5 were
  // taken, and `true` then "failed" with exit code 0).
  static std::string CodesProblem(const Value& codes) {
    if (codes.is_unknown()) return "";
    if (!codes.is_list()) return "success_codes must be a list of exit codes (0 to 255)";
    for (const Value& c : codes.as_list()) {
      if (c.is_unknown()) continue;
      if (!c.is_int() || c.as_int() < 0 || c.as_int() > 255)
        return "success_codes: '" + Printable(c.ToText()) +
               "' is not an exit code (an integer from 0 to 255)";
    }
    return "";
  }

  void Configure(const ConfigureView& with, ConfigureReport& report) const override {
    if (const ConfigParam* codes = with.Find("success_codes"))
      if (std::string why = CodesProblem(codes->shape); !why.empty()) report.Error(codes->loc, why);
    const ConfigParam* run = with.Find("run");
    const ConfigParam* shell = with.Find("shell");
    bool use_shell = shell && shell->value && shell->value->is_bool() && shell->value->as_bool();
    if (run != nullptr) WarnPasted(*run, use_shell, report);
    if (run == nullptr || !run->value) return;
    bool text = run->value->is_string() || run->value->written();  // `run: 3.10` is text
    if (use_shell && !text) {
      report.Error(run->loc, "with shell: true, run must be a string, found a list");
    } else if (!use_shell && text) {
      report.Error(run->loc,
                   "run is a string; give an argv list ([cmd, arg, ...]) or set "
                   "shell: true to run it through /bin/sh");
    } else if (!use_shell && (!run->value->is_list() || run->value->as_list().empty())) {
      report.Error(run->loc, "run must be a non-empty list (argv)");
    }
  }

  // GitHub Actions' "script injection" (breakFF N17): an expression inside a shell script is
  // pasted into its text, so a value holding shell syntax runs as a command. A script that is
  // one whole expression (a command given as a param) is meant as a command.
  static void WarnPasted(const ConfigParam& run, bool use_shell, ConfigureReport& report) {
    if (!use_shell || run.value || !run.pastes_expressions) return;
    report.Warning(run.loc,
                   "an expression inside a shell script is pasted into its text: a value "
                   "holding shell syntax (a quote, `;`, `$(...)`) runs as a command; pass it "
                   "through the step's env and quote it (\"$NAME\"), or use the list form of "
                   "run (docs/authoring.md, \"Values in a shell script\")");
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
    if (const Value* codes = ctx.params.Opt("success_codes"))
      if (std::string why = CodesProblem(*codes); !why.empty()) return AttemptResult::Failure(why);
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
    req.on_line = [&](bool, std::string_view line) { ctx.output(line); };
    std::string output_file = MakeOutputFile();
    if (!output_file.empty()) req.env["RUNBOOK_OUTPUT"] = output_file;
    ProcessResult pr = ctx.processes.Run(req, ctx.cancel);
    AttemptResult r = Judge(ctx.params, pr);
    if (!output_file.empty()) {
      if (r.status == AttemptStatus::kSuccess) {
        auto outputs = ReadOutputs(output_file, ctx, spec_);
        if (!outputs.ok()) r = FailedOutputs(std::move(r), outputs.status().message());
        if (outputs.ok())
          for (auto& [k, v] : outputs.value()) r.outputs[k] = std::move(v);
      }
      unlink(output_file.c_str());
    }
    return r;
  }

 private:
  // A scratch name (steps/common/scratch.h), 0600: the files of runs killed before they
  // removed theirs are recognised and removed, once per process (breakI I15: they stayed in
  // /tmp for ever).
  static std::string MakeOutputFile() {
    const char* tmp = std::getenv("TMPDIR");
    std::string dir = tmp && *tmp ? tmp : "/tmp";
    static const bool swept = [&dir] {
      RemoveDebris(dir, [](const std::string& base) { return base == "runbook-output"; });
      return true;
    }();
    (void)swept;
    std::string path = dir + "/" + ScratchName("runbook-output");
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return "";
    close(fd);
    return path;
  }

  // The command succeeded but its outputs are malformed: the step fails, keeping the
  // command's captured text and exit code for the record.
  static AttemptResult FailedOutputs(AttemptResult r, std::string error) {
    r.status = AttemptStatus::kFailure;
    r.error = std::move(error);
    r.outputs.clear();
    return r;
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
    if (const Value* codes = params.Opt("success_codes");
        codes && r.status == AttemptStatus::kFailure && pr.term_signal == 0 &&
        !(codes->as_list().size() == 1 && codes->as_list()[0].is_int() &&
          codes->as_list()[0].as_int() == 0))
      r.error += ", not one of success_codes " + codes->ToText();
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
