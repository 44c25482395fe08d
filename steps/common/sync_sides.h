// The two kinds of side s3-sync moves between: a local folder and an S3 prefix. Listing,
// one transfer in each direction (verified before it counts), deletion.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/util/crypto.h"
#include "steps/common/s3.h"
#include "steps/common/sync_plan.h"

namespace runbook {

struct SyncSide {
  bool is_s3 = false;
  std::string root;    // local folder, or the key prefix ("" or ending in '/')
  std::string bucket;  // S3 only
  std::string Describe() const { return is_s3 ? "s3://" + bucket + "/" + root : root; }
  // Where the entry at `rel` (a path in the tree, "a/b.gz") is: "s3://bucket/prefix/a/b.gz",
  // or the local folder joined with it by one '/' ("mir" + "x" is "mir/x": breakAA A3).
  std::string Locate(const std::string& rel) const {
    if (is_s3) return Describe() + rel;
    return root.empty() || root.back() == '/' ? root + rel : root + "/" + rel;
  }
  // The key (S3) or path (local) of the entry at `rel`.
  std::string KeyOf(const std::string& rel) const { return is_s3 ? root + rel : Locate(rel); }
};

SyncSide ParseSide(const std::string& spec);
// Why a side written "s3://..." names no S3 prefix: an empty bucket (an unset variable in
// "s3://${{ params.bucket }}/daily" left "s3:///daily", which the step then wrote to a local
// folder "s3:": breakCC C22), a bucket of other characters than [a-z0-9.-], or a prefix
// holding an empty, "." or ".." segment (the HTTP layer folds them: "s3://bk/../other/x"
// went to bucket "other": breakCC C23). "" when it names one, or does not start "s3://".
std::string S3SideProblem(const std::string& spec);

// A side's listing. Names that cannot be synced safely are left out and said why.
struct Listing {
  std::vector<SyncEntry> entries;
  std::vector<std::string> skipped;  // rel paths of links left out (follow_symlinks: false)
  // A source's special files (FIFO, socket, device), left out as aws s3 sync and rsync do;
  // like a skipped link, what their name holds at the destination is never deleted.
  // "'rel' (a FIFO)" each.
  std::vector<std::string> special;
  std::vector<std::string> special_rel;
  std::vector<std::string> refused;  // unsafe (a key that is no path, a link leaving the tree)
  // A local destination only: runbook's own scratch files (steps/common/scratch.h) of runs
  // that died, to remove. Any scratch-named file is left out of `entries`; a source's names
  // are never left out for looking like one.
  std::vector<std::string> debris;
};

// For a local destination: each entry of `source` whose file name is one of runbook's scratch
// names (steps/common/scratch.h) moves from `entries` to `refused`, named. Written there, a
// later run would take it for a dead run's debris, remove it and fetch it again, forever
// (break22a #6: a bucket key `.report.pdf.tmp-999999-0123…`). As another unsafe key is, it is
// never written, and the step fails at its end.
void RefuseScratchNames(Listing& source);

// How a local source treats symbolic links (docs/s3-sync.md). A file's rel path is always
// the path it has in the tree (a link's own name), never its target's.
struct LinkRules {
  bool follow = true;          // false: links are skipped and reported
  bool allow_outside = false;  // follow a link whose target is outside the source folder
};

// Regular files under the folder (recursively), selected by include/exclude. A missing
// folder is an empty side only when `is_dest`. A destination's links are never followed
// nor listed (a link at a name the source has is replaced, never written through).
// `other_root`: the other side's folder when it is local, else "": meeting it inside this
// side (the same device and inode: a bind mount) is an error, the listing fails.
Result<Listing> ListLocal(const SyncSide& side, const std::vector<std::string>& include,
                          const std::vector<std::string>& exclude, bool is_dest,
                          const LinkRules& links, const std::string& other_root = "");
// Every object under the prefix; a key that KeyToRel refuses is in `refused`.
Result<Listing> ListS3(S3Client& s3, const SyncSide& side, const std::vector<std::string>& include,
                       const std::vector<std::string>& exclude, const CancelToken& cancel);

// Opens a local entry's file once, beneath its side's folder, as the listing vetted it
// (SafeRoot::OpenRead with the entry's reach and identity). Every read of a local file goes
// through this: a name swapped for a link after the listing is refused, never read.
Result<UniqueFd> OpenLocal(const SyncSide& side, const SyncEntry& e);
// Fills in a local entry's sha256 and md5 (hashing the file once). `stop` is asked every
// MiB (the step's timeout and ^C: StopFor); then an error saying kStoppedMessage.
Status DigestLocal(const SyncSide& side, SyncEntry& e, const StopCheck& stop = {});
// The part size with which the local entry has the multipart `etag` (MultipartPartSize,
// etag_proof.h: `preferred` first); nullopt when none, or the file cannot be opened.
std::optional<uint64_t> LocalMultipartPartSize(const SyncSide& side, const SyncEntry& e,
                                               const std::string& etag, uint64_t preferred);

struct UploadOptions {
  uint64_t multipart_threshold = 8u << 20;  // single PUT below, multipart from here
  uint64_t part_size = 8u << 20;
  int parallel = 8;                 // parts at once
  bool require_encryption = false;  // the server must confirm SSE for each object
};

// How a download is checked (docs/s3-sync.md, "Checking what came down").
struct DownloadOptions {
  uint64_t part_size = 8u << 20;  // tried first against a multipart ETag
  bool require_verified = true;   // an object nothing can verify is refused, not kept
};

// One transfer; on success `out` describes the object as it now is at the destination.
// Local writes go through SafeRoot (steps/common/safe_path.h): beneath the destination,
// never through a link in it.
Status Upload(S3Client& s3, const SyncSide& from, const SyncSide& to, SyncEntry& e,
              const UploadOptions& options, const CancelToken& cancel, SyncEntry& out);
// A download is kept only when its size and its ETag's MD5, its sha256 metadata or its
// multipart ETag (etag_proof.h) prove it; when none can, it is refused under
// `require_verified`, else kept with `out.unverified` saying why.
Status Download(S3Client& s3, const SyncSide& from, const SyncSide& to, const SyncEntry& e,
                const DownloadOptions& options, const CancelToken& cancel, SyncEntry& out);
Status CopyLocal(const SyncSide& from, const SyncSide& to, SyncEntry& e, SyncEntry& out);
// Refuses (before anything is changed) a local side where one of `rels` is a file runbook
// owns (engine/util/own_file.h: the audit store and its companions, the runbook): "refusing
// to VERB PATH: it is ...". Ok for an S3 side.
Status RunbookFilesAmong(const SyncSide& side, const std::vector<std::string>& rels,
                         const std::string& verb);
// Deletes each rel path beneath the folder, never through a link; stops at the first error.
// None is deleted when one of them is runbook's own (RunbookFilesAmong).
Status RemoveLocal(const SyncSide& side, const std::vector<std::string>& rels);

}  // namespace runbook
