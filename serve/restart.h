// What a restarted runbook serve does with the runs it had started that were waiting at an
// approval gate when it was killed (issue 16 part 5: "a pending approval is still pending"):
// they died with it and are interrupted; each is resumed at once (`runbook resume`, no
// --rerun), so its gate waits again, and an answer given meanwhile but never taken up is
// carried into the resume (cli/api_approver.h). A resume that needs an operator's
// confirmation (a step stopped mid-way) refuses, as it would through the API: its child ends
// with exit 2, GET /api/v1/runs/{new id} shows why, the run stays interrupted, and its
// failure is owed (serve/owed_failures.h: told for that run, with its params; breakNN NN4).
// As Argo keeps a suspended workflow suspended across a controller restart.
#pragma once

#include <functional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "engine/audit/chain.h"
#include "engine/audit/unrecorded.h"
#include "serve/catalog.h"
#include "serve/launcher.h"
#include "serve/owed_failures.h"

namespace runbook {

// The approval gates of a run's events that waited (approval_waiting) and never ended there
// (no attempt_finished after), in the order they first waited. Answered or not.
std::vector<std::string> GatesLeftWaiting(const std::vector<AuditEvent>& events);

// `events` of a run (its record), then what it kept while its store was locked (`kept`:
// engine/audit/unrecorded.h): its facts, and, when it waited to record the start of an
// approval gate's attempt that `events` lack, that attempt as begun and waiting
// (attempt_started, approval_waiting): the run is at its gate, its store slow to say so
// (breakYY YY5: serve's stop cancelled a restore about to wait at its gate, and it vanished).
// What GatesLeftWaiting and OnlyWaitsAtGates judge a run by under serve.
std::vector<AuditEvent> WithUnrecorded(std::vector<AuditEvent> events, const Unrecorded& kept);

// Run `id`'s events in `store` WithUnrecorded what it kept in `launcher`'s folder
// (Launcher::UnrecordedOf): what serve judges its runs by. Errors: the store's.
Result<std::vector<AuditEvent>> JudgedEvents(AuditStore& store, const std::string& id,
                                             const Launcher& launcher);

// The approval gates the run of `events` would begin next, by the graph its run_started
// records: main steps not begun whose needs all passed, when no step is begun and unfinished
// and every such step is a gate; empty otherwise. A run between its steps, its next a gate
// (its store slow to record the step before: breakZZ ZZ10, a gate first of all), is at that
// gate.
std::vector<std::string> GatesNext(const std::vector<AuditEvent>& events);

// GatesLeftWaiting, or when there are none GatesNext: the gates the run is at.
std::vector<std::string> GatesAhead(const std::vector<AuditEvent>& events);

// Whether the run of `events` does nothing but wait at approval gates: at least one gate left
// waiting (GatesLeftWaiting), and every step begun and not finished (no step_finished: one
// running, or waiting to retry) is one of them; or its next steps are gates (GatesNext). Such a run
// holds no worker and loses nothing by dying: serve's stop leaves it to die with serve, and the
// next serve resumes it to wait there again, as after a kill (breakTT TT16: a graceful restart
// cancelled a pending approval that a kill -9 kept).
bool OnlyWaitsAtGates(const std::vector<AuditEvent>& events);

// Resumes each of `gone` (runs MarkInterrupted took as gone here) that left a gate waiting,
// through `launcher`; its trigger is {"kind": "restart", "resumes": ID}. One line to `say` per
// run resumed or not; `on_started` (run id, its resume's id) per resume started. Returns those
// that waited and could not be resumed (their runbook not here, or the resume not started):
// their failure is owed (breakTT TT1).
std::set<std::string> ResumeWaitingRuns(
    const std::vector<std::string>& gone, const std::string& audit_db, const Catalog& catalog,
    Launcher& launcher, const std::function<void(const std::string&)>& say,
    const std::function<void(const std::string&, const std::string&)>& on_started = {});

// Owes what each run of `left` (the runs the serve before this one started and never saw end:
// Launcher::LeftRunning) may have left untold, as for a run whose process died
// (OwedFailures::Owe, exit kDiedWithServe): one interrupted that waited at no gate (it died
// with serve, killed or OOM-killed, and nothing told anyone: breakLL LL5); one that recorded
// "failure" or left an outbox (it died while it sent: breakRR RR3); one the store does not
// have, named by its marker (refused before it started, its .owed unwritten: breakRR RR6).
// One the serve before cancelled as it stopped (Launcher::CancelledMarkOf) is owed as
// cancelled (breakRR RR2). Its params from its record. Then each of `left` is forgotten
// (Launcher::Forget: its marker, and its runbook's copy unless owed), and any copy of a
// runbook no run needs any more is removed.
// The runs of `left` that were resumes and never recorded their start (serve killed again
// before they did: breakTT TT5, a waiting approval lost and a false "refused" paged): each is
// forgotten, and returned with the run it resumes ({resume, resumed}), to be looked at as one
// that died with serve (ResumeWaitingRuns resumes it again when its gate waits).
std::vector<std::pair<std::string, std::string>> ResumesNeverStarted(
    const std::vector<std::string>& left, const std::string& audit_db, Launcher& launcher);

// `not_resumed`: ResumeWaitingRuns' (owed though they waited at a gate). A run the store still
// says is running died with serve all the same (the store could not be marked: breakTT TT12).
// A run whose runbook is no longer in the folder (removed or made invalid while serve was
// down) is told from the copy serve kept (breakTT TT1).
void NotifyDiedWithServe(const std::vector<std::string>& left, const std::string& audit_db,
                         const Catalog& catalog, Launcher& launcher, OwedFailures& owed,
                         const std::function<void(const std::string&)>& say,
                         const std::set<std::string>& not_resumed = {});

}  // namespace runbook
