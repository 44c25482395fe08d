#include "cli/approver.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <optional>

#include "cli/load.h"
#include "engine/plugin/approval_inputs.h"
#include "engine/plugin/check_value.h"
#include "engine/util/proc_identity.h"
#include "engine/util/strings.h"

namespace runbook {
namespace {

std::mutex g_prompt_mu;  // one prompt on the terminal at a time

// A default that answers nothing: none, or blank text (breakM M5: `default: ""` approved a
// required ticket blank).
bool NoDefault(const ParamSpec& spec) {
  return spec.default_value.is_null() ||
         (spec.default_value.is_string() && Trim(spec.default_value.as_string()).empty());
}

// An input that has no answer unless one is given: required, without a default.
bool MustBeGiven(const ParamSpec& spec) { return spec.required && NoDefault(spec); }

// Everything the approver writes to the terminal, as `req` shows it: the run's secrets masked,
// control characters escaped. One sink, so no line can skip it (breakR R3: the re-ask after a
// wrong answer quoted an `enum` built from a secret, raw: the change code a gate asked for).
void Say(const ApprovalRequest& req, const std::string& text) { std::cerr << req.Shown(text); }

}  // namespace

CliApprover::CliApprover(bool yes, std::set<std::string> approved,
                         std::map<std::string, std::string> inputs, Display& display)
    : yes_(yes), approved_(std::move(approved)), inputs_(std::move(inputs)), display_(display) {}

bool CliApprover::ReadLine(const CancelToken& cancel, std::string& line) {
  line.clear();
  while (true) {
    pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {cancel.wait_fd(), POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) continue;
    if (fds[1].revents) return false;
    char c;
    ssize_t n = read(STDIN_FILENO, &c, 1);
    if (n <= 0) return false;
    if (c == '\n') return true;
    line += c;
  }
}

// One input's value from --input, else (on a terminal) asked until it is valid: an empty
// answer to a required input without a default, or a value of the wrong type, is asked
// again (issue 14 #3); end of input (Ctrl-D) or a cancel declines.
bool CliApprover::FillInput(const ApprovalRequest& req, const ParamSpec& spec, Asking ask,
                            const CancelToken& cancel, ApprovalAnswer& answer) {
  auto given = inputs_.find(req.step_id + "." + spec.name);
  bool asking = given == inputs_.end() &&
                (ask == Asking::kAll || (ask == Asking::kRequired && MustBeGiven(spec)));
  while (true) {
    std::string text = given != inputs_.end() ? given->second : "";
    if (asking) {
      Say(req, "  " + spec.name + (spec.doc.empty() ? "" : " (" + spec.doc + ")") +
                   (spec.default_value.is_null() ? "" : " [" + spec.default_value.ToText() + "]") +
                   ": ");
      if (!ReadLine(cancel, text)) {
        answer.error = cancel.cancelled() ? "cancelled while asking for input '" + spec.name + "'"
                                          : "declined by " + CurrentUser() + " (end of input)";
        return false;
      }
    }
    std::string error = TakeInput(req, spec, text, asking, answer);
    if (error.empty()) return true;
    if (!asking) {
      answer.error = error;
      return false;
    }
    Say(req, "  " + error + "\n");
  }
}

// Sets answer.inputs[spec.name] from `text` ("" = not given); else says why it cannot.
std::string CliApprover::TakeInput(const ApprovalRequest& req, const ParamSpec& spec,
                                   const std::string& text, bool asking,
                                   ApprovalAnswer& answer) const {
  // Blank (spaces only) is no answer: a ticket of "   " is no evidence (breakK K4).
  if (Trim(text).empty()) {
    if (!MustBeGiven(spec) && !spec.default_value.is_null()) {
      answer.inputs[spec.name] = spec.default_value;
    } else if (spec.required) {
      return asking ? "input '" + spec.name + "' is required: type a value"
                    : "input '" + spec.name + "' is required; pass --input " + req.step_id + "." +
                          spec.name + "=VALUE";
    } else {
      answer.inputs[spec.name] = Value();
    }
    return "";
  }
  std::string error;
  Value v = ParseTextAs(spec, text, error);
  if (!error.empty()) return "input '" + spec.name + "': " + error;
  answer.inputs[spec.name] = v;
  return "";
}

bool CliApprover::FillInputs(const ApprovalRequest& req, Asking ask, const CancelToken& cancel,
                             ApprovalAnswer& answer) {
  for (const ParamSpec& spec : req.inputs)
    if (!FillInput(req, spec, ask, cancel, answer)) return false;
  return true;
}

bool CliApprover::MissingRequired(const ApprovalRequest& req) const {
  for (const ParamSpec& spec : req.inputs)
    if (MustBeGiven(spec) && inputs_.count(req.step_id + "." + spec.name) == 0) return true;
  return false;
}

// Approved by --yes/--approve: the question is answered, the inputs are not (breakK K12).
// On a terminal a required input not given is asked, as without the flag; off one the gate
// fails naming --input.
ApprovalAnswer CliApprover::ByFlag(const ApprovalRequest& req, const CancelToken& cancel) {
  ApprovalAnswer answer;
  answer.by = yes_ ? "--yes (" + CurrentUser() + ")" : "--approve (" + CurrentUser() + ")";
  answer.how = "flag";
  if (!CanAskOnTerminal() || !MissingRequired(req)) {
    answer.approved = FillInputs(req, Asking::kNone, cancel, answer);
    return answer;
  }
  std::lock_guard<std::mutex> lock(g_prompt_mu);
  display_.Pause();
  DropTypedAhead();
  Say(req, "\n== approval: " + req.step_id + " (approved by " + (yes_ ? "--yes" : "--approve") +
               "; it needs input) ==\n" + req.prompt + "\n");
  answer.approved = FillInputs(req, Asking::kRequired, cancel, answer);
  display_.Resume();
  return answer;
}

ApprovalAnswer CliApprover::Ask(const ApprovalRequest& req, const CancelToken& cancel) {
  if (yes_ || approved_.count(req.step_id)) return ByFlag(req, cancel);
  ApprovalAnswer answer;
  if (!CanAskOnTerminal()) {
    answer.error =
        "approval '" + req.step_id + "' needs a person: \"" + req.Shown(req.prompt) +
        "\"; run on a terminal" +
        (isatty(STDIN_FILENO) ? " in the foreground (this run is a background job)" : "") +
        ", or pass --approve " + ShellQuote(req.step_id) + " (or --yes)";
    return answer;
  }
  std::lock_guard<std::mutex> lock(g_prompt_mu);
  display_.Pause();
  DropTypedAhead();
  Say(req, "\n== approval: " + req.step_id + " ==\n" + req.prompt + "\n");
  bool filled = FillInputs(req, Asking::kAll, cancel, answer);
  std::string reply;
  if (filled) {
    Say(req, "approve? [y/N] ");
    bool read = ReadLine(cancel, reply);
    if (read && (reply == "y" || reply == "Y" || reply == "yes")) {
      answer.approved = true;
      answer.by = CurrentUser();
      answer.how = "tty";
    } else {
      answer.error = cancel.cancelled()
                         ? "cancelled while waiting for approval"
                         : "declined by " + CurrentUser() + (read ? "" : " (end of input)");
    }
  }
  display_.Resume();
  return answer;
}

namespace {

// The names an approval step's `inputs` declares; nullopt when `inputs` is one expression.
std::optional<std::vector<std::string>> DeclaredInputs(const StepDecl& step) {
  std::vector<std::string> names;
  for (const auto& [key, node] : step.with.entries) {
    if (key != "inputs") continue;
    if (node.kind != TNode::Kind::kMap) return std::nullopt;
    for (const auto& entry : node.entries) names.push_back(entry.first);
  }
  return names;
}

// `name` with a loop item's index written without its leading zeros: `gate[01]` is item
// `gate[1]` (break23a D3: the closest name by spelling was `gate[0]`).
std::string WithoutIndexZeros(const std::string& name) {
  size_t open = name.rfind('[');
  if (open == std::string::npos || name.back() != ']' || name.size() < open + 3) return name;
  std::string digits = name.substr(open + 1, name.size() - open - 2);
  if (digits.size() < 2 || digits[0] != '0' ||
      digits.find_first_not_of("0123456789") != std::string::npos)
    return name;
  size_t first = std::min(digits.find_first_not_of('0'), digits.size() - 1);
  return name.substr(0, open + 1) + digits.substr(first) + "]";
}

std::string Suggest(const std::string& name, const std::vector<std::string>& valid) {
  if (std::string item = WithoutIndexZeros(name);
      item != name && std::find(valid.begin(), valid.end(), item) != valid.end())
    return "; did you mean '" + item + "'?";
  std::string close = ClosestName(name, valid);
  if (!close.empty()) return "; did you mean '" + close + "'?";
  return valid.empty() ? "; it has none" : "; it has: " + Join(valid, ", ");
}

// The specs of a gate's inputs as far as they are written out: a part that is an expression
// is known only at the gate, and checked there (ApprovalInputSpecs; breakR R8: one
// expression anywhere in them hid the others from the check before the first step).
std::vector<ParamSpec> StaticInputSpecs(const StepDecl& step) {
  for (const auto& [key, node] : step.with.entries) {
    if (key != "inputs") continue;
    std::string error;  // the loader reported a malformed declaration already
    return ApprovalInputSpecs(node.ShapeValue(), error);
  }
  return {};
}

// What is wrong with one input of `gate` given (or not) on the command line; "" when nothing.
// `approved_by`: the flag that approves the gate when no terminal can ask its inputs, else "".
std::string InputProblem(const std::string& gate, const ParamSpec& spec,
                         const std::map<std::string, std::string>& inputs,
                         const std::string& approved_by) {
  std::string key = gate + "." + spec.name;
  auto given = inputs.find(key);
  if (given == inputs.end()) {
    if (approved_by.empty() || !MustBeGiven(spec)) return "";
    return "approval '" + gate + "' is approved by " + approved_by + " but input '" + spec.name +
           "' is required and has no default, and without a terminal it cannot be asked: pass "
           "--input " +
           key + "=VALUE";
  }
  if (Trim(given->second).empty())
    return MustBeGiven(spec) ? "--input " + Printable(key) + ": input '" + spec.name +
                                   "' is required: give a value"
                             : "";
  std::string error;
  (void)ParseTextAs(spec, given->second, error);
  return error.empty() ? "" : "--input " + Printable(key) + ": input '" + spec.name + "': " + error;
}

}  // namespace

namespace {

bool KnownTrue(const std::map<std::string, bool>& conditions, const std::string& id) {
  auto it = conditions.find(id);
  return it != conditions.end() && it->second;
}

}  // namespace

std::vector<std::string> BadApprovalInputs(const Runbook& rb, bool yes,
                                           const std::vector<std::string>& approvals,
                                           const std::map<std::string, std::string>& inputs,
                                           bool terminal, const std::set<std::string>& skip,
                                           const std::map<std::string, bool>& conditions) {
  std::vector<std::string> errors;
  for (const StepDecl& s : rb.steps) {
    if (s.type == nullptr || !s.type->spec().waits_for_people || skip.count(s.id)) continue;
    bool approved = std::find(approvals.begin(), approvals.end(), s.id) != approvals.end();
    std::string by = approved ? "--approve " + s.id : yes ? "--yes" : "";
    // Asked there, or maybe never reached: unless its `if:` is known true before the run
    // (breakJJ JJ3: approved, its required input missing, the work before it ran).
    if (terminal || (s.condition && !KnownTrue(conditions, s.id))) by.clear();
    for (const ParamSpec& spec : StaticInputSpecs(s))
      if (std::string e = InputProblem(s.id, spec, inputs, by); !e.empty()) errors.push_back(e);
  }
  return errors;
}

namespace {

bool KnownFalse(const std::map<std::string, bool>& conditions, const std::string& id) {
  auto it = conditions.find(id);
  return it != conditions.end() && !it->second;
}

}  // namespace

std::vector<std::string> UnanswerableGates(const Runbook& rb, bool yes,
                                           const std::vector<std::string>& approvals,
                                           const std::set<std::string>& skip,
                                           const std::map<std::string, bool>& conditions) {
  std::vector<std::string> gates;
  if (yes) return gates;
  for (const StepDecl& s : rb.steps) {
    if (s.type == nullptr || !s.type->spec().waits_for_people || skip.count(s.id) ||
        (s.condition && !KnownTrue(conditions, s.id)) || KnownFalse(conditions, s.id) ||
        std::find(approvals.begin(), approvals.end(), s.id) != approvals.end())
      continue;
    gates.push_back(s.id);
  }
  return gates;
}

std::vector<std::string> InputsToGive(const Runbook& rb, const std::vector<std::string>& gates,
                                      const std::map<std::string, std::string>& inputs) {
  std::vector<std::string> keys;
  for (const StepDecl& s : rb.steps) {
    if (std::find(gates.begin(), gates.end(), s.id) == gates.end()) continue;
    for (const ParamSpec& spec : StaticInputSpecs(s))
      if (MustBeGiven(spec) && inputs.count(s.id + "." + spec.name) == 0)
        keys.push_back(s.id + "." + spec.name);
  }
  return keys;
}

std::string UnanswerableGateError(const std::string& id) {
  return "approval '" + id +
         "' needs a person, and with no terminal no one can be asked: pass --approve " +
         ShellQuote(id) + " (or --yes), or run on a terminal";
}

void ApprovalsForItems(const Runbook& rb, std::vector<std::string>& approvals) {
  std::vector<std::string> out;
  for (const std::string& id : approvals) {
    auto loop = rb.loops.find(id);
    if (loop == rb.loops.end() || rb.FindStep(id) != nullptr) {
      out.push_back(id);
      continue;
    }
    for (size_t i : loop->second) out.push_back(rb.steps[i].id);
  }
  approvals = std::move(out);
}

std::vector<std::string> UnknownApprovalFlags(const Runbook& rb,
                                              const std::vector<std::string>& approvals,
                                              const std::map<std::string, std::string>& inputs) {
  std::vector<std::string> gates;
  for (const StepDecl& s : rb.steps)
    if (s.type != nullptr && s.type->spec().waits_for_people) gates.push_back(s.id);
  std::vector<std::string> errors;
  auto gate = [&](const std::string& id, const std::string& flag) -> const StepDecl* {
    const StepDecl* s = rb.FindStep(id);
    if (s != nullptr && s->type != nullptr && s->type->spec().waits_for_people) return s;
    errors.push_back(flag + ": the runbook has no approval step '" + Printable(id) + "'" +
                     Suggest(id, gates));
    return nullptr;
  };
  for (const std::string& id : approvals) gate(id, "--approve " + Printable(id));
  for (const auto& [key, value] : inputs) {
    // The last dot: a used runbook's step id holds dots (dump.declare.ticket).
    std::string step = key.substr(0, key.rfind('.')), name = key.substr(key.rfind('.') + 1);
    const StepDecl* s = gate(step, "--input " + Printable(key));
    if (s == nullptr) continue;
    auto declared = DeclaredInputs(*s);
    if (!declared || std::find(declared->begin(), declared->end(), name) != declared->end())
      continue;
    errors.push_back("--input " + Printable(key) + ": approval '" + step + "' has no input '" +
                     Printable(name) + "'" + Suggest(name, *declared));
  }
  return errors;
}

}  // namespace runbook
