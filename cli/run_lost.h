// `runbook run FILE --run-id ID --lost-exit N` (hidden; what runbook serve starts when a run
// it launched exited N without recording its end: killed by a signal, crashed, OOM-killed, or
// refused before its first step). The run is looked up in the store, which marks it
// interrupted when its process is gone; when it recorded its end (success, failure,
// cancelled) it told its own notifications and nothing more is done. Otherwise the runbook's
// entries listening for "failure" send (cli/run_notify.h NotifyRunLost): the failure that
// would else go unseen (audit of issue 16, M6; docs/serve.md).
#pragma once

#include "cli/commands.h"
#include "engine/audit/audit_journal.h"
#include "engine/executor.h"

namespace runbook {

// After EnterRun (the store chosen, the base entered). `options`: run_id and the params the
// run was given (those that bind; a resume's may be none). Returns 0 when the run was
// looked at (whatever was sent: each delivery is said and recorded), 3 when the store cannot
// be opened.
int NotifyLostRun(const RunCliOptions& o, const Runbook& rb, RunOptions options,
                  const RunContext& context);

// What a process that ended with `exit_code` (128+N: killed by signal N) did to its run, for
// people: "the run's process was killed by signal 9 (SIGKILL) before it recorded its end".
// `started`: whether the store has the run.
std::string LostDetail(int exit_code, bool started, const std::string& run_id);

}  // namespace runbook
