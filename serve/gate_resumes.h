// The resumes a restarted serve starts for runs that waited at an approval gate when the serve
// before it stopped (restart.h ResumeWaitingRuns). A resume runs with --wait, so a store locked
// when it opens it or records its start (an `audit export`, a copy of the store, a long writer)
// is waited out by the resume itself (breakVV VV1). One that still ends before it recorded
// anything, with exit 3 (the store locked between two of its looks), is started again 2 s
// later instead of being owed as refused, up to 5 times; after that it is owed as before (a
// missing secret, also exit 3, is thus told some 10 s late, not 5 minutes: breakVV review).
// Resumes refused for a reason a retry cannot mend (a step to confirm, a masked param) end
// with exit 2. Not thread-safe: serve's main loop owns it.
#pragma once

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "serve/launcher.h"

namespace runbook {

class GateResumes {
 public:
  using Time = std::chrono::steady_clock::time_point;

  // `resume_id` resumes `run_id`, which waited at a gate (ResumeWaitingRuns' on_started).
  void Started(const std::string& run_id, const std::string& resume_id);
  // Whether `ended` is such a resume that ended with exit 3 before the store (`audit_db`)
  // had any record of it, with tries left: then it is taken, its run due again at `now` + 2 s,
  // and the caller owes nothing for it.
  bool TakeRetry(const EndedRun& ended, const std::string& audit_db, Time now);
  // The runs whose resume is due again at `now` (taken from the list).
  std::vector<std::string> Due(Time now);
  // The resumes started (Started) that have not ended yet, by their run ids.
  std::set<std::string> Going() const;

 private:
  struct Entry {
    std::string run_id;
    int tries = 0;
    Time due{};
  };
  std::map<std::string, Entry> by_resume_;  // by the resume's run id
  std::map<std::string, int> tries_;        // by the resumed run's id: resumes started
  std::vector<Entry> waiting_;
};

}  // namespace runbook
