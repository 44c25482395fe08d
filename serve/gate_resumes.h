// The resumes a restarted serve starts for runs that waited at an approval gate when the serve
// before it stopped (restart.h ResumeWaitingRuns). One that ends before it recorded anything,
// with exit 3 (the store locked past its busy timeout: an `audit export`, a copy of the store,
// a long writer), is started again 2 s later instead of being owed as refused, up to 150 times
// (5 minutes); after that it is owed as before (breakVV VV1: a store locked for a few seconds
// just after the restart lost the pending approval and paged it as a failure). Resumes refused
// for a reason a retry cannot mend (a step to confirm, a masked param) end with exit 2.
// Not thread-safe: serve's main loop owns it.
#pragma once

#include <chrono>
#include <map>
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
