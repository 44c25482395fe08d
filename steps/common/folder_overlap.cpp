#include "steps/common/folder_overlap.h"

#include <sys/stat.h>

#include <filesystem>

#include "steps/common/safe_path.h"

namespace runbook {
namespace {

// The real path of `path`, its missing tail taken lexically; "" when it cannot be resolved.
std::string Resolved(const std::string& path) {
  std::error_code ec;
  std::string r = std::filesystem::weakly_canonical(std::filesystem::absolute(path), ec).string();
  if (ec) return "";
  while (r.size() > 1 && r.back() == '/') r.pop_back();
  return r;
}

bool Within(const std::string& tree, const std::string& path) {
  return tree == "/" || path == tree || path.compare(0, tree.size() + 1, tree + "/") == 0;
}

// The first of `resolved`'s existing ancestors, itself included, whose identity is `id`
// (walked up by name); "" when none.
std::string AncestorWithId(const std::string& resolved, const std::optional<FolderId>& id) {
  if (!id) return "";
  for (std::filesystem::path p(resolved);; p = p.parent_path()) {
    if (FolderIdOf(p.string()) == id) return p.string();
    if (p == p.parent_path()) return "";
  }
}

// How `ra` relates to `rb` by identity ("is", "is inside", "holds" or ""), and in `met` the
// folder where the identity was found.
const char* ByIdentity(const std::string& ra, const std::string& rb, std::string& met) {
  met = AncestorWithId(rb, FolderIdOf(ra));
  if (!met.empty()) return met == rb ? "is" : "holds";
  met = AncestorWithId(ra, FolderIdOf(rb));
  if (!met.empty()) return met == ra ? "is" : "is inside";
  return "";
}

}  // namespace

std::optional<FolderId> FolderIdOf(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return std::nullopt;
  return FolderId{st.st_dev, st.st_ino};
}

std::string TreesOverlap(const std::string& a, const std::string& b) {
  std::string ra = Resolved(a), rb = Resolved(b), met;
  if (ra.empty() || rb.empty()) return "";
  const char* how = ra == rb ? "is" : Within(rb, ra) ? "is inside" : Within(ra, rb) ? "holds" : "";
  bool by_name = *how != '\0';
  if (!by_name) how = ByIdentity(ra, rb, met);
  if (*how == '\0') return "";
  std::string text = "'" + Printable(a) + "' (" + Printable(ra) + ") " + how + " '" + Printable(b) +
                     "' (" + Printable(rb) + ")";
  if (!by_name)
    text += ": " + Printable(met) +
            " is the same folder as the other, reached by another path "
            "(a bind mount or an alias: same device and inode)";
  return text;
}

}  // namespace runbook
