// Where a command's records go and where a run stands (issue 14 #8): the store is
// --audit-db, else RUNBOOK_AUDIT_DB, else the nearest .runbook/ walking up (from the
// runbook's folder for run, from the current folder for the others), else
// $XDG_STATE_HOME/runbook/audit.db; every command says which. A run's relative paths resolve
// against the runbook's folder or its working_directory, never the caller's folder; the
// command line's own paths are the caller's.
#include <catch2/catch.hpp>
#include <string>

#include "support/support.h"

using namespace runbook::test;

namespace {

// A project: project/.runbook/, project/runbooks/w.yaml writing relative files, and a
// folder elsewhere (`away`, the cron job's $HOME) with its own XDG state folder.
struct Project {
  std::string root = TempDir();
  std::string project = root + "/project";
  std::string away = root + "/home";
  std::string state = root + "/home/.local/state";
  Project() {
    REQUIRE(Shell("mkdir -p " + project + "/.runbook " + project + "/runbooks " + away).exit_code ==
            0);
  }
  // Runs the binary from `cwd` with no store named by the environment.
  Command Rb(const std::string& cwd, const std::string& args, const std::string& env = "") const {
    return Shell("cd " + cwd + " && unset RUNBOOK_AUDIT_DB; XDG_STATE_HOME=" + state + " " + env +
                 " " + Binary() + " " + args);
  }
  void Book(const std::string& extra_top = "", const std::string& name = "w.yaml") const {
    WriteFile(project + "/runbooks", name,
              "version: 1\nname: w\n" + extra_top +
                  "params:\n  out: {type: string, default: out.txt}\nsteps:\n"
                  "  - {id: write, uses: exec, with: {shell: true, run: 'pwd > \"${{ params.out "
                  "}}\"'}}\n");
  }
};

std::string StoreLine(const Command& c) {
  size_t at = c.err.find("runbook: audit store ");
  return at == std::string::npos ? "" : c.err.substr(at, c.err.find('\n', at) - at);
}

}  // namespace

TEST_CASE(
    "run from any folder records into the project's .runbook/ and writes beside the "
    "runbook",
    "[cli][store-location]") {
  Project p;
  p.Book();
  Command run = p.Rb(p.away, "run " + p.project + "/runbooks/w.yaml");
  REQUIRE(run.exit_code == 0);
  CHECK(StoreLine(run) == "runbook: audit store " + p.project +
                              "/.runbook/audit.db (the nearest .runbook/ above " + p.project +
                              "/runbooks)");
  CHECK(ReadFile(p.project + "/runbooks/out.txt") == p.project + "/runbooks\n");
  CHECK(ReadFile(p.away + "/out.txt").empty());  // never the caller's folder
  CHECK(Shell("ls -A " + p.away + " | grep -v '^.local$'").out.empty());  // nothing else there
  // history finds the same store from a folder below the project, walking up.
  Shell("mkdir -p " + p.project + "/runbooks/deep/er");
  Command history = p.Rb(p.project + "/runbooks/deep/er", "history --format json");
  CHECK(history.exit_code == 0);
  CHECK_THAT(history.out, Catch::Contains("\"runbook\": \"w\""));
  CHECK_THAT(StoreLine(history), Catch::Contains(p.project + "/.runbook/audit.db"));
  // From the cron job's $HOME, a reader finds no project store: the XDG default, which a
  // reader never creates (exit 3 naming it).
  Command lost = p.Rb(p.away, "history");
  CHECK(lost.exit_code == 3);
  CHECK_THAT(lost.err, Catch::Contains(p.state + "/runbook/audit.db"));
  CHECK_FALSE(Shell("test -e " + p.state + "/runbook").exit_code == 0);
}

TEST_CASE("without a .runbook/ the store is the XDG state folder, made 0700",
          "[cli][store-location]") {
  Project p;
  Shell("rmdir " + p.project + "/.runbook");
  p.Book();
  Command run = p.Rb(p.away, "run ../project/runbooks/w.yaml");
  REQUIRE(run.exit_code == 0);
  CHECK(StoreLine(run) == "runbook: audit store " + p.state +
                              "/runbook/audit.db (no .runbook/ "
                              "above " +
                              p.project + "/runbooks: the default)");
  CHECK(Shell("stat -c %a " + p.state + "/runbook").out == "700\n");
  CHECK(p.Rb(p.away, "history").exit_code == 0);
  // No HOME and no XDG_STATE_HOME: exit 3, saying what to give; nothing run.
  Command nowhere = Shell("cd " + p.away + " && unset RUNBOOK_AUDIT_DB HOME XDG_STATE_HOME; " +
                          Binary() + " run ../project/runbooks/w.yaml --set out=none.txt");
  CHECK(nowhere.exit_code == 3);
  CHECK_THAT(nowhere.err, Catch::Contains("give --audit-db or RUNBOOK_AUDIT_DB"));
  CHECK(ReadFile(p.project + "/runbooks/none.txt").empty());
}

TEST_CASE(
    "the store: --audit-db beats RUNBOOK_AUDIT_DB beats .runbook/, each relative to the caller",
    "[cli][store-location]") {
  Project p;
  p.Book();
  Command env = p.Rb(p.away, "run ../project/runbooks/w.yaml", "RUNBOOK_AUDIT_DB=env.db");
  REQUIRE(env.exit_code == 0);
  CHECK(StoreLine(env) == "runbook: audit store " + p.away + "/env.db (RUNBOOK_AUDIT_DB)");
  Command flag =
      p.Rb(p.away, "run ../project/runbooks/w.yaml --audit-db flag.db", "RUNBOOK_AUDIT_DB=env.db");
  REQUIRE(flag.exit_code == 0);
  CHECK(StoreLine(flag) == "runbook: audit store " + p.away + "/flag.db (--audit-db)");
  CHECK(Shell("test -s " + p.away + "/flag.db && test -s " + p.away + "/env.db").exit_code == 0);
  CHECK_FALSE(Shell("test -e " + p.project + "/.runbook/audit.db").exit_code == 0);
  // The continue line, --metrics-file and the store all name the caller's paths.
  Command metrics = p.Rb(p.away, "run ../project/runbooks/w.yaml --metrics-file m.prom");
  REQUIRE(metrics.exit_code == 0);
  CHECK(Shell("test -s " + p.away + "/m.prom").exit_code == 0);
}

TEST_CASE("working_directory moves the base, and a missing one runs nothing",
          "[cli][store-location]") {
  Project p;
  p.Book("working_directory: ..\n");
  Command run = p.Rb(p.away, "run ../project/runbooks/w.yaml --set out=o.txt");
  REQUIRE(run.exit_code == 0);
  CHECK(ReadFile(p.project + "/o.txt") == p.project + "\n");
  // The plan says where relative paths resolve, as written.
  Command plan = p.Rb(p.away, "plan ../project/runbooks/w.yaml");
  CHECK_THAT(plan.out, Catch::Contains("working directory: .. (relative paths resolve here"));
  CHECK_THAT(p.Rb(p.away, "plan ../project/runbooks/w.yaml --format json").out,
             Catch::Contains("\"working_directory\": \"..\""));
  p.Book("working_directory: no/such/folder\n", "bad.yaml");
  CHECK(p.Rb(p.away, "validate ../project/runbooks/bad.yaml").exit_code == 0);  // a CI machine
  Command bad = p.Rb(p.away, "run ../project/runbooks/bad.yaml --set out=bad.txt");
  CHECK(bad.exit_code == 3);
  CHECK_THAT(bad.err, Catch::Contains("working_directory 'no/such/folder' (" + p.project +
                                      "/runbooks/no/such/folder) is not a folder; nothing was "
                                      "run"));
  CHECK(Shell("find " + p.root + " -name bad.txt").out.empty());
  // An expression is not taken: the base is known before anything is evaluated.
  p.Book("working_directory: '${{ params.out }}'\n", "expr.yaml");
  CHECK(p.Rb(p.away, "validate ../project/runbooks/expr.yaml").exit_code == 2);
}

TEST_CASE("resume from another folder continues in the same store and base",
          "[cli][store-location]") {
  Project p;
  WriteFile(p.project + "/runbooks", "r.yaml",
            "version: 1\nname: r\nsteps:\n"
            "  - {id: one, uses: exec, with: {shell: true, run: 'pwd > one.txt'}}\n"
            "  - {id: two, uses: exec, needs: [one], with: {shell: true, run: 'test -e go || "
            "exit 1; pwd > two.txt'}}\n");
  Command failed = p.Rb(p.away, "run ../project/runbooks/r.yaml");
  REQUIRE(failed.exit_code == 1);
  size_t at = failed.err.find("runbook resume ");
  REQUIRE(at != std::string::npos);
  std::string id = failed.err.substr(at + 15, failed.err.find(' ', at + 15) - at - 15);
  Shell("touch " + p.project + "/runbooks/go");
  Command resumed = p.Rb(p.project + "/runbooks", "resume " + id);
  REQUIRE(resumed.exit_code == 0);
  CHECK_THAT(StoreLine(resumed), Catch::Contains(p.project + "/.runbook/audit.db"));
  CHECK(ReadFile(p.project + "/runbooks/two.txt") == p.project + "/runbooks\n");
  CHECK(Shell("find " + p.away + " -name '*.txt'").out.empty());
}

TEST_CASE("a .runbook that is not a usable folder, or not yours, stops the walk (breakK K6 K20)",
          "[cli][store-location]") {
  Project p;
  p.Book();
  Shell("rmdir " + p.project + "/.runbook");
  const std::string rb = "run ../project/runbooks/w.yaml";
  // A plain file, a dangling link (an unmounted share), a link loop: exit 3, naming it.
  for (const char* make :
       {"touch .runbook", "ln -s /mnt/not-mounted/runbook .runbook", "ln -s .runbook .runbook"}) {
    CAPTURE(make);
    Shell("cd " + p.project + " && rm -f .runbook && " + make);
    Command c = p.Rb(p.away, rb);
    CHECK(c.exit_code == 3);
    CHECK_THAT(c.err, Catch::Contains(p.project + "/.runbook is "));
    CHECK_FALSE(Shell("test -e " + p.state + "/runbook").exit_code == 0);  // no fall-through
    CHECK(ReadFile(p.project + "/runbooks/out.txt").empty());              // nothing ran
  }
  // Another user's folder (anyone can make /tmp/.runbook): refused, as git refuses a
  // repository another user owns.
  Shell("cd " + p.project + " && rm -f .runbook && mkdir .runbook && chown nobody .runbook");
  Command theirs = p.Rb(p.away, rb);
  CHECK(theirs.exit_code == 3);
  CHECK_THAT(theirs.err,
             Catch::Contains(".runbook is owned by uid") && Catch::Contains("not by you"));
  CHECK(p.Rb(p.project, "history").exit_code == 3);
  Shell("chown root " + p.project + "/.runbook");
  CHECK(p.Rb(p.away, rb).exit_code == 0);

  // breakO O9: a folder every user may write (/tmp, 1777) is no store folder, and a link
  // another user made is no way to one: `/tmp/.runbook -> .` planted by nobody led root's
  // records into /tmp, beside an audit.db nobody owned.
  Shell("cd " + p.project + " && rm -rf .runbook && chmod 1777 . && setpriv --reuid=65534 " +
        "--regid=65534 --clear-groups ln -s . .runbook");
  Command link = p.Rb(p.away, rb);
  CHECK(link.exit_code == 3);
  CHECK_THAT(link.err, Catch::Contains(".runbook is a link made by uid 65534, not by you"));
  Shell("cd " + p.project + " && rm -f .runbook && ln -s . .runbook");  // root's own link
  Command open = p.Rb(p.away, rb);
  CHECK(open.exit_code == 3);
  CHECK_THAT(open.err, Catch::Contains(".runbook is writable by every user (mode 1777)"));
  Shell("cd " + p.project + " && rm -f .runbook && mkdir -m 1777 .runbook && chmod 755 .");
  CHECK(p.Rb(p.away, rb).exit_code == 3);  // a real folder too
  CHECK(p.Rb(p.project, "history").exit_code == 3);
  Shell("chmod 755 " + p.project + "/.runbook");
  CHECK(p.Rb(p.away, rb).exit_code == 0);
}

// breakP P1: only the last component of the way was looked at, so another account that
// owned a link or a folder on the way swapped it after the check: root's records went into
// its store, or, the .runbook hidden for an instant, fell through to the default store. Every
// link and folder on the way is now looked at, and a folder another account owns stops the
// walk whether or not it holds a .runbook.
TEST_CASE("a link or folder of another account on the way to the store stops the walk",
          "[cli][store-location]") {
  Project p;
  p.Book();
  const std::string rb = "run ../project/runbooks/w.yaml";
  const std::string as_nobody = "setpriv --reuid=65534 --regid=65534 --clear-groups ";
  // (a) root's .runbook link through a link nobody made in a sticky folder.
  std::string t = p.root + "/t";
  Shell("chmod 755 " + p.root);
  Shell("mkdir -m 1777 " + t + " && " + as_nobody + "ln -s " + p.project + " " + t + "/lnk");
  Shell("mkdir " + p.root + "/p2 && cp -r " + p.project + "/runbooks " + p.root + "/p2/ && ln -s " +
        t + "/lnk/.runbook " + p.root + "/p2/.runbook");
  Command middle = p.Rb(p.away, "run ../p2/runbooks/w.yaml");
  INFO(middle.err);
  CHECK(middle.exit_code == 3);
  CHECK_THAT(middle.err, Catch::Contains(t + "/lnk, on the way to ") &&
                             Catch::Contains("is a link made by uid 65534, not by you"));
  CHECK_FALSE(Shell("test -e " + p.state + "/runbook").exit_code == 0);  // no fall-through
  // (b) root's .runbook in a project folder nobody owns; (c) the same folder without one.
  Shell("chown nobody " + p.project);
  for (const char* state : {"with its .runbook", "without a .runbook"}) {
    CAPTURE(state);
    Command theirs = p.Rb(p.away, rb);
    CHECK(theirs.exit_code == 3);
    CHECK_THAT(theirs.err, Catch::Contains(p.project + ", a folder on the way to ") &&
                               Catch::Contains("is owned by uid 65534, not by you (uid 0)"));
    CHECK_FALSE(Shell("test -e " + p.state + "/runbook").exit_code == 0);
    CHECK(ReadFile(p.project + "/runbooks/out.txt").empty());  // nothing ran
    Shell("rm -rf " + p.project + "/.runbook");
  }
  // breakQ Q9: a folder another group may write (not the caller's, not root's) is the same.
  Shell("chown root:65534 " + p.project + " && chmod 775 " + p.project + " && mkdir " + p.project +
        "/.runbook");
  Command group = p.Rb(p.away, rb);
  CHECK(group.exit_code == 3);
  CHECK_THAT(group.err, Catch::Contains("is writable by its group (gid 65534, which accounts other "
                                        "than you and root can hold, mode 0775)"));
  Shell("chmod 755 " + p.project + " && chown 65534:0 " + p.project + " && rm -rf " + p.project +
        "/.runbook");
  // The account itself may use its own folder (its own .runbook in it).
  Shell("cd " + p.project + " && " + as_nobody + "mkdir .runbook");
  Command own = Shell("cd " + p.away + " && unset RUNBOOK_AUDIT_DB; " + as_nobody +
                      "env HOME=" + p.away + " " + Binary() + " history --audit-db " + p.project +
                      "/.runbook/audit.db 2>&1; cd " + p.project + " && " + as_nobody +
                      "env HOME=" + p.away + " " + Binary() + " validate runbooks/w.yaml");
  CHECK(own.exit_code == 0);
}

// breakP P14: the default store got none of the checks a .runbook gets: root run with another
// user's HOME or XDG_STATE_HOME recorded into a folder that user owns.
TEST_CASE("the default store in another account's folder is refused", "[cli][store-location]") {
  Project p;
  p.Book();
  Shell("rm -rf " + p.project + "/.runbook; chown nobody " + p.away);
  Command theirs = p.Rb(p.project, "run runbooks/w.yaml");
  INFO(theirs.err);
  CHECK(theirs.exit_code == 3);
  CHECK_THAT(theirs.err,
             Catch::Contains("the default audit store's folder " + p.state + "/runbook: ") &&
                 Catch::Contains("is owned by uid 65534, not by you (uid 0)"));
  CHECK_FALSE(Shell("test -e " + p.state).exit_code == 0);  // nothing made there
  Shell("chown root " + p.away);
  CHECK(p.Rb(p.project, "run runbooks/w.yaml").exit_code == 0);
}

// breakR R2: the group rule reached the folders on the way, not the store's own folder nor
// its file: a .runbook at 0775 of another group was used (a member renamed audit.db away, or
// put one of theirs there), as was a 0666 audit.db or another account's. Variants: the
// .runbook folder, the default store's folder, the store file's mode and owner.
TEST_CASE("the store's own folder and file are writable by no other account or group",
          "[cli][store-location]") {
  Project p;
  p.Book();
  const std::string rb = "run ../project/runbooks/w.yaml";
  const std::string dot = p.project + "/.runbook";
  Shell("chmod 755 " + p.root);
  Shell("chgrp 65534 " + dot + " && chmod 775 " + dot);
  Command folder = p.Rb(p.away, rb);
  CHECK(folder.exit_code == 3);
  CHECK_THAT(folder.err, Catch::Contains(dot + " is writable by its group (gid 65534, which "
                                               "accounts other than you and root can hold, mode "
                                               "0775)"));
  CHECK(p.Rb(p.project, "history").exit_code == 3);
  Shell("chmod 2775 " + dot + " && chgrp 0 " + dot);  // root's group: its members are root's
  REQUIRE(p.Rb(p.away, rb).exit_code == 0);
  Shell("chmod 755 " + dot);
  // breakV V3: the sticky bit on a file protects nothing: 1664 of another group is refused.
  for (const char* change : {"chmod 666", "chmod 664 $F && chgrp 65534",
                             "chmod 1664 $F && chgrp 65534", "chown 65534"}) {
    CAPTURE(change);
    Shell("F=" + dot + "/audit.db; " + change + " $F");
    Command file = p.Rb(p.away, rb);
    CHECK(file.exit_code == 3);
    CHECK_THAT(file.err, Catch::Contains(dot + "/audit.db is ") &&
                             Catch::Contains("another user could read or replace the records"));
    CHECK(p.Rb(p.project, "history").exit_code == 3);
    Shell("F=" + dot + "/audit.db; chown 0:0 $F && chmod 644 $F");
    CHECK(p.Rb(p.away, rb).exit_code == 0);
  }
  // The default store's folder at 0775 of another group.
  Shell("rm -rf " + dot + " && mkdir -p " + p.state + "/runbook && chgrp 65534 " + p.state +
        "/runbook && chmod 775 " + p.state + "/runbook");
  Command state = p.Rb(p.project, "run runbooks/w.yaml");
  CHECK(state.exit_code == 3);
  CHECK_THAT(state.err,
             Catch::Contains("the default audit store's folder " + p.state + "/runbook: ") &&
                 Catch::Contains("is writable by its group (gid 65534"));
  CHECK_FALSE(Shell("test -e " + p.state + "/runbook/audit.db").exit_code == 0);
}

// breakS S1: only the mode bits were read, so an access ACL granting another account write
// (its mask shows as the group bits, of root's or your own group) was trusted; S6: your own
// primary group was trusted even when other accounts share it (nogroup: nobody, _apt, sync).
// Variants: an ACL on .runbook, on audit.db, on a folder on the way; a shared primary group.
TEST_CASE("a store others may write through an ACL or a shared group is refused",
          "[cli][store-location]") {
  Project p;
  p.Book();
  const std::string rb = "run ../project/runbooks/w.yaml";
  const std::string dot = p.project + "/.runbook";
  Shell("chmod 755 " + p.root);
  REQUIRE(p.Rb(p.away, rb).exit_code == 0);
  // user::rwx user:nobody:rwx group::r-x mask::rwx other::r-x, as setfacl -m u:nobody:rwx.
  auto grant = [](const std::string& path) {
    return Shell("python3 -c \"import os,struct; os.setxattr('" + path +
                 "', 'system.posix_acl_access', struct.pack('<I',2)+b''.join(struct.pack('<HHI',"
                 "t,m,i) for t,m,i in [(1,7,2**32-1),(2,7,65534),(4,5,2**32-1),(16,7,2**32-1),"
                 "(32,5,2**32-1)]))\"")
        .exit_code;
  };
  for (const std::string& path : {dot, dot + "/audit.db", p.project}) {
    CAPTURE(path);
    REQUIRE(grant(path) == 0);
    Command c = p.Rb(p.away, rb);
    CHECK(c.exit_code == 3);
    CHECK_THAT(c.err, Catch::Contains("has an access ACL entry (user:65534) that lets another "
                                      "account write it"));
    Shell("python3 -c \"import os; os.removexattr('" + path + "', 'system.posix_acl_access')\"");
    Shell("chmod go-w " + path);
    CHECK(p.Rb(p.away, rb).exit_code == 0);
  }
  // A shared primary group: nobody's nogroup is also _apt's and sync's on Debian.
  if (Shell("getent passwd | awk -F: '$4==65534 && $3!=65534' | grep -q .").exit_code != 0)
    return;  // no other account shares it on this machine
  Shell("rm -rf " + dot + " && chown -R 65534:65534 " + p.project + " " + p.away +
        " && chmod 775 " + p.project);
  Command shared = Shell("cd " + p.away + " && unset RUNBOOK_AUDIT_DB; setpriv --reuid=65534 " +
                         "--regid=65534 --clear-groups env HOME=" + p.away +
                         " XDG_STATE_HOME=" + p.state + " " + Binary() + " " + rb);
  CHECK(shared.exit_code == 3);
  CHECK_THAT(shared.err, Catch::Contains("is writable by its group (gid 65534, which accounts "
                                         "other than you and root can hold, mode 0775)"));
}

namespace {

// Runs the binary as Project::Rb does, in a mount namespace of its own where /etc/passwd,
// /etc/group and /etc/gshadow are copies changed by `edit` (a shell command run on the
// copies passwd, group, gshadow in `dir`): the accounts another machine would have, without
// touching this one's (other tests run at the same time).
Command WithAccounts(const Project& p, const std::string& dir, const std::string& edit,
                     const std::string& args) {
  REQUIRE(Shell("cd " + dir +
                " && cp /etc/passwd passwd && cp /etc/group group && cp "
                "/etc/gshadow gshadow && " +
                edit)
              .exit_code == 0);
  std::string mounts;
  for (const char* f : {"passwd", "group", "gshadow"})
    mounts += "mount --bind " + dir + "/" + f + " /etc/" + f + " && ";
  return Shell("unshare -m sh -c '" + mounts + "cd " + p.away +
               " && unset RUNBOOK_AUDIT_DB; XDG_STATE_HOME=" + p.state + " " + Binary() + " " +
               args + "'");
}

}  // namespace

// breakT T1: root's group was trusted without asking who else holds it; T6: a group's members
// were read from getgrgid's one entry and the passwd primaries only; T4: an ACL was refused
// for its mask although no entry under it could write. Variants per source of membership.
TEST_CASE("a group is trusted only when no account but you and root can hold it",
          "[cli][store-location]") {
  Project p;
  p.Book();
  const std::string rb = "run ../project/runbooks/w.yaml";
  const std::string dot = p.project + "/.runbook";
  std::string etc = TempDir();
  Shell("chmod 755 " + p.root + " && chgrp 0 " + dot + " && chmod 775 " + dot);
  REQUIRE(WithAccounts(p, etc, "true", rb).exit_code == 0);  // root's group, root's alone
  const std::vector<std::pair<std::string, std::string>> others = {
      {"an account with gid 0 as its primary group",
       "echo 'carol:x:1999:0::/nonexistent:/bin/sh' >> passwd"},
      {"a member listed in root's group", "sed -i 's/^root:x:0:$/root:x:0:bob/' group"},
      {"a second group name with gid 0", "echo 'galias:x:0:bob' >> group"},
      {"a member listed only in gshadow", "sed -i 's/^root:\\([^:]*\\)::$/root:\\1::bob/' gshadow"},
      {"a group password for newgrp", "sed -i 's/^root:[^:]*:/root:$6$salt$hash:/' gshadow"},
      {"a password in /etc/group, no gshadow entry (breakU U1)",
       "sed -i 's/^root:x:0:$/root:$6$salt$hash:0:/' group && sed -i '/^root:/d' gshadow"},
  };
  for (const auto& [what, edit] : others) {
    CAPTURE(what);
    REQUIRE(Shell("cd " + etc +
                  " && cp /etc/group g0 && cp /etc/gshadow s0 && cp /etc/passwd p0 && " + edit +
                  " && ! cmp -s g0 group || ! cmp -s s0 gshadow || ! cmp -s p0 passwd")
                .exit_code == 0);  // the edit changed something
    Command c = WithAccounts(p, etc, edit, rb);
    CHECK(c.exit_code == 3);
    CHECK_THAT(c.err, Catch::Contains(dot + " is writable by its group (gid 0, which accounts "
                                            "other than you and root can hold"));
  }
  // ACL entries under the mask (setfacl -m u:nobody:r-x gives mask rwx through the group).
  auto acl = [&](const std::string& entries) {
    return Shell("python3 -c \"import os,struct; os.setxattr('" + dot +
                 "', 'system.posix_acl_access', struct.pack('<I',2)+b''.join(struct.pack('<HHI',"
                 "t,m,i) for t,m,i in [" +
                 entries + "]))\"")
        .exit_code;
  };
  const std::string head = "(1,7,2**32-1),", tail = ",(32,5,2**32-1)";
  REQUIRE(acl(head + "(2,5,65534),(4,7,2**32-1),(16,7,2**32-1)" + tail) == 0);
  CHECK(WithAccounts(p, etc, "true", rb).exit_code == 0);  // an auditor who only reads
  REQUIRE(acl(head + "(2,7,65534),(4,5,2**32-1),(16,5,2**32-1)" + tail) == 0);
  CHECK(WithAccounts(p, etc, "true", rb).exit_code == 0);  // rwx, but the mask says r-x
  REQUIRE(acl(head + "(4,5,2**32-1),(8,6,65534),(16,7,2**32-1)" + tail) == 0);
  Command group_entry = WithAccounts(p, etc, "true", rb);
  CHECK(group_entry.exit_code == 3);
  CHECK_THAT(group_entry.err, Catch::Contains("has an access ACL entry (group:65534)"));
}

TEST_CASE("through a linked folder the base and the store are the real folder's (breakK K10)",
          "[cli][store-location]") {
  Project p;
  // proj/rbs is a link to real/rbs: `working_directory: ..` is real/, as `cwd: ..` is.
  Shell("mkdir -p " + p.root + "/real/rbs " + p.root + "/real/.runbook && ln -s " + p.root +
        "/real/rbs " + p.project + "/rbs");
  WriteFile(p.root + "/real/rbs", "w.yaml",
            "version: 1\nname: w\nworking_directory: ..\nsteps:\n"
            "  - {id: a, uses: exec, with: {shell: true, run: 'pwd -P > wd.txt'}}\n"
            "  - {id: b, uses: exec, with: {shell: true, cwd: .., run: 'pwd -P > cwd.txt'}}\n");
  Command via_link = p.Rb(p.away, "run " + p.project + "/rbs/w.yaml");
  REQUIRE(via_link.exit_code == 0);
  CHECK(ReadFile(p.root + "/real/wd.txt") == p.root + "/real\n");
  CHECK_THAT(StoreLine(via_link), Catch::Contains(p.root + "/real/.runbook/audit.db"));
  Command direct = p.Rb(p.away, "run " + p.root + "/real/rbs/w.yaml");
  CHECK(StoreLine(direct) == StoreLine(via_link));  // one runbook, one store
}

namespace {

// project/runbooks/m.yaml: `one` writes a file and outputs its relative name; `two` (which
// fails until project/<base>/go exists) prints the file `one` named.
void CarryBook(const Project& p, const std::string& folder, const std::string& working_dir) {
  Shell("mkdir -p " + p.project + "/" + folder);
  WriteFile(p.project + "/" + folder, "m.yaml",
            "version: 1\nname: m\n" + working_dir +
                "steps:\n"
                "  - {id: one, uses: exec, with: {shell: true, run: 'echo \"made in $(pwd)\" > "
                "data.txt; echo f=data.txt >> \"$RUNBOOK_OUTPUT\"'}}\n"
                "  - {id: two, uses: exec, needs: [one], with: {shell: true, run: 'test -f go "
                "&& echo \"two reads: $(cat ${{ steps.one.outputs.f }})\"'}}\n");
}

}  // namespace

TEST_CASE(
    "a resume keeps the base its run ran in although working_directory was edited (breakK "
    "K14)",
    "[cli][store-location][resume]") {
  Project p;
  Shell("mkdir -p " + p.project + "/A " + p.project + "/B");
  CarryBook(p, "runbooks", "working_directory: ../A\n");
  WriteFile(p.project + "/B", "data.txt", "IMPOSTOR in B\n");
  REQUIRE(p.Rb(p.away, "run ../project/runbooks/m.yaml").exit_code == 1);
  std::string id = LatestRunId(p.project + "/.runbook/audit.db");
  REQUIRE(!id.empty());
  Shell("sed -i 's#../A#../B#' " + p.project + "/runbooks/m.yaml; touch " + p.project + "/A/go " +
        p.project + "/B/go");
  // The edit changed the file: refused without --force, as any edit.
  CHECK(p.Rb(p.project, "resume " + id).exit_code == 2);
  Command resumed = p.Rb(p.project, "resume " + id + " --force");
  REQUIRE(resumed.exit_code == 0);
  CHECK_THAT(resumed.err, Catch::Contains("two reads: made in " + p.project + "/A"));
  CHECK_THAT(resumed.err,
             Catch::Contains("working_directory now gives " + p.project + "/B; resuming in " +
                             p.project + "/A, where run " + id + " ran"));
  CHECK(resumed.err.find("IMPOSTOR") == std::string::npos);
  // The resume records the base it ran in, as the run did.
  CHECK(Shell(kSqliteWaiting + p.project +
              "/.runbook/audit.db \"select count(*) from events where kind='run_started' and "
              "json_extract(body, '$.base') = '" +
              p.project + "/A'\"")
            .out == "2\n");
  // A variant: the base itself is gone. Nothing runs; the error names it.
  CarryBook(p, "other", "working_directory: ../C\n");
  Shell("mkdir -p " + p.project + "/C");
  REQUIRE(p.Rb(p.away, "run ../project/other/m.yaml").exit_code == 1);
  std::string gone = LatestRunId(p.project + "/.runbook/audit.db");
  Shell("mv " + p.project + "/C " + p.project + "/C-old; mkdir " + p.project + "/C2; sed -i " +
        "'s#../C#../C2#' " + p.project + "/other/m.yaml");
  Command refused = p.Rb(p.project, "resume " + gone + " --force");
  CHECK(refused.exit_code == 3);
  CHECK_THAT(refused.err, Catch::Contains("run " + gone + " ran in " + p.project +
                                          "/C, which is no longer a folder"));
  CHECK(Shell("ls " + p.project + "/C2").out.empty());
}

TEST_CASE("a run whose runbook moved is resumed with --runbook, checked by sha256 (breakK K19)",
          "[cli][store-location][resume]") {
  Project p;
  CarryBook(p, "rb", "");
  REQUIRE(p.Rb(p.away, "run ../project/rb/m.yaml").exit_code == 1);
  std::string db = p.project + "/.runbook/audit.db";
  std::string id = LatestRunId(db);
  REQUIRE(!id.empty());
  Shell("touch " + p.project + "/rb/go; mv " + p.project + "/rb " + p.project + "/rb-moved");
  // Without --runbook: where it was and how to go on, exit 2, nothing run.
  Command lost = p.Rb(p.away, "resume " + id + " --audit-db " + db);
  CHECK(lost.exit_code == 2);
  CHECK_THAT(lost.err, Catch::Contains("the runbook of run " + id + " was " + p.project +
                                       "/rb/m.yaml, which cannot be read now"));
  CHECK_THAT(lost.err, Catch::Contains("runbook resume " + id + " --runbook FILE"));
  CHECK(LatestRunId(db) == id);
  // A different file under the new name is refused (its sha256 is not the run's).
  CarryBook(p, "impostor", "# another runbook\n");
  Command other =
      p.Rb(p.away, "resume " + id + " --runbook ../project/impostor/m.yaml --audit-db " + db);
  CHECK(other.exit_code == 2);
  CHECK_THAT(other.err, Catch::Contains("changed since run " + id));
  // The moved file itself: the base moves with it, and the resume says so.
  Command resumed =
      p.Rb(p.away, "resume " + id + " --runbook ../project/rb-moved/m.yaml --audit-db " + db);
  REQUIRE(resumed.exit_code == 0);
  CHECK_THAT(resumed.err, Catch::Contains("two reads: made in " + p.project + "/rb\n"));
  CHECK_THAT(resumed.err, Catch::Contains("the runbook moved, so this resume runs in " + p.project +
                                          "/rb-moved"));
  CHECK_THAT(resumed.err, Catch::Contains("1 step(s) carried over"));
}

TEST_CASE(
    "resume --runbook: a copy or a link is no move, another runbook is never resumed, the "
    "advice carries the store (breakL L4 L5 L6 L16)",
    "[cli][store-location][resume]") {
  Project p;
  CarryBook(p, "rb", "");
  std::string db = p.project + "/.runbook/audit.db";
  REQUIRE(p.Rb(p.away, "run ../project/rb/m.yaml --audit-db " + db).exit_code == 1);
  std::string id = LatestRunId(db);
  REQUIRE(!id.empty());
  Shell("touch " + p.project + "/rb/go");
  // Another runbook (another name): refused even with --force, nothing run.
  WriteFile(p.project, "other.yaml",
            "version: 1\nname: restore-prod\nsteps:\n"
            "  - {id: one, uses: exec, with: {shell: true, run: 'true'}}\n"
            "  - {id: two, uses: exec, needs: [one], with: {shell: true, run: 'echo SWAPPED > "
            "swapped.txt'}}\n");
  Command other = p.Rb(p.away, "resume " + id +
                                   " --runbook ../project/other.yaml --force "
                                   "--audit-db " +
                                   db);
  CHECK(other.exit_code == 2);
  CHECK_THAT(other.err, Catch::Contains("run " + id +
                                        " is a run of 'm'; ../project/other.yaml "
                                        "is 'restore-prod'; a resume continues the same runbook"));
  CHECK(Shell("find " + p.root + " -name swapped.txt").out.empty());
  // A link to the very file: the recorded base, and no false word about working_directory.
  Shell("ln -s " + p.project + "/rb/m.yaml " + p.away + "/link.yaml");
  // A copy elsewhere while the recorded file is still there: not a move either.
  Shell("mkdir -p " + p.root + "/copy && cp " + p.project + "/rb/m.yaml " + p.root + "/copy/");
  Command copy =
      p.Rb(p.away, "resume " + id + " --runbook " + p.root + "/copy/m.yaml --audit-db " + db);
  REQUIRE(copy.exit_code == 0);
  CHECK_THAT(copy.err, Catch::Contains("two reads: made in " + p.project + "/rb\n"));
  CHECK_THAT(copy.err, !Catch::Contains("moved"));
  CHECK_THAT(copy.err, !Catch::Contains("working_directory"));
  // Through the link, a second run and its resume: the same.
  Shell("rm " + p.project + "/rb/go");
  REQUIRE(p.Rb(p.away, "run ../project/rb/m.yaml --audit-db " + db).exit_code == 1);
  std::string id2 = LatestRunId(db);
  Shell("touch " + p.project + "/rb/go");
  Command linked = p.Rb(p.away, "resume " + id2 + " --runbook link.yaml --audit-db " + db);
  REQUIRE(linked.exit_code == 0);
  CHECK_THAT(linked.err, !Catch::Contains("working_directory"));
  CHECK_THAT(linked.err, !Catch::Contains("moved"));
  // The advice for a runbook that is gone carries the store it was given.
  Shell("rm " + p.project + "/rb/go");
  REQUIRE(p.Rb(p.away, "run ../project/rb/m.yaml --audit-db " + db).exit_code == 1);
  std::string id3 = LatestRunId(db);
  Shell("mv " + p.project + "/rb " + p.project + "/rb2");
  Command lost = p.Rb(p.away, "resume " + id3 + " --audit-db " + db);
  CHECK(lost.exit_code == 2);
  CHECK_THAT(lost.err,
             Catch::Contains("runbook resume " + id3 + " --runbook FILE --audit-db " + db + " ("));
}

TEST_CASE(
    "a resume whose base is gone or now leads elsewhere announces nothing and runs "
    "nothing (breakL L7 L8)",
    "[cli][store-location][resume]") {
  Project p;
  Shell("mkdir -p " + p.project + "/work " + p.root + "/other");
  CarryBook(p, "rb", "working_directory: ../work\n");
  REQUIRE(p.Rb(p.project, "run rb/m.yaml").exit_code == 1);
  std::string db = p.project + "/.runbook/audit.db", id = LatestRunId(db);
  REQUIRE(!id.empty());
  // The folder replaced by a link to another: refused without --force, said with it.
  WriteFile(p.root + "/other", "data.txt", "OTHER\n");
  Shell("touch " + p.root + "/other/go; mv " + p.project + "/work " + p.project +
        "/work.old; ln -s " + p.root + "/other " + p.project + "/work");
  Command refused = p.Rb(p.project, "resume " + id);
  CHECK(refused.exit_code == 3);
  CHECK_THAT(refused.err, Catch::Contains(p.project + "/work now leads to " + p.root +
                                          "/other; run " + id + " ran in " + p.project + "/work"));
  CHECK_THAT(refused.err, !Catch::Contains("resuming run"));
  CHECK(LatestRunId(db) == id);  // no run announced and never recorded
  Command forced = p.Rb(p.project, "resume " + id + " --force");
  CHECK(forced.exit_code == 0);
  CHECK_THAT(forced.err, Catch::Contains("resuming there anyway (--force)"));
  // Gone: exit 3 before any "resuming ... as" line.
  Shell("rm -f " + p.project + "/work; rm -f " + p.root + "/other/go");
  REQUIRE(p.Rb(p.project, "run rb/m.yaml").exit_code == 3);  // its base is gone too
  Shell("ln -s " + p.root + "/other " + p.project + "/work");
  REQUIRE(p.Rb(p.project, "run rb/m.yaml").exit_code == 1);
  std::string id2 = LatestRunId(db);
  Shell("rm " + p.project + "/work");
  Command gone = p.Rb(p.project, "resume " + id2);
  CHECK(gone.exit_code == 3);
  CHECK_THAT(gone.err, Catch::Contains("which is no longer a folder"));
  CHECK_THAT(gone.err, !Catch::Contains("resuming run"));
}

TEST_CASE(
    "a project moved with its store: resume --runbook finds the store from the file and "
    "re-roots absolute outputs (breakL L25 L29 L7)",
    "[cli][store-location][resume]") {
  Project p;
  Shell("mkdir -p " + p.project + "/rb");
  WriteFile(p.project + "/rb", "a.yaml",
            "version: 1\nname: a\nsteps:\n"
            "  - {id: gate, uses: approval, with: {prompt: go}}\n"
            "  - {id: one, uses: exec, needs: [gate], with: {shell: true, run: 'echo made > "
            "data.txt; echo \"f=$(pwd)/data.txt\" >> \"$RUNBOOK_OUTPUT\"'}}\n"
            "  - {id: two, uses: exec, needs: [one], with: {shell: true, run: 'test -f go && "
            "echo \"two reads $(cat ${{ steps.one.outputs.f }}) from ${{ steps.one.outputs.f "
            "}}\"'}}\n");
  REQUIRE(p.Rb(p.away, "run ../project/rb/a.yaml --yes").exit_code == 1);
  std::string id = LatestRunId(p.project + "/.runbook/audit.db");
  REQUIRE(!id.empty());
  std::string moved = p.root + "/moved";
  Shell("mv " + p.project + " " + moved + " && touch " + moved + "/rb/go");
  // A usage error names no run id that would never be recorded (L7).
  Command typo = p.Rb(p.away, "resume " + id + " --runbook ../moved/rb/a.yaml --approve gaet");
  CHECK(typo.exit_code == 2);
  CHECK_THAT(typo.err, !Catch::Contains("resuming run"));
  // From elsewhere, --runbook alone: the store is found from the file's folder (L29), and the
  // absolute path step one gave is re-rooted under the new place (L25).
  Command resumed = p.Rb(p.away, "resume " + id + " --runbook ../moved/rb/a.yaml");
  INFO(resumed.err);
  REQUIRE(resumed.exit_code == 0);
  CHECK_THAT(resumed.err, Catch::Contains("runbook: audit store " + moved + "/.runbook/audit.db"));
  CHECK_THAT(resumed.err, Catch::Contains("1 carried-over output(s) naming files under " +
                                          p.project + "/rb now name them under " + moved + "/rb"));
  CHECK_THAT(resumed.err, Catch::Contains("two reads made from " + moved + "/rb/data.txt"));
}

TEST_CASE(
    "resume after the checkout moved runs again the steps that wrote files at the old "
    "place, or refuses (breakM M31)",
    "[cli][store-location][resume]") {
  // A backup's metadata names its source by absolute path, though its outputs are relative:
  // carried over, the next step read the old place (the drill's env file did the same).
  Project p;
  REQUIRE(Shell(kSqliteWaiting + p.project + "/live.sqlite 'create table t(x)'").exit_code == 0);
  WriteFile(p.project, "check.sh",
            "test -f go || exit 1\nsrc=$(grep '\"source\"' \"$1\" | cut -d'\"' -f4)\n"
            "echo \"source $src\"\ntest -f \"$src\"\n");
  std::string check =
      "  - {id: c, uses: exec, needs: [NEED], with: {run: [sh, check.sh, "
      "'${{ steps.b.outputs.meta }}']}}\n";
  auto book = [&](const std::string& between, const std::string& need) {
    std::string c = check;
    c.replace(c.find("NEED"), 4, need);
    WriteFile(p.project, "a.yaml",
              "version: 1\nname: a\nsteps:\n"
              "  - {id: b, uses: backup, with: {database: live.sqlite, dest: dumps}}\n" +
                  between + c);
  };
  book("", "b");
  REQUIRE(p.Rb(p.project, "run a.yaml").exit_code == 1);
  std::string id = LatestRunId(p.project + "/.runbook/audit.db");
  std::string moved = p.root + "/moved";
  Shell("mv " + p.project + " " + moved + " && touch " + moved + "/go");
  Command resumed = p.Rb(p.away, "resume " + id + " --runbook ../moved/a.yaml");
  INFO(resumed.err);
  CHECK(resumed.exit_code == 0);
  CHECK_THAT(resumed.err, Catch::Contains("1 carried step(s) run again here, as they wrote files "
                                          "at the old place (they are idempotent): b") &&
                              Catch::Contains("source " + moved + "/live.sqlite"));
  CHECK(Shell("test -e " + p.project).exit_code != 0);  // nothing made at the old place

  // A step after it that is not idempotent passed: refused, with the command for a new run.
  Shell("mv " + moved + " " + p.project + " && rm " + p.project + "/go");
  book("  - {id: n, uses: exec, needs: [b], with: {run: [echo, notified]}}\n", "n");
  REQUIRE(p.Rb(p.project, "run a.yaml").exit_code == 1);
  id = LatestRunId(p.project + "/.runbook/audit.db");
  Shell("mv " + p.project + " " + moved + " && touch " + moved + "/go");
  Command refused = p.Rb(p.away, "resume " + id + " --runbook ../moved/a.yaml");
  CHECK(refused.exit_code == 2);
  CHECK_THAT(refused.err, Catch::Contains("step(s) n after them passed and are not idempotent") &&
                              Catch::Contains("runbook run " + moved + "/a.yaml"));
}

// breakN N10: a link to the runbook file itself ran at the link's folder, with another store
// (another history, another lock namespace).
TEST_CASE("a runbook run through a link to its file runs at the file's folder, with its store",
          "[cli][store]") {
  std::string dir = TempDir();
  Shell("mkdir -p " + dir + "/a/b/c " + dir + "/real/.runbook " + dir + "/xdg");
  WriteFile(dir + "/real", "rb.yaml",
            "version: 1\nname: x\nsteps:\n  - {id: a, uses: exec, with: {run: [pwd]}}\n");
  Shell("ln -s ../../../real/rb.yaml " + dir + "/a/b/c/link.yaml");
  Command c = Shell("unset RUNBOOK_AUDIT_DB; cd " + dir + " && XDG_STATE_HOME=" + dir + "/xdg " +
                    Binary() + " run a/b/c/link.yaml 2>&1");
  INFO(c.out);
  CHECK(c.exit_code == 0);
  CHECK_THAT(c.out, Catch::Contains("audit store " + dir + "/real/.runbook/audit.db") &&
                        Catch::Contains("a | " + dir + "/real\n"));
  CHECK(Shell("ls " + dir + "/xdg").out.empty());
}

TEST_CASE("resume does not run another account's runbook file unless it is named",
          "[cli][store-location][resume]") {
  // breakO O9 (b): a run planted in a store by another account named that account's file;
  // `resume ID`, the command `show` prints, ran it as root.
  std::string dir = TempDir();
  WriteFile(dir, "f.yaml",
            "version: 1\nname: f\nsteps:\n  - {id: a, uses: exec, with: {run: [test, -f, " + dir +
                "/ok]}}\n");
  std::string rb = "cd " + dir + " && " + Binary();
  REQUIRE(Shell(rb + " run f.yaml --audit-db a.db").exit_code == 1);
  std::string id = LatestRunId(dir + "/a.db");
  Shell("touch " + dir + "/ok");
  for (const char* make : {"chown nobody f.yaml", "chown root f.yaml && chmod 666 f.yaml"}) {
    CAPTURE(make);
    Shell("cd " + dir + " && " + make);
    Command refused = Shell(rb + " resume " + id + " --audit-db a.db");
    CHECK(refused.exit_code == 2);
    CHECK_THAT(refused.err,
               Catch::Contains("the runbook of run " + id + ": " + dir + "/f.yaml is ") &&
                   Catch::Contains("a resume would run it as you") &&
                   Catch::Contains("--runbook " + dir + "/f.yaml"));
    CHECK_THAT(refused.err, !Catch::Contains("resuming run"));
  }
  Command named = Shell(rb + " resume " + id + " --runbook " + dir + "/f.yaml --audit-db a.db");
  INFO(named.err);
  CHECK(named.exit_code == 0);
}

TEST_CASE("a runbook reached through a linked folder and '..' is the file the kernel opens",
          "[cli][store-location]") {
  // breakO O17: `run a/lnk/../r.yaml` (a/lnk -> b/sub) ran b/r.yaml, but recorded, based and
  // stored it as a/r.yaml, another runbook. Variants: absolute and relative from the caller.
  std::string dir = TempDir();
  Shell("mkdir -p " + dir + "/a/.runbook " + dir + "/b/sub " + dir + "/b/.runbook && ln -s " + dir +
        "/b/sub " + dir + "/a/lnk");
  for (const char* x : {"a", "b"})
    WriteFile(dir + "/" + x, "r.yaml",
              std::string("version: 1\nname: r") + x +
                  "\nsteps:\n  - {id: s, uses: exec, with: {shell: true, run: 'pwd -P'}}\n");
  for (const std::string& how :
       {"cd " + dir + " && " + Binary() + " run " + dir + "/a/lnk/../r.yaml",
        "cd " + dir + "/a && " + Binary() + " run lnk/../r.yaml"}) {
    CAPTURE(how);
    Command c = Shell("unset RUNBOOK_AUDIT_DB; " + how);  // the store is found, not given
    INFO(c.err);
    CHECK(c.exit_code == 0);
    CHECK_THAT(c.err, Catch::Contains("audit store " + dir + "/b/.runbook/audit.db") &&
                          Catch::Contains("s | " + dir + "/b\n"));
  }
  CHECK(Shell(kSqliteWaiting + dir +
              "/b/.runbook/audit.db 'select distinct runbook || \" \" || path " + "from runs'")
            .out == "rb " + dir + "/b/r.yaml\n");
  CHECK(Shell("test -e " + dir + "/a/.runbook/audit.db").exit_code != 0);
}

// The store holds params, outputs and the tails of every command's output: a new one was
// 0644 whatever the umask (round Z). It is 0600, and so are its -wal and -shm.
TEST_CASE("a new audit store is readable by its owner only", "[cli][store]") {
  std::string dir = TempDir();
  WriteFile(dir, "t.yaml",
            "version: 1\nname: t\nsteps:\n  - {id: a, uses: log, with: {message: x}}\n");
  Command run = Shell("cd " + dir + " && mkdir -m 0700 s && umask 000 && " + Binary() +
                      " run t.yaml --audit-db s/a.db");
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 0);
  CHECK(Shell("stat -c %a " + dir + "/s/a.db").out == "600\n");
  CHECK(Shell("cd " + dir + "/s && stat -c %a a.db-* 2>/dev/null | sort -u").out != "644\n");
}
