// Who a process is, durably: host, pid and the kernel's start time of that pid, so a
// recorded owner can later be told apart from an unrelated process that reused the pid.
#pragma once

#include <string>

namespace runbook {

struct ProcessIdentity {
  std::string host;
  int pid = 0;
  std::string start;  // /proc/PID/stat field 22 (clock ticks since boot), "" when unknown
};

ProcessIdentity SelfIdentity();
// Who runs this process, for the record (`user` in run_started, the approvals' `by`): the
// account of its real uid; when that is root and the process came through sudo (SUDO_USER
// names the account SUDO_UID has), that account, as sudo itself logs it. Never from $USER,
// or from SUDO_USER in a process that is not root, which any shell can set (breakN N27).
// "uid N" for a uid with no account.
std::string CurrentUser();
std::string HostName();
// Where this process's pids mean something, as 8 hex digits: a digest of the host name,
// /etc/machine-id and the pid namespace (/proc/self/ns/pid), so two containers on one host,
// or two hosts sharing a folder, have different places. Stable across reboots of one host
// (a boot id would make a crashed run's debris foreign to the same host after its reboot).
std::string WhereToken();
// False only when the process is known to be gone: same host, and the pid is unused, belongs
// to a process started at another time, or is a zombie (ended, not yet reaped: breakO O5).
// Another host's process counts as alive.
bool IsAlive(const ProcessIdentity& who);
// True when `who` is a live process of this host that is stopped (state T: SIGSTOP, Ctrl-Z)
// — alive, so its run holds its lock, but doing nothing until continued (breakM M30).
bool IsStopped(const ProcessIdentity& who);

}  // namespace runbook
