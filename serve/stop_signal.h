// Whether runbook serve has been told to stop by a signal not yet handled.
#pragma once

namespace runbook {

// Whether a SIGINT or SIGTERM is pending for this process (sigpending(2): sent, its handler
// not run yet). `systemctl stop` signals every process of serve's unit at once; a run that
// ends on its own SIGTERM can be reaped before serve's handler ran, and was taken for an
// operator's cancel (breakCC CC3: recorded nowhere, though serve was stopping). Serve's
// Launcher::StoppingWhen asks this as well as its handler's flag.
bool StopSignalPending();

}  // namespace runbook
