#include "serve/gate_resumes.h"

#include <algorithm>

#include "engine/audit/store.h"

namespace runbook {
namespace {

constexpr int kMaxTries = 5;
constexpr std::chrono::seconds kAgainAfter{2};

// Whether the store has a record of `run_id`; false when it cannot be read (locked).
bool Recorded(const std::string& audit_db, const std::string& run_id) {
  auto store = AuditStore::OpenExisting(audit_db, 200);
  if (!store.ok()) return false;
  auto row = store.value()->IndexRow(run_id);
  return row.ok() && row.value();
}

}  // namespace

void GateResumes::Started(const std::string& run_id, const std::string& resume_id) {
  by_resume_[resume_id] = Entry{run_id, ++tries_[run_id], {}};
}

bool GateResumes::TakeRetry(const EndedRun& ended, const std::string& audit_db, Time now) {
  auto it = by_resume_.find(ended.run.run_id);
  if (it == by_resume_.end()) return false;
  Entry entry = it->second;
  by_resume_.erase(it);
  if (ended.exit_code != 3 || entry.tries >= kMaxTries || Recorded(audit_db, ended.run.run_id))
    return false;
  entry.due = now + kAgainAfter;
  waiting_.push_back(entry);
  return true;
}

std::set<std::string> GateResumes::Going() const {
  std::set<std::string> out;
  for (const auto& [resume, entry] : by_resume_) out.insert(resume);
  return out;
}

std::vector<std::string> GateResumes::Due(Time now) {
  std::vector<std::string> due;
  std::erase_if(waiting_, [&](const Entry& e) {
    if (e.due > now) return false;
    due.push_back(e.run_id);
    return true;
  });
  return due;
}

}  // namespace runbook
