// Who besides the caller (and root) may write a file or folder of the caller's records:
// through its group, or through an entry of its POSIX access ACL. Used where a run finds
// its store (cli/run_place.cpp): a `.runbook/`, the default store's folder, their audit.db
// and the folders on the way (docs/format.md, "Where a run stands").
#pragma once

#include <sys/stat.h>

#include <string>

namespace runbook {

// Why an account other than the caller and root may write `path` (whose lstat is `st`),
// "" when none may. Looked at:
// - the owning group's write bit (the ACL's group entry under its mask), unless the sticky
//   bit keeps members from renaming what another owns (breakQ Q9), or the group is trusted:
//   no account but the caller and root can hold it (GroupTrusted);
// - every named user and group entry of the access ACL, each under the mask (breakS S1,
//   breakT T4: a read-only grant to an auditor is fine, the mask alone says nothing).
std::string OthersMayWrite(const std::string& path, const struct stat& st);

// Whether no account but the caller and root can act with group `gid`: none has it as its
// primary group (passwd), none is listed in any group entry with that gid (two names may
// share a gid: breakT T6), no such entry holds a password for newgrp (breakU U1), and, where the
// caller can read /etc/gshadow, none is listed there as member or administrator and the group has
// no password for newgrp(1). Root's group gets no exemption (breakT T1: an account with primary gid
// 0, or `root:x:0:bob`).
bool GroupTrusted(gid_t gid);

}  // namespace runbook
