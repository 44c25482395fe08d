#include "serve/restart.h"

#include <algorithm>

#include "engine/audit/store.h"

namespace runbook {

std::vector<std::string> GatesLeftWaiting(const std::vector<AuditEvent>& events) {
  std::vector<std::string> gates;
  for (const AuditEvent& e : events) {
    auto at = std::find(gates.begin(), gates.end(), e.step);
    if (e.kind == "approval_waiting" && at == gates.end()) gates.push_back(e.step);
    if (e.kind == "attempt_finished" && at != gates.end()) gates.erase(at);
  }
  return gates;
}

void ResumeWaitingRuns(const std::vector<std::string>& gone, const std::string& audit_db,
                       const Catalog& catalog, Launcher& launcher,
                       const std::function<void(const std::string&)>& say) {
  if (gone.empty()) return;
  auto store = AuditStore::OpenExisting(audit_db);
  if (!store.ok()) return say("error: cannot look for runs to resume: " + store.status().message());
  for (const std::string& id : gone) {
    auto events = store.value()->RunEvents(id);
    if (!events.ok()) continue;
    std::vector<std::string> gates = GatesLeftWaiting(events.value());
    if (gates.empty()) continue;
    auto row = store.value()->FindRun(id);
    const CatalogEntry* entry = row.ok() ? catalog.Find(row.value().runbook) : nullptr;
    if (entry == nullptr) {
      say("run " + id + " waited for approval '" + gates.front() +
          "' but its runbook is not here: not resumed");
      continue;
    }
    LaunchRequest request;
    request.runbook = row.value().runbook;
    request.file = entry->file;
    request.resume_id = id;
    request.trigger = Value(Value::Map{{"kind", Value("restart")}, {"resumes", Value(id)}});
    auto run = launcher.Start(request);
    if (!run.ok()) {
      say("error: cannot resume run " + id + ": " + run.status().message());
      continue;
    }
    say("run " + id + " waited for approval '" + gates.front() +
        "' when serve stopped: resumed as run " + run.value().run_id + ", where it waits again");
  }
}

void NotifyDiedWithServe(const std::vector<std::string>& left, const std::string& audit_db,
                         const Catalog& catalog, Launcher& launcher,
                         const std::function<void(const std::string&)>& say) {
  if (left.empty()) return;
  auto store = AuditStore::OpenExisting(audit_db);
  if (!store.ok())
    return say("error: cannot look at the runs serve left: " + store.status().message());
  for (const std::string& id : left) {
    auto row = store.value()->FindRun(id);
    auto events = store.value()->RunEvents(id);
    if (!row.ok() || row.value().status != "interrupted" || !events.ok() ||
        !GatesLeftWaiting(events.value()).empty())
      continue;  // ended, resumed at its gate, or never started (nothing to send from)
    const CatalogEntry* entry = catalog.Find(row.value().runbook);
    if (entry == nullptr) {
      say("run " + id + " died with serve, but its runbook is not here: its failure is not sent");
      continue;
    }
    EndedRun ended{{id, row.value().runbook, -1, launcher.LogOf(id), entry->file, {}},
                   kDiedWithServe};
    if (Status s = launcher.NotifyIfLost(ended); !s.ok())
      say("run " + id + ": its failure is not sent: " + s.message());
    else
      say("run " + id + " died with serve: its failure is being sent");
  }
}

}  // namespace runbook
