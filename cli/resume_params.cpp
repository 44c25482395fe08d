#include "cli/resume_params.h"

#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <iostream>
#include <map>
#include <optional>
#include <set>

#include "cli/continue_line.h"
#include "cli/load.h"
#include "engine/executor.h"
#include "engine/plugin/check_value.h"
#include "engine/runbook_place.h"
#include "engine/util/json.h"
#include "engine/util/strings.h"

namespace runbook {
namespace {

using Sets = std::map<std::string, std::string>;

void Error(const std::string& text) { std::cerr << "runbook: error: " << text << "\n"; }

// The terminal's settings before echo went off, for a signal that ends runbook at the
// question (breakP P6: Ctrl-C there left the operator's shell with echo off).
termios echo_was{};

extern "C" void RestoreEchoAndDie(int sig) {
  ::tcsetattr(STDIN_FILENO, TCSANOW, &echo_was);  // async-signal-safe
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

// While it lives, SIGINT, SIGTERM, SIGHUP and SIGQUIT put the terminal back as `was` first,
// then end runbook as they would have.
class EchoRestoredOnSignal {
 public:
  explicit EchoRestoredOnSignal(const termios& was) {
    echo_was = was;
    struct sigaction act {};
    act.sa_handler = RestoreEchoAndDie;
    sigemptyset(&act.sa_mask);
    for (size_t i = 0; i < kSignals.size(); ++i) ::sigaction(kSignals[i], &act, &before_[i]);
  }
  ~EchoRestoredOnSignal() {
    for (size_t i = 0; i < kSignals.size(); ++i) ::sigaction(kSignals[i], &before_[i], nullptr);
  }
  EchoRestoredOnSignal(const EchoRestoredOnSignal&) = delete;
  EchoRestoredOnSignal& operator=(const EchoRestoredOnSignal&) = delete;

 private:
  static constexpr std::array<int, 4> kSignals{SIGINT, SIGTERM, SIGHUP, SIGQUIT};
  std::array<struct sigaction, 4> before_{};
};

// Whether param `name` of `r` was recorded without its value because that value was lost
// (LostParams), not because it holds a secret's text.
bool IsLost(const RunRecord& r, const std::string& name) {
  std::vector<std::string> lost = LostParams(r);
  return std::find(lost.begin(), lost.end(), name) != lost.end();
}

// Why masked param `name` of `r` is asked for again, as the messages say it: "was recorded
// masked (its value holds a secret's text)", or, for a lost one, without its value.
std::string WhyAsked(const RunRecord& r, const std::string& name) {
  return IsLost(r, name) ? "was recorded without its value (lost with the params the run kept "
                           "before it began)"
                         : "was recorded masked (its value holds a secret's text)";
}

// On a terminal, the value of masked param `name` typed without echo, as ssh and sudo ask for
// a password (breakL L18: `--set` puts the secret in argv, which `ps` shows to every user).
// nullopt without a terminal, at end of input, or for an empty answer.
std::optional<std::string> AskHidden(const std::string& name, const std::string& run_id,
                                     const std::string& why) {
  if (!CanAskOnTerminal()) return std::nullopt;
  // What was typed before the question is dropped (breakFF F5); echo goes off before the
  // question is asked (TCSANOW): an answer typed as soon as it shows is never echoed nor lost.
  DropTypedAhead();
  termios was{};
  bool hidden = tcgetattr(STDIN_FILENO, &was) == 0;
  std::optional<EchoRestoredOnSignal> restore;
  if (hidden) restore.emplace(was);
  if (hidden) {
    termios quiet = was;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    hidden = tcsetattr(STDIN_FILENO, TCSANOW, &quiet) == 0;
  }
  std::cerr << "param '" << Printable(name) << "' of run " << run_id << " " << why
            << "; type it again (not shown): " << std::flush;
  std::string value;
  bool read = static_cast<bool>(std::getline(std::cin, value));
  if (hidden) tcsetattr(STDIN_FILENO, TCSANOW, &was);
  std::cerr << "\n";
  if (!read || value.empty()) return std::nullopt;
  return value;
}

// Whether `value` is the one param `name` of run `r` had, recorded masked as `masked`: by the
// keyed fingerprint the run recorded (breakN N5: another secret at the same place, or an
// encoded form of the same one, masked alike); in records older than fingerprints, or when
// the store's fingerprint key is gone (breakO O15), by its mask.
bool WasRecorded(const RunRecord& r, const std::string& name, const Value& value,
                 const Redactor& redactor, const Value& masked) {
  if (IsLost(r, name)) return true;  // nothing kept to check it against (breakCC CC4)
  const Value* prints = r.started.Find("masked_param_fingerprints");
  const Value* print = prints != nullptr && prints->is_map() ? prints->Find(name) : nullptr;
  std::string now = redactor.Fingerprint(ToJson(value));  // "" without the store's key
  if (print != nullptr && print->is_string() && !print->as_string().empty() && !now.empty())
    return now == print->as_string();
  return redactor.Apply(value) == masked;
}

// What is wrong with `text` as the value masked param `name` of run `r` had ("" when it is
// that value, then in `out`); `source` names where it came from in the message.
std::string MaskedValueProblem(const RunRecord& r, const Runbook& rb, const std::string& name,
                               const std::string& text, const std::string& source,
                               const Redactor& redactor, const Value& masked, Value& out) {
  if (std::string copied = CopiedMaskProblem(source, text); !copied.empty()) return copied;
  auto value = ParseSet(rb, name, text);
  if (!value.ok()) return MaskForRunbook(rb, value.status().message());
  if (!WasRecorded(r, name, value.value(), redactor, masked))
    return source + ": not the value run " + r.run_id +
           " had: checked with the secrets as they are now against what the run recorded of "
           "it (a secret or credential variable changed or unset since the run makes it differ "
           "too)";
  out = value.value();
  return "";
}

// How a value is given again, as the message names it: `--set NAME` on the command line, or
// "params" in the body of serve's POST /api/v1/runs/ID/resume, whose resumes get their params
// on standard input (breakUU UU1: the refusal told an API caller to put a secret in argv).
std::string GivenAs(const std::string& name, bool via_api) {
  return via_api ? "\"params\": {\"" + name + "\": ...}" : "--set " + name;
}

// How many values typed for a masked param are tried before resume gives up (sudo's three
// tries; breakFF F10: one mistyped character ended the resume, and the line it suggested put
// the secret on the command line).
constexpr int kMaskedTries = 3;

// A masked parameter of the run, given again (or taken from the runbook's default).
bool GiveMaskedAgain(const RunRecord& r, const Runbook& rb, const ParamSpec& spec, const Sets& sets,
                     const Redactor& redactor, Value::Map& params, bool via_api) {
  const std::string& name = spec.name;
  auto given = sets.find(name);
  if (given == sets.end() && !spec.default_value.is_null() && !IsLost(r, name) &&
      WasRecorded(r, name, spec.default_value, redactor, params[name])) {
    params[name] = spec.default_value;  // the run took the default: the file holds it (L18)
    return true;
  }
  Value value;
  if (given != sets.end()) {
    std::string problem = MaskedValueProblem(r, rb, name, given->second, GivenAs(name, via_api),
                                             redactor, params[name], value);
    if (!problem.empty()) {
      Error(problem);
      return false;
    }
    params[name] = value;
    return true;
  }
  for (int tries = 1; tries <= kMaskedTries; ++tries) {
    const std::string why = WhyAsked(r, name);
    std::optional<std::string> typed = via_api ? std::nullopt : AskHidden(name, r.run_id, why);
    if (!typed && via_api) {
      Error("param '" + name + "' of run " + r.run_id + " " + why +
            (IsLost(r, name) ? "" : "; serve keeps no copy of it") +
            ": give it again in the body of POST /api/v1/runs/" + r.run_id +
            "/resume: {\"params\": {\"" + name + "\": \"VALUE\"}}");
      return false;
    }
    if (!typed) {
      Error("param '" + name + "' of run " + r.run_id + " " + why +
            "; give it again: on a terminal, where it is asked for without echo, or --set " + name +
            "=VALUE");
      return false;
    }
    std::string problem = MaskedValueProblem(r, rb, name, *typed, "the value typed for " + name,
                                             redactor, params[name], value);
    if (problem.empty()) {
      params[name] = value;
      return true;
    }
    if (tries == kMaskedTries) {
      Error(problem + " (" + std::to_string(kMaskedTries) + " tries)");
      return false;
    }
    std::cerr << "runbook: " << problem << "; try again\n";
  }
  return false;
}

// A parameter the runbook declares that the run did not have (a --force resume).
bool TakeNew(const RunRecord& r, const Runbook& rb, const ParamSpec& spec, const Sets& sets,
             Value::Map& params, bool via_api) {
  auto given = sets.find(spec.name);
  if (given != sets.end()) {
    auto value = ParseSet(rb, spec.name, given->second);
    if (!value.ok()) Error(MaskForRunbook(rb, value.status().message()));
    if (value.ok()) params[spec.name] = value.value();
    return value.ok();
  }
  if (!spec.default_value.is_null() || !spec.required) {
    params[spec.name] = spec.default_value;
    return true;
  }
  Error("param '" + spec.name + "' is declared by the runbook since run " + r.run_id +
        " and is required; give it with " +
        (via_api ? GivenAs(spec.name, true) : "--set " + spec.name + "=VALUE"));
  return false;
}

// A recorded, unmasked value the runbook's declaration must still accept.
bool StillAccepted(const RunRecord& r, const ParamSpec& spec, const Value& value) {
  if (value.is_null()) return true;
  std::string problem = CheckValue(spec, value);
  if (problem.empty()) return true;
  Error("param '" + spec.name + "' of run " + r.run_id +
        " does not fit the runbook's declaration now (" + problem +
        "); a resume cannot change a parameter: start a new run");
  return false;
}

}  // namespace

bool ResumeParams(const RunRecord& r, const Runbook& rb, const std::vector<std::string>& sets,
                  const Redactor& redactor, Value::Map& params, std::vector<std::string>& to_give,
                  bool via_api) {
  std::vector<std::string> recorded_masked = MaskedParams(r);
  std::set<std::string> masked(recorded_masked.begin(), recorded_masked.end());
  std::vector<std::pair<std::string, std::string>> pairs;
  if (!SplitSets(sets, pairs)) return false;
  Sets given(pairs.begin(), pairs.end());
  bool ok = true;
  for (auto it = params.begin(); it != params.end();) {  // dropped from the runbook (L26)
    if (rb.FindParam(it->first) != nullptr) {
      ++it;
      continue;
    }
    std::cerr << "runbook: note: param '" << Printable(it->first) << "' of run " << r.run_id
              << " is not declared by the runbook any more: dropped\n";
    masked.erase(it->first);
    it = params.erase(it);
  }
  for (const auto& [name, text] : given) {
    bool recorded = params.count(name) > 0;
    if (masked.count(name) || (!recorded && rb.FindParam(name) != nullptr)) continue;
    if (!recorded) {
      Error(MaskForRunbook(rb, ParseSet(rb, name, text).status().message()));  // closest name
    } else {
      Error(GivenAs(Printable(name), via_api) + ": a resume runs with the parameters of run " +
            r.run_id + "; " + (via_api ? "\"params\"" : "--set") +
            " only gives again one it recorded masked" +
            (masked.empty() ? std::string(" (it has none)") : std::string()) +
            ", or one the runbook declared after the run");
    }
    ok = false;
  }
  for (const ParamSpec& spec : rb.params) {
    bool is_new = !masked.count(spec.name) && !params.count(spec.name);
    if (masked.count(spec.name) || (is_new && spec.required && spec.default_value.is_null()))
      to_give.push_back(spec.name);
    if (masked.count(spec.name))
      ok = GiveMaskedAgain(r, rb, spec, given, redactor, params, via_api) && ok;
    else if (is_new)
      ok = TakeNew(r, rb, spec, given, params, via_api) && ok;
    else
      ok = StillAccepted(r, spec, params[spec.name]) && ok;
  }
  return ok;
}

}  // namespace runbook
