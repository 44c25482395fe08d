// Run-scoped resources: what a step leaves running for later steps of the same run (a
// service). The executor keeps them until the run ends (after the finally steps, also after
// a failure or Ctrl-C) and then stops them, newest first. Implementations are thread-safe.
#pragma once

#include <string>

namespace runbook {

class RunResource {
 public:
  virtual ~RunResource() = default;  // must release whatever Stop() would
  // What it is, for people: "service 'backend' (pid 4242)".
  virtual std::string Name() const = 0;
  // "" while usable; otherwise why not (it exited, with the last lines of its log). A step
  // that needs the step that kept it fails with this message instead of starting.
  virtual std::string Failure() = 0;
  // Ends it; returns what happened ("stopped with SIGTERM (exit code 0)").
  virtual std::string Stop() = 0;
};

}  // namespace runbook
