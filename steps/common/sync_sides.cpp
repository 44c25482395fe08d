#include "steps/common/sync_sides.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <filesystem>
#include <optional>

#include "engine/util/crypto.h"
#include "engine/util/input_file.h"
#include "engine/util/own_file.h"
#include "steps/common/etag_proof.h"
#include "steps/common/files.h"
#include "steps/common/folder_overlap.h"
#include "steps/common/safe_path.h"
#include "steps/common/scratch.h"

namespace fs = std::filesystem;

namespace runbook {

SyncSide ParseSide(const std::string& spec) {
  SyncSide side;
  std::string prefix;
  if (ParseS3Url(spec, side.bucket, prefix)) {
    side.is_s3 = true;
    side.root = prefix.empty() || prefix.back() == '/' ? prefix : prefix + "/";
  } else {
    side.root = spec;
  }
  return side;
}

std::string S3SideProblem(const std::string& spec) {
  if (spec.rfind("s3://", 0) != 0) return "";
  std::string rest = spec.substr(5);
  std::string bucket = rest.substr(0, rest.find('/'));
  std::string shown = "'" + Printable(spec) + "'";
  if (bucket.empty())
    return shown + " has no bucket (an unset param or variable?); an s3:// side names a bucket";
  if (bucket.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789.-") != std::string::npos)
    return shown + ": the bucket '" + Printable(bucket) +
           "' may hold only lowercase letters, digits, '.' and '-'";
  // S3's bucket naming rules on dots and ends (AWS's "Bucket naming rules", which MinIO
  // follows): '.' and '..' would be folded by HTTP into another path (breakDD D11). The
  // 3-character minimum is left to the service (some S3-compatible ones allow less).
  auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  if (bucket.size() > 63 || !alnum(bucket.front()) || !alnum(bucket.back()) ||
      bucket.find("..") != std::string::npos)
    return shown + ": the bucket '" + Printable(bucket) +
           "' is no S3 bucket name (at most 63 characters, beginning and ending with a letter "
           "or digit, no '..')";
  if (bucket.size() == rest.size()) return "";
  std::string prefix = rest.substr(bucket.size() + 1);
  if (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  for (size_t at = 0; !prefix.empty() && at <= prefix.size();) {
    size_t end = std::min(prefix.find('/', at), prefix.size());
    std::string segment = prefix.substr(at, end - at);
    if (segment.empty() || segment == "." || segment == "..")
      return shown +
             ": the key prefix may not hold an empty, '.' or '..' segment (S3 keeps "
             "them as text, HTTP folds them)";
    at = end + 1;
  }
  return "";
}

namespace {

// The id of the mount `path` is on (statx STATX_MNT_ID, links not followed); nullopt when
// the kernel does not say.
std::optional<uint64_t> MountId(const std::string& path) {
  struct statx stx {};
  if (::statx(AT_FDCWD, path.c_str(), AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) != 0 ||
      (stx.stx_mask & STATX_MNT_ID) == 0)
    return std::nullopt;
  return stx.stx_mnt_id;
}

// Walks a local tree keeping each file's path in the tree (a link's own name). `real_stack`
// holds the resolved folders being walked, so a link back to one of them is a loop.
struct Walker {
  const SyncSide& side;
  const std::vector<std::string>& include;
  const std::vector<std::string>& exclude;
  bool is_dest;
  LinkRules links;
  Listing& out;
  const SafeRoot* root;           // the source's, to vet what a link leads to
  std::optional<FolderId> other;  // the other side's folder, when it is local
  std::vector<std::string> real_stack;
  std::optional<uint64_t> dest_mount = std::nullopt;  // a destination's root's (MountId)

  Status Walk(const fs::path& dir, const std::string& rel_dir, bool via_link) {
    if (!rel_dir.empty() && other && FolderIdOf(dir.string()) == other)
      return Status::Error(MetOther(rel_dir));
    std::error_code ec;
    real_stack.push_back(fs::canonical(dir, ec).string());
    for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator();
         it.increment(ec)) {
      Status s = Visit(it->path(), rel_dir + it->path().filename().string(), via_link);
      if (!s.ok()) return s;
    }
    real_stack.pop_back();
    if (ec) return Status::Error("cannot list " + Printable(dir.string()) + ": " + ec.message());
    return Status::Ok();
  }

  // breakH H16: the other side's folder met inside this one by identity (a bind mount).
  std::string MetOther(const std::string& rel_dir) const {
    return "the source and the destination overlap: '" + Printable(rel_dir) + "' in " +
           (is_dest ? "the destination is the source" : "the source is the destination") +
           " folder itself, reached by another path (a bind mount or an alias: same device "
           "and inode)";
  }

  Status Visit(const fs::path& path, const std::string& rel, bool via_link) {
    std::error_code ec;
    fs::file_status own = fs::symlink_status(path, ec);
    if (fs::is_symlink(own)) return Link(path, rel);
    // A mirror stays on its destination's mount, as rsync -x: a bind mount inside it (of the
    // live database's folder) would take the sync's writes and deletes (breakDD D8).
    if (is_dest && fs::is_directory(own) && dest_mount && MountId(path.string()) != dest_mount)
      return Status::Error("the destination holds another mount at '" + Printable(rel) +
                           "' (a bind mount or another file system): a mirror stays on one "
                           "mount, and what is mounted there is not the sync's to change");
    if (fs::is_directory(own)) return Walk(path, rel + "/", via_link);
    if (fs::is_regular_file(own)) {
      Add(path, rel, via_link);
    } else if (!is_dest) {
      struct stat st;
      Special(rel, "", lstat(path.c_str(), &st) == 0 ? FileKindName(st.st_mode) : "gone");
    }
    return Status::Ok();
  }

  // A source's special file (FIFO, socket, device), or a link that leads to one (`shown`,
  // "'rel' -> 'target'"): left out, said, and what its name holds at the destination kept
  // (breakG #8: never silently; break22a #1: a link to a FIFO or /dev/zero was dropped
  // without a word, and `delete` removed its name's copy at the destination).
  void Special(const std::string& rel, const std::string& shown, const std::string& kind) {
    if (!Selected(rel, include, exclude)) return;
    out.special.push_back(shown.empty() ? "'" + Printable(rel) + "' (" + kind + ")"
                                        : "link " + shown + " (to " + kind + ")");
    out.special_rel.push_back(rel);
  }

  Status Link(const fs::path& path, const std::string& rel) {
    if (is_dest) return Status::Ok();  // never followed, left alone
    std::error_code ec;
    std::string shown =
        "'" + Printable(rel) + "' -> '" + Printable(fs::read_symlink(path, ec).string()) + "'";
    if (!links.follow) {
      out.skipped.push_back(rel);
      return Status::Ok();
    }
    fs::file_status target = fs::status(path, ec);
    if (ec || !fs::exists(target)) {
      out.refused.push_back("refused link " + shown + ": its target does not exist");
    } else if (!links.allow_outside && !InsideTree(side.root, path.string())) {
      out.refused.push_back("refused link " + shown +
                            ": its target is outside the source folder "
                            "(allow_outside_links: true would follow it)");
    } else if (fs::is_directory(target)) {
      std::string real = fs::canonical(path, ec).string();
      if (std::find(real_stack.begin(), real_stack.end(), real) != real_stack.end())
        out.refused.push_back("refused link " + shown + ": it loops back to a folder above it");
      else
        return Walk(path, rel + "/", true);
    } else if (fs::is_regular_file(target)) {
      Add(path, rel, true);
    } else {
      struct stat st;
      Special(rel, shown, ::stat(path.c_str(), &st) == 0 ? FileKindName(st.st_mode) : "gone");
    }
    return Status::Ok();
  }

  void Add(const fs::path& path, const std::string& rel, bool via_link) {
    std::string name = path.filename().string();
    if (is_dest && ScratchOwner(name) != 0) {  // runbook's own scratch file, never synced
      if (ScratchOfDeadRun(path.parent_path().string(), name)) out.debris.push_back(rel);
      return;
    }
    if (!Selected(rel, include, exclude)) return;
    std::error_code ec;
    SyncEntry e{rel, static_cast<uint64_t>(fs::file_size(path, ec)), "", "", "", {}, {}, {}};
    if (via_link && root != nullptr) {  // the file the link leads to now, opened and vetted
      e.reach = links.allow_outside ? Reach::kLinksAnywhere : Reach::kLinksInside;
      auto fd = root->OpenRead(rel, e.reach, nullptr, &e.id);
      if (!fd.ok()) return out.refused.push_back(fd.status().message());
    }
    out.entries.push_back(e);
  }
};

// Copies the open `in_fd` (`shown` in messages) into the open `out_fd`.
Status CopyInto(int in_fd, const std::string& shown, int out_fd) {
  char buf[1 << 16];
  for (ssize_t n; (n = ::read(in_fd, buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::FromErrno("cannot read " + shown, errno);
    for (ssize_t done = 0; done < n;) {
      ssize_t w = ::write(out_fd, buf + done, static_cast<size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return Status::FromErrno("cannot write the copy of " + shown, errno);
      done += w;
    }
  }
  return Status::Ok();
}

std::string ProcPath(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

}  // namespace

Result<Listing> ListLocal(const SyncSide& side, const std::vector<std::string>& include,
                          const std::vector<std::string>& exclude, bool is_dest,
                          const LinkRules& links, const std::string& other_root) {
  Listing out;
  std::error_code ec;
  if (!fs::is_directory(side.root, ec)) {
    if (is_dest && !fs::exists(side.root, ec)) return out;
    return Status::Error("no folder " + Printable(side.root));
  }
  std::optional<SafeRoot> root;
  if (!is_dest) {
    auto opened = SafeRoot::OpenSource(side.root);
    if (!opened.ok()) return opened.status();
    root.emplace(std::move(opened).value());
  }
  std::optional<FolderId> other = other_root.empty() ? std::nullopt : FolderIdOf(other_root);
  Walker w{side, include, exclude, is_dest, links, out, root ? &*root : nullptr, other, {}};
  if (is_dest) w.dest_mount = MountId(side.root);
  Status s = w.Walk(side.root, "", false);
  if (!s.ok()) return s;
  return out;
}

namespace {
// Why an object whose key ends in '/' and holds bytes is not copied: no file can have
// that name, and it is data, so it is named (the step fails at the end), never skipped.
std::string MarkerWithContent(const S3Object& o) {
  return "key '" + Printable(o.key) + "' ends with '/' but holds " + std::to_string(o.size) +
         " bytes: no file can have that name (a folder marker must be empty); not copied";
}
}  // namespace

Result<Listing> ListS3(S3Client& s3, const SyncSide& side, const std::vector<std::string>& include,
                       const std::vector<std::string>& exclude, const CancelToken& cancel) {
  auto objects = s3.List(side.root, cancel);
  if (!objects.ok()) return objects.status();
  Listing out;
  for (const S3Object& o : objects.value()) {
    if (o.key == side.root || o.key.back() == '/') {  // folder markers, empty by rule
      if (o.size > 0) out.refused.push_back(MarkerWithContent(o));
      continue;
    }
    auto rel = KeyToRel(side.root, o.key);
    if (!rel.ok()) {
      out.refused.push_back(rel.status().message());
      continue;
    }
    if (!Selected(rel.value(), include, exclude)) continue;
    out.entries.push_back({rel.value(), o.size, o.etag, "", "", {}, {}, {}});
  }
  return out;
}

void RefuseScratchNames(Listing& source) {
  auto scratch = [&source](const SyncEntry& e) {
    if (ScratchOwner(BaseName(e.rel)) == 0) return false;
    source.refused.push_back("'" + Printable(e.rel) +
                             "' has the name of one of runbook's scratch files: at the "
                             "destination a later run would remove it as a dead run's debris; "
                             "not copied");
    return true;
  };
  auto& entries = source.entries;
  entries.erase(std::remove_if(entries.begin(), entries.end(), scratch), entries.end());
}

Result<UniqueFd> OpenLocal(const SyncSide& side, const SyncEntry& e) {
  auto root = SafeRoot::OpenSource(side.root);
  if (!root.ok()) return root.status();
  return root.value().OpenRead(e.rel, e.reach, e.reach == Reach::kNoLink ? nullptr : &e.id);
}

Status DigestLocal(const SyncSide& side, SyncEntry& e, const StopCheck& stop) {
  if (!e.sha256.empty()) return Status::Ok();
  auto fd = OpenLocal(side, e);
  if (!fd.ok()) return fd.status();
  auto d = DigestFile(ProcPath(fd.value().get()), stop);
  if (!d.ok()) return d.status();
  e.sha256 = d.value().sha256;
  e.md5 = d.value().md5;
  e.size = d.value().size;
  return Status::Ok();
}

std::optional<uint64_t> LocalMultipartPartSize(const SyncSide& side, const SyncEntry& e,
                                               const std::string& etag, uint64_t preferred) {
  auto fd = OpenLocal(side, e);
  if (!fd.ok()) return std::nullopt;
  return MultipartPartSize(ProcPath(fd.value().get()), e.size, etag, preferred);
}

namespace {
// An upload's error, said as what it is when the file changed while it was read and sent
// (size, modification or change time differ from `before`): the server refused parts that
// were not the bytes digested, and nothing was stored.
Status ChangedWhileSent(int fd, const struct stat& before, const SyncEntry& e, Status error) {
  struct stat now {};
  if (::fstat(fd, &now) != 0 ||
      (now.st_size == before.st_size && now.st_mtim.tv_sec == before.st_mtim.tv_sec &&
       now.st_mtim.tv_nsec == before.st_mtim.tv_nsec &&
       now.st_ctim.tv_sec == before.st_ctim.tv_sec &&
       now.st_ctim.tv_nsec == before.st_ctim.tv_nsec))
    return error;
  return Status::Error("'" + Printable(e.rel) +
                       "' changed while it was uploaded; nothing was stored (" + error.message() +
                       ")");
}
}  // namespace

Status Upload(S3Client& s3, const SyncSide& from, const SyncSide& to, SyncEntry& e,
              const UploadOptions& options, const CancelToken& cancel, SyncEntry& out) {
  auto key = RelToKey(to.root, e.rel);
  if (!key.ok()) return key.status();
  auto fd = OpenLocal(from, e);  // read once, through this descriptor only
  if (!fd.ok()) return fd.status();
  std::string path = ProcPath(fd.value().get());
  struct stat before {};
  ::fstat(fd.value().get(), &before);
  bool multipart = e.size >= options.multipart_threshold;
  auto d = DigestFile(path, StopCheck([&cancel] { return cancel.cancelled(); }),
                      multipart ? options.part_size : 0);  // the one read of its bytes
  if (!d.ok()) return d.status();
  e.sha256 = d.value().sha256;
  e.md5 = d.value().md5;
  auto put = multipart ? s3.PutMultipart(key.value(), path, d.value(), options.part_size,
                                         options.parallel, cancel)
                       : s3.Put(key.value(), path, d.value().sha256, d.value().md5_raw,
                                d.value().size, cancel);
  if (!put.ok()) return ChangedWhileSent(fd.value().get(), before, e, put.status());
  if (options.require_encryption && put.value().sse.empty())
    return Status::Error("s3://" + to.bucket + "/" + Printable(key.value()) +
                         ": the server did not confirm encryption at rest "
                         "(require_encryption); the object is not trusted as stored");
  out = {e.rel, d.value().size, put.value().etag, d.value().sha256, d.value().md5, {}, {}, {}};
  return Status::Ok();
}

namespace {

// What the downloaded file `d` is, measured against the listed object `e`: `mismatch` when
// it is not the object; else `by` names what proved it, or is "" when nothing could (then
// `missing` says why).
struct DownloadProof {
  std::string mismatch, by, missing;
};

// `recorded`: the x-amz-meta-sha256 the GET answer carried. Every proof there is must hold
// (breakI I30: bytes that contradicted their recorded sha256 were kept as the ETag matched).
DownloadProof ProveDownload(const SyncEntry& e, const std::string& file,
                            const Result<FileDigests>& d, const std::string& recorded,
                            const DownloadOptions& options) {
  if (!d.ok()) return {d.status().message(), "", ""};
  if (d.value().size != e.size)
    return {"size " + std::to_string(d.value().size) + ", listed " + std::to_string(e.size), "",
            ""};
  if (!recorded.empty() && recorded != d.value().sha256)
    return {"sha256 " + d.value().sha256 + " is not the recorded " + Printable(recorded), "", ""};
  if (IsMd5Etag(e.etag) && d.value().md5 != e.etag)
    return {"md5 " + d.value().md5 + " is not the ETag " + Printable(e.etag), "", ""};
  if (!recorded.empty()) return {"", "its recorded sha256", ""};
  if (IsMd5Etag(e.etag)) return {"", "its ETag (MD5)", ""};
  if (auto part = MultipartPartSize(file, e.size, e.etag, options.part_size))
    return {"", "its multipart ETag (parts of " + std::to_string(*part) + " bytes)", ""};
  return {"", "",
          "its ETag " + Printable(e.etag) +
              (IsMultipartEtag(e.etag) ? " is a multipart ETag of no part size tried"
                                       : " is not an MD5") +
              " and it has no sha256 metadata"};
}

}  // namespace

Status Download(S3Client& s3, const SyncSide& from, const SyncSide& to, const SyncEntry& e,
                const DownloadOptions& options, const CancelToken& cancel, SyncEntry& out) {
  auto key = RelToKey(from.root, e.rel);
  if (!key.ok()) return key.status();
  std::string shown = "s3://" + from.bucket + "/" + Printable(key.value());
  auto root = SafeRoot::Open(to.root, true);
  if (!root.ok()) return root.status();
  // Removed when it goes, unless committed; 0600: an object has no mode to carry (W12).
  auto tmp = root.value().CreateTemp(e.rel, 0600);
  if (!tmp.ok()) return Status::Error(shown + ": " + tmp.status().message());
  std::string recorded;
  Status s = s3.Get(key.value(), tmp.value().ProcPath(), e.size, cancel, &recorded);
  if (!s.ok()) return s;
  auto d = DigestFile(tmp.value().ProcPath(), StopCheck([&cancel] { return cancel.cancelled(); }));
  DownloadProof proof = ProveDownload(e, tmp.value().ProcPath(), d, recorded, options);
  if (!proof.mismatch.empty())
    return Status::Error("download of " + shown + " does not check out (" + proof.mismatch +
                         "); kept nothing");
  if (proof.by.empty() && options.require_verified)
    return Status::Error("download of " + shown + " cannot be verified: " + proof.missing +
                         "; kept nothing (require_verified: false keeps it unverified)");
  // Over a file: its owner, group, ACL and mode stay, the object having none (breakBB2 F9).
  if (UniqueFd replaced = tmp.value().OpenReplaced(); replaced.get() >= 0)
    s = ReplaceAccess(tmp.value().ProcPath(), ProcPath(replaced.get()), {}, to.root + "/" + e.rel);
  if (s.ok()) s = tmp.value().Commit();
  if (!s.ok()) return s;
  out = {e.rel, e.size, e.etag, d.value().sha256, d.value().md5, {}, {}, proof.missing};
  return Status::Ok();
}

Status CopyLocal(const SyncSide& from, const SyncSide& to, SyncEntry& e, SyncEntry& out) {
  std::string shown = "'" + Printable(e.rel) + "'";
  auto in = OpenLocal(from, e);  // read once, through this descriptor only
  if (!in.ok()) return in.status();
  auto root = SafeRoot::Open(to.root, true);
  if (!root.ok()) return root.status();
  auto tmp = root.value().CreateTemp(e.rel, 0600);
  if (!tmp.ok()) return Status::Error(shown + ": " + tmp.status().message());
  Status s = CopyInto(in.value().get(), shown, tmp.value().fd());
  auto copy = DigestFile(tmp.value().ProcPath());
  auto source = DigestFile(ProcPath(in.value().get()));
  if (s.ok() && !copy.ok()) s = copy.status();
  if (s.ok() && !source.ok()) s = source.status();
  if (s.ok() && (copy.value().sha256 != source.value().sha256 ||
                 (!e.sha256.empty() && e.sha256 != source.value().sha256)))
    s = Status::Error(shown + " changed while it was copied");
  // As readable as its source, no more, group included (breakW W12: 0600 dumps became 0644;
  // breakY Y6).
  // A file it replaces keeps its owner, group and ACL, and gets no wider (breakBB2 F9).
  UniqueFd replaced = tmp.value().OpenReplaced();
  if (s.ok())
    s = ReplaceAccess(tmp.value().ProcPath(), replaced.get() < 0 ? "" : ProcPath(replaced.get()),
                      {ProcPath(in.value().get())}, to.root + "/" + e.rel);
  if (s.ok()) s = tmp.value().Commit();
  if (!s.ok()) return s;
  e.sha256 = source.value().sha256;
  e.md5 = source.value().md5;
  out = {e.rel, e.size, "", e.sha256, e.md5, {}, {}, {}};
  return Status::Ok();
}

Status RunbookFilesAmong(const SyncSide& side, const std::vector<std::string>& rels,
                         const std::string& verb) {
  if (side.is_s3) return Status::Ok();
  for (const std::string& rel : rels) {
    std::string why = RunbookFileProblem(side.root + "/" + rel, verb);
    if (!why.empty()) return Status::Error(why + "; nothing was changed");
  }
  return Status::Ok();
}

Status RemoveLocal(const SyncSide& side, const std::vector<std::string>& rels) {
  if (Status owned = RunbookFilesAmong(side, rels, "delete"); !owned.ok()) return owned;
  auto root = SafeRoot::Open(side.root, false);
  if (!root.ok()) return root.status();
  for (const std::string& rel : rels) {
    Status s = root.value().Unlink(rel);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace runbook
