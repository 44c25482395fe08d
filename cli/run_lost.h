// `runbook run FILE --run-id ID --lost-exit N [--notify-outbox OUTBOX --notify-sent SENT]
// [--lost-copy COPY] [--lost-resumes RUN]`
// (hidden; what runbook serve starts when a run it launched exited N without recording its
// end, or without telling all it owed: killed by a signal, crashed, OOM-killed, or refused
// before its first step). The run is looked up in the store, which marks it interrupted when
// its process is gone; what the run left untold is sent (CmdLostRun): the failure that would
// else go unseen (audit of issue 16, M6; docs/serve.md). serve keeps asking
// (serve/owed_failures.h) until this ends with 0.
#pragma once

#include "cli/commands.h"
#include "engine/audit/audit_journal.h"
#include "engine/executor.h"

namespace runbook {

// The whole command. The runbook is read from `o.lost_copy` when given (what the run read,
// though its file be edited to be invalid or removed since: breakNN NN5), under the file's
// path. What is told (cli/notify_journal.h):
// - the run wrote its outbox (`o.notify_outbox`): it was killed while it sent what its end
//   owed; the rest is sent, with its message (breakRR RR3), whatever its status and though
//   serve had cancelled it (the failure came first: breakRR RR4);
// - else a run that recorded "failure" (killed before it owed anything): its failure;
// - else a run that recorded its end (success, cancelled): nothing;
// - else a run serve had cancelled (`o.lost_cancelled`: its cancel was not recorded, a store
//   locked; breakPP PP3): nothing, a cancel is no failure; it is marked interrupted;
// - else its failure, as interrupted (or, never started, as failure: the run is then recorded
//   failed with no step, so its runbook's next success recovers: breakLL LL7). What is told
//   is kept in the outbox first (by_helper), so a helper started again sends the same. A resume
//   (`o.lost_resumes`) that never recorded a run was refused before it started: the run it
//   resumes is the one told, with its own params (breakNN NN3, NN4).
// A delivery already sent for that run (recorded in the store, or in the sent journal
// `o.notify_sent`, which also holds a run refused before it started or a store that could not
// be written: breakPP PP2) is not sent again: serve may ask twice when it was stopped
// meanwhile (breakNN NN1). Returns 0 when the run was looked at (whatever was sent: each
// delivery is said and recorded); 2 when no runbook can be read; 3 when the store cannot be
// opened or written, or the run cannot be marked interrupted yet (nothing is sent: serve asks
// again later; breakNN NN5: a locked store had the failure sent as "running" and never
// recorded).
int CmdLostRun(const StepRegistry& registry, const RunCliOptions& cli);

// What a process that ended with `exit_code` (128+N: killed by signal N) did to its run, for
// people: "the run's process was killed by signal 9 (SIGKILL) before it recorded its end".
// `started`: whether the store has the run.
std::string LostDetail(int exit_code, bool started, const std::string& run_id);

}  // namespace runbook
