#include "cli/others_write.h"

#include <acl/libacl.h>
#include <grp.h>
#include <gshadow.h>
#include <pwd.h>
#include <sys/acl.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/util/strings.h"

namespace runbook {
namespace {

// The caller's and root's account names: the members that are no one else.
bool Trusted(const std::string& name) {
  static const std::string mine = [] {
    const passwd* me = ::getpwuid(::geteuid());
    return std::string(me != nullptr ? me->pw_name : "");
  }();
  static const std::string root = [] {
    const passwd* r = ::getpwuid(0);
    return std::string(r != nullptr ? r->pw_name : "root");
  }();
  return name == mine || name == root;
}

bool TrustedUid(uid_t uid) { return uid == ::geteuid() || uid == 0; }

bool OtherMembers(char** members) {
  for (char** m = members; m != nullptr && *m != nullptr; ++m)
    if (!Trusted(*m)) return true;
  return false;
}

// gshadow(5): members, administrators, or a password anyone who knows it can use with newgrp.
bool ShadowShared(const std::string& group_name) {
  ::setsgent();
  bool shared = false;
  while (const sgrp* s = ::getsgent()) {
    if (group_name != s->sg_namp) continue;
    std::string pw = s->sg_passwd != nullptr ? s->sg_passwd : "";
    bool locked = pw.empty() || pw[0] == '!' || pw[0] == '*';
    shared = shared || !locked || OtherMembers(s->sg_mem) || OtherMembers(s->sg_adm);
  }
  ::endsgent();
  return shared;
}

struct AclFree {
  void operator()(void* p) const { ::acl_free(p); }
};

// What the access ACL of `path` lets write, read once: the first named entry not you, root or
// a trusted group that may write under the mask ("user:UID", "group:GID"; "" when none), and
// whether the owning group's entry may write. Without an ACL the group bits decide.
struct AclWrites {
  std::string named;
  bool group = true;
};

AclWrites ReadAcl(const std::string& path) {
  AclWrites out;
  std::unique_ptr<struct __acl_ext, AclFree> acl(::acl_get_file(path.c_str(), ACL_TYPE_ACCESS));
  if (!acl) return out;
  bool mask = true;
  std::vector<std::string> writers;
  acl_entry_t e;
  for (int id = ACL_FIRST_ENTRY; ::acl_get_entry(acl.get(), id, &e) == 1; id = ACL_NEXT_ENTRY) {
    acl_tag_t tag;
    acl_permset_t perms;
    if (::acl_get_tag_type(e, &tag) != 0 || ::acl_get_permset(e, &perms) != 0) continue;
    bool writes = ::acl_get_perm(perms, ACL_WRITE) == 1;
    if (tag == ACL_MASK) mask = writes;
    if (tag == ACL_GROUP_OBJ) out.group = writes;
    if ((tag != ACL_USER && tag != ACL_GROUP) || !writes || !writers.empty()) continue;
    void* q = ::acl_get_qualifier(e);
    if (q == nullptr) {
      writers.push_back("an entry");
      continue;
    }
    unsigned who = tag == ACL_USER ? *static_cast<uid_t*>(q) : *static_cast<gid_t*>(q);
    ::acl_free(q);
    if (tag == ACL_USER && !TrustedUid(who)) writers.push_back("user:" + std::to_string(who));
    if (tag == ACL_GROUP && !GroupTrusted(who)) writers.push_back("group:" + std::to_string(who));
  }
  out.group = out.group && mask;
  if (mask && !writers.empty()) out.named = writers.front();
  return out;
}

}  // namespace

bool GroupTrusted(gid_t gid) {
  static std::map<gid_t, bool> known;  // one scan per group and process
  if (auto it = known.find(gid); it != known.end()) return it->second;
  bool shared = false;
  ::setpwent();
  while (const passwd* p = ::getpwent())
    shared = shared || (p->pw_gid == gid && !TrustedUid(p->pw_uid));
  ::endpwent();
  std::vector<std::string> names;
  ::setgrent();
  while (const group* g = ::getgrent()) {
    if (g->gr_gid != gid) continue;
    names.push_back(g->gr_name);
    // A password in /etc/group itself (no gshadow entry, or an old system): anyone who knows
    // it joins with newgrp (breakU U1). "x" points to gshadow; empty, "*" and "!" lock it.
    std::string pw = g->gr_passwd != nullptr ? g->gr_passwd : "";
    bool locked = pw.empty() || pw == "x" || pw[0] == '*' || pw[0] == '!';
    shared = shared || !locked || OtherMembers(g->gr_mem);
  }
  ::endgrent();
  for (const std::string& name : names) shared = shared || ShadowShared(name);
  return known[gid] = !shared;
}

std::string OthersMayWrite(const std::string& path, const struct stat& st) {
  // With an ACL the group bits are its mask: a mask without write lets no entry write.
  if ((st.st_mode & S_IWGRP) == 0) return "";
  AclWrites acl = ReadAcl(path);
  if (!acl.named.empty())
    return "has an access ACL entry (" + acl.named + ") that lets another account write it (mode " +
           OctalMode(st.st_mode) + "; see getfacl)";
  // The sticky bit protects a folder's entries; on a file it means nothing (breakV V3).
  bool sticky_folder = S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX) != 0;
  if (!acl.group || sticky_folder || GroupTrusted(st.st_gid)) return "";
  return "is writable by its group (gid " + std::to_string(st.st_gid) +
         ", which accounts other than you and root can hold, mode " + OctalMode(st.st_mode) + ")";
}

}  // namespace runbook
