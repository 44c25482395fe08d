// The key <-> path mapping refuses every form that could leave a folder and keeps every
// other name; SafeRoot never writes, renames or deletes through a link below its root, with
// openat2 and with the O_NOFOLLOW fallback.
#include "steps/common/safe_path.h"

#include <unistd.h>

#include <catch2/catch.hpp>

#include "steps/common/scratch.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

TEST_CASE("safe path: each unsafe form is refused, naming the key", "[safe_path]") {
  struct Case {
    std::string rel, why;
  };
  std::vector<Case> cases{{"", "it is empty"},
                          {"/etc/passwd", "it is absolute"},
                          {"a//b", "it has an empty segment"},
                          {"a/", "it has an empty segment"},
                          {".", "it has a '.' segment"},
                          {"a/./b", "it has a '.' segment"},
                          {"a/.", "it has a '.' segment"},
                          {"..", "it has a '..' segment (it would leave the folder)"},
                          {"../../victim.txt", "it has a '..' segment (it would leave the folder)"},
                          {"a/../../x.gz", "it has a '..' segment (it would leave the folder)"},
                          {"a/..", "it has a '..' segment (it would leave the folder)"},
                          {std::string("a\0b", 3), "it holds a NUL byte"}};
  for (const Case& c : cases) {
    INFO(c.rel);
    CHECK(UnsafeRelReason(c.rel) == c.why);
    auto rel = KeyToRel("daily/", "daily/" + c.rel);
    REQUIRE_FALSE(rel.ok());
    CHECK(RelToKey("daily/", c.rel).status().message().find(c.why) != std::string::npos);
  }
  CHECK(KeyToRel("daily/", "daily/../../victim.txt").status().message() ==
        "refused key 'daily/../../victim.txt': it has a '..' segment (it would leave the "
        "folder); it cannot be a path beneath the destination");
  CHECK(
      KeyToRel("daily/", std::string("daily/a\0b", 9)).status().message().find("'daily/a\\x00b'") !=
      std::string::npos);
  CHECK(KeyToRel("daily/", "weekly/x").status().message() ==
        "refused key 'weekly/x': it is not under 'daily/'");
  CHECK_FALSE(KeyToRel("", "/abs").ok());
}

TEST_CASE("safe path: unusual but legal names map both ways unchanged", "[safe_path]") {
  for (std::string rel : {"a b/c d.txt", "été/日本語.gz", "a..b", "...", "..a", "a.", ".hidden",
                          "a/.../b", "tab\there", "x/y/z/deep.txt", "O'Brien & co <1>.pdf"}) {
    INFO(rel);
    CHECK(UnsafeRelReason(rel).empty());
    auto key = RelToKey("daily/", rel);
    REQUIRE(key.ok());
    CHECK(key.value() == "daily/" + rel);
    auto back = KeyToRel("daily/", key.value());
    REQUIRE(back.ok());
    CHECK(back.value() == rel);
  }
  CHECK(KeyToRel("", "top.txt").value() == "top.txt");
}

namespace {

// A destination `dest` beside a folder `outside` holding victim.txt.
std::string Layout() {
  std::string dir = TempDir();
  Shell("mkdir -p " + dir + "/dest " + dir + "/outside && echo precious > " + dir +
        "/outside/victim.txt");
  return dir;
}

std::string Tree(const std::string& dir) {
  return Shell("cd " + dir + " && find . | LC_ALL=C sort && cat outside/victim.txt").out;
}

// Writes `text` to `rel` beneath `root` through a temporary file.
Status Put(const SafeRoot& root, const std::string& rel, const std::string& text) {
  auto tmp = root.CreateTemp(rel);
  if (!tmp.ok()) return tmp.status();
  if (::write(tmp.value().fd(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
    return Status::Error("short write");
  return tmp.value().Commit();
}

}  // namespace

TEST_CASE("safe root: links below the root are never traversed", "[safe_path]") {
  for (bool openat2 : {true, false}) {
    INFO((openat2 ? "openat2" : "O_NOFOLLOW fallback"));
    SetOpenat2ForTesting(openat2);
    std::string dir = Layout();
    Shell("cd " + dir + " && ln -s ../outside dest/linked && ln -s ../outside/victim.txt dest/v");
    auto root = SafeRoot::Open(dir + "/dest", false);
    REQUIRE(root.ok());
    std::string before = Tree(dir);
    // A folder on the way that is a link: refused, for a file, a folder and a delete.
    Status s = Put(root.value(), "linked/victim.txt", "EVIL\n");
    CHECK(s.message() == "refusing to go through " + dir +
                             "/dest/linked: it is a symbolic link inside the destination");
    CHECK_FALSE(Put(root.value(), "linked/new/x", "EVIL\n").ok());
    CHECK_FALSE(root.value().OpenDir("linked", false).ok());
    CHECK_FALSE(root.value().Unlink("linked/victim.txt").ok());
    CHECK(Tree(dir) == before);
    // A link at the final name is replaced by the file, never written through.
    REQUIRE(Put(root.value(), "v", "new\n").ok());
    CHECK(ReadFile(dir + "/outside/victim.txt") == "precious\n");
    CHECK(ReadFile(dir + "/dest/v") == "new\n");
    CHECK(Shell("test -L " + dir + "/dest/v").exit_code == 1);
    // Folders are made as needed; deleting removes only the named file.
    REQUIRE(Put(root.value(), "a/b/c.txt", "c\n").ok());
    CHECK(ReadFile(dir + "/dest/a/b/c.txt") == "c\n");
    CHECK(root.value().Unlink("a/b/c.txt").ok());
    CHECK(Shell("ls -A " + dir + "/dest/a/b").out.empty());
    CHECK_FALSE(Put(root.value(), "a/../../outside/victim.txt", "EVIL\n").ok());
    CHECK(ReadFile(dir + "/outside/victim.txt") == "precious\n");
  }
  SetOpenat2ForTesting(true);
}

TEST_CASE("safe root: a folder swapped for a link after it was made is not followed",
          "[safe_path]") {
  std::string dir = Layout();
  auto root = SafeRoot::Open(dir + "/dest", false);
  REQUIRE(root.ok());
  REQUIRE(Put(root.value(), "day/one.txt", "1\n").ok());
  // Between listing and writing, someone replaces dest/day with a link to outside.
  Shell("cd " + dir + "/dest && rm -r day && ln -s ../outside day");
  std::string before = Tree(dir);
  CHECK_FALSE(Put(root.value(), "day/victim.txt", "EVIL\n").ok());
  CHECK_FALSE(root.value().Unlink("day/victim.txt").ok());
  CHECK(Tree(dir) == before);
  // A temporary file that is never committed leaves nothing behind.
  {
    auto tmp = root.value().CreateTemp("fresh/t.txt");
    REQUIRE(tmp.ok());
  }
  CHECK(Shell("ls -A " + dir + "/dest/fresh").out.empty());
}

TEST_CASE("safe path: InsideTree resolves links on both sides", "[safe_path]") {
  std::string dir = Layout();
  Shell("cd " + dir +
        " && ln -s ../outside/victim.txt dest/out && echo x > dest/in && ln -s in "
        "dest/alias && ln -s dest tree");
  CHECK(InsideTree(dir + "/dest", dir + "/dest/in"));
  CHECK(InsideTree(dir + "/dest", dir + "/dest/alias"));
  CHECK(InsideTree(dir + "/tree", dir + "/dest/alias"));
  CHECK_FALSE(InsideTree(dir + "/dest", dir + "/dest/out"));
  CHECK_FALSE(InsideTree(dir + "/dest", dir + "/dest/missing"));
  CHECK_FALSE(InsideTree(dir + "/de", dir + "/dest/in"));  // a prefix is not a parent
}

TEST_CASE("safe path: Printable escapes control characters and keeps UTF-8", "[safe_path]") {
  CHECK(Printable("plain name.gz") == "plain name.gz");
  CHECK(Printable("été/日本語 \xf0\x9f\x98\x80") == "été/日本語 \xf0\x9f\x98\x80");
  CHECK(Printable("a\nb\tc\x1b[2J\x7f") == "a\\x0ab\\x09c\\x1b[2J\\x7f");
  CHECK(Printable(std::string("a\0b", 3)) == "a\\x00b");
  CHECK(Printable("\xc2\x9b"
                  "31m") == "\\xc2\\x9b31m");      // C1 CSI, as UTF-8
  CHECK(Printable("\xe9t\xe9") == "\\xe9t\\xe9");  // Latin-1, not UTF-8
  CHECK(Printable("\xc0\xaf") == "\\xc0\\xaf");    // overlong '/'
  CHECK(Printable("x\xe2\x82") == "x\\xe2\\x82");  // cut short
}

TEST_CASE("scratch: names fit NAME_MAX for any legal name and are recognised", "[safe_path]") {
  std::string accents;
  while (accents.size() < 255) accents += "\xc3\xa9";
  accents.resize(254);  // 127 characters
  for (const std::string& name : {std::string("a"), std::string("dump.sqlite"),
                                  std::string(255, 'n'), accents, std::string(230, 'x')}) {
    INFO(name.size());
    std::string tmp = ScratchName(name);
    CHECK(tmp.size() + std::string("-journal").size() <= 255);
    CHECK(ScratchOwner(tmp) == static_cast<long>(::getpid()));
    CHECK(ScratchOwner(tmp + "-journal") == static_cast<long>(::getpid()));
    CHECK(tmp.compare(0, 1 + std::min<size_t>(name.size(), 20), "." + name.substr(0, 20)) == 0);
    CHECK(Printable(tmp) == tmp);  // never a UTF-8 character cut in two
  }
  for (const char* not_ours : {".vimrc.tmp-2024", ".a.tmp-12-0123", "a.tmp-1-0123456789abcdef",
                               ".a.tmp-x-0123456789abcdef"})
    CHECK(ScratchOwner(not_ours) == 0);
}
