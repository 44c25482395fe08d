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

// The access ACL's named entries that allow writing under its mask, as "user:NAME" or
// "group:NAME" for the first untrusted one; "" when none (or no ACL).
std::string AclWriter(const std::string& path) {
  std::unique_ptr<struct __acl_ext, AclFree> acl(::acl_get_file(path.c_str(), ACL_TYPE_ACCESS));
  if (!acl) return "";
  bool mask_writes = true;
  acl_entry_t e;
  for (int id = ACL_FIRST_ENTRY; ::acl_get_entry(acl.get(), id, &e) == 1; id = ACL_NEXT_ENTRY) {
    acl_tag_t tag;
    acl_permset_t perms;
    if (::acl_get_tag_type(e, &tag) == 0 && tag == ACL_MASK && ::acl_get_permset(e, &perms) == 0)
      mask_writes = ::acl_get_perm(perms, ACL_WRITE) == 1;
  }
  if (!mask_writes) return "";
  for (int id = ACL_FIRST_ENTRY; ::acl_get_entry(acl.get(), id, &e) == 1; id = ACL_NEXT_ENTRY) {
    acl_tag_t tag;
    acl_permset_t perms;
    if (::acl_get_tag_type(e, &tag) != 0 || (tag != ACL_USER && tag != ACL_GROUP)) continue;
    if (::acl_get_permset(e, &perms) != 0 || ::acl_get_perm(perms, ACL_WRITE) != 1) continue;
    void* q = ::acl_get_qualifier(e);
    if (q == nullptr) return "an entry";
    unsigned id_value = tag == ACL_USER ? *static_cast<uid_t*>(q) : *static_cast<gid_t*>(q);
    ::acl_free(q);
    if (tag == ACL_USER && !TrustedUid(id_value)) return "user:" + std::to_string(id_value);
    if (tag == ACL_GROUP && !GroupTrusted(id_value)) return "group:" + std::to_string(id_value);
  }
  return "";
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
  if (std::string entry = AclWriter(path); !entry.empty())
    return "has an access ACL entry (" + entry + ") that lets another account write it (mode " +
           OctalMode(st.st_mode) + "; see getfacl)";
  // The owning group's own entry: without an ACL, the group bits; with one, the group entry
  // under the mask (the mask allows writing here).
  bool group_writes = true;
  if (std::unique_ptr<struct __acl_ext, AclFree> acl(::acl_get_file(path.c_str(), ACL_TYPE_ACCESS));
      acl && ::acl_equiv_mode(acl.get(), nullptr) != 0) {
    acl_entry_t e;
    for (int id = ACL_FIRST_ENTRY; ::acl_get_entry(acl.get(), id, &e) == 1; id = ACL_NEXT_ENTRY) {
      acl_tag_t tag;
      acl_permset_t perms;
      if (::acl_get_tag_type(e, &tag) == 0 && tag == ACL_GROUP_OBJ &&
          ::acl_get_permset(e, &perms) == 0)
        group_writes = ::acl_get_perm(perms, ACL_WRITE) == 1;
    }
  }
  // The sticky bit protects a folder's entries; on a file it means nothing (breakV V3).
  bool sticky_folder = S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX) != 0;
  if (!group_writes || sticky_folder || GroupTrusted(st.st_gid)) return "";
  return "is writable by its group (gid " + std::to_string(st.st_gid) +
         ", which accounts other than you and root can hold, mode " + OctalMode(st.st_mode) + ")";
}

}  // namespace runbook
