#include "steps/common/sync_sides.h"

#include <filesystem>

#include "engine/util/crypto.h"
#include "steps/common/files.h"

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

Result<std::vector<SyncEntry>> ListLocal(const SyncSide& side,
                                         const std::vector<std::string>& include,
                                         const std::vector<std::string>& exclude,
                                         bool may_be_missing) {
  std::vector<SyncEntry> out;
  std::error_code ec;
  if (!fs::is_directory(side.root, ec)) {
    if (may_be_missing && !fs::exists(side.root, ec)) return out;
    return Status::Error("no folder " + side.root);
  }
  for (auto it = fs::recursive_directory_iterator(side.root, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    std::string rel = fs::relative(it->path(), side.root, ec).generic_string();
    std::string name = it->path().filename().string();
    if (name.rfind(".", 0) == 0 && name.find(".tmp-") != std::string::npos) continue;  // ours
    if (!Selected(rel, include, exclude)) continue;
    out.push_back({rel, static_cast<uint64_t>(it->file_size(ec)), "", "", ""});
  }
  if (ec) return Status::Error("cannot list " + side.root + ": " + ec.message());
  return out;
}

Result<std::vector<SyncEntry>> ListS3(S3Client& s3, const SyncSide& side,
                                      const std::vector<std::string>& include,
                                      const std::vector<std::string>& exclude,
                                      const CancelToken& cancel) {
  auto objects = s3.List(side.root, cancel);
  if (!objects.ok()) return objects.status();
  std::vector<SyncEntry> out;
  for (const S3Object& o : objects.value()) {
    std::string rel = o.key.substr(side.root.size());
    if (rel.empty() || rel.back() == '/' || !Selected(rel, include, exclude)) continue;
    out.push_back({rel, o.size, o.etag, "", ""});
  }
  return out;
}

Status DigestLocal(const SyncSide& side, SyncEntry& e) {
  if (!e.sha256.empty()) return Status::Ok();
  auto d = DigestFile(side.root + "/" + e.rel);
  if (!d.ok()) return d.status();
  e.sha256 = d.value().sha256;
  e.md5 = d.value().md5;
  e.size = d.value().size;
  return Status::Ok();
}

Status Upload(S3Client& s3, const SyncSide& from, const SyncSide& to, SyncEntry& e,
              const UploadOptions& options, const CancelToken& cancel, SyncEntry& out) {
  std::string path = from.root + "/" + e.rel;
  auto d = DigestFile(path);
  if (!d.ok()) return d.status();
  e.sha256 = d.value().sha256;
  e.md5 = d.value().md5;
  auto put = d.value().size >= options.multipart_threshold
                 ? s3.PutMultipart(to.root + e.rel, path, d.value().sha256, d.value().size,
                                   options.part_size, options.parallel, cancel)
                 : s3.Put(to.root + e.rel, path, d.value().sha256, d.value().md5_raw,
                          d.value().size, cancel);
  if (!put.ok()) return put.status();
  if (options.require_encryption && put.value().sse.empty())
    return Status::Error("s3://" + to.bucket + "/" + to.root + e.rel +
                         ": the server did not confirm encryption at rest "
                         "(require_encryption); the object is not trusted as stored");
  out = {e.rel, d.value().size, put.value().etag, d.value().sha256, d.value().md5};
  return Status::Ok();
}

Status Download(S3Client& s3, const SyncSide& from, const SyncSide& to, const SyncEntry& e,
                const CancelToken& cancel, SyncEntry& out) {
  std::string final_path = to.root + "/" + e.rel;
  std::error_code ec;
  fs::create_directories(DirName(final_path), ec);
  std::string tmp = TempBeside(final_path);
  Status s = s3.Get(from.root + e.rel, tmp, cancel);
  if (!s.ok()) return s;
  auto d = DigestFile(tmp);
  std::string why;
  if (!d.ok())
    why = d.status().message();
  else if (d.value().size != e.size)
    why = "size " + std::to_string(d.value().size) + ", listed " + std::to_string(e.size);
  else if (IsMd5Etag(e.etag) && d.value().md5 != e.etag)
    why = "md5 " + d.value().md5 + " is not the ETag " + e.etag;
  if (why.empty() && !IsMd5Etag(e.etag)) {
    auto head = s3.Head(from.root + e.rel, cancel);
    if (head.ok() && !head.value().sha256.empty() && head.value().sha256 != d.value().sha256)
      why = "sha256 " + d.value().sha256 + " is not the recorded " + head.value().sha256;
  }
  if (!why.empty()) {
    std::remove(tmp.c_str());
    return Status::Error("download of s3://" + from.bucket + "/" + from.root + e.rel +
                         " does not check out (" + why + "); kept nothing");
  }
  s = RenameDurable(tmp, final_path);
  if (!s.ok()) return s;
  out = {e.rel, e.size, e.etag, d.value().sha256, d.value().md5};
  return Status::Ok();
}

Status CopyLocal(const SyncSide& from, const SyncSide& to, SyncEntry& e, SyncEntry& out) {
  std::string final_path = to.root + "/" + e.rel;
  std::error_code ec;
  fs::create_directories(DirName(final_path), ec);
  std::string tmp = TempBeside(final_path);
  if (!fs::copy_file(from.root + "/" + e.rel, tmp, ec))
    return Status::Error("cannot copy " + e.rel + ": " + ec.message());
  auto d = DigestFile(tmp);
  Status s = DigestLocal(from, e);
  if (s.ok() && d.ok() && d.value().sha256 != e.sha256)
    s = Status::Error(e.rel + " changed while it was copied");
  if (s.ok()) s = FsyncFile(tmp);
  if (s.ok()) s = RenameDurable(tmp, final_path);
  if (!s.ok()) {
    std::remove(tmp.c_str());
    return s;
  }
  out = {e.rel, e.size, "", e.sha256, e.md5};
  return Status::Ok();
}

}  // namespace runbook
