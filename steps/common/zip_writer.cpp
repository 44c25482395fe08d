#include "steps/common/zip_writer.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <vector>

#include "engine/util/io_buffer.h"

namespace runbook {

struct ZipWriter::Impl {
  archive* a = nullptr;
  std::string path;
  bool closed = false;
  ~Impl() {
    if (a != nullptr) archive_write_free(a);
  }
  Status Error(const std::string& what) const {
    std::string why = archive_error_string(a) ? archive_error_string(a) : "unknown error";
    // libarchive says only "Write error"; its errno says why (EFBIG past `ulimit -f`, ENOSPC).
    if (archive_errno(a) > 0) why += std::string(" (") + std::strerror(archive_errno(a)) + ")";
    return Status::Error(what + " in " + path + ": " + why);
  }
  Status Header(const std::string& name, int64_t size, time_t mtime) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname_utf8(e, name.c_str());  // names are UTF-8 (archive.cpp)
    archive_entry_set_size(e, size);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_mtime(e, mtime, 0);
    int rc = archive_write_header(a, e);
    archive_entry_free(e);
    return rc == ARCHIVE_OK ? Status::Ok() : Error("cannot add " + name);
  }
};

ZipWriter::ZipWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ZipWriter::~ZipWriter() = default;

Result<std::unique_ptr<ZipWriter>> ZipWriter::Create(const std::string& path) {
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->a = archive_write_new();
  if (archive_write_set_format_zip(impl->a) != ARCHIVE_OK ||
      archive_write_set_options(impl->a, "zip:compression=deflate") != ARCHIVE_OK ||
      // Names stored as UTF-8 with the flag that says so (APPNOTE 4.4.4, bit 11): without it
      // readers take them as CP437 (breakT T3: python's zipfile, 7-Zip, Windows).
      archive_write_set_options(impl->a, "zip:hdrcharset=UTF-8") != ARCHIVE_OK ||
      archive_write_open_filename(impl->a, path.c_str()) != ARCHIVE_OK)
    return impl->Error("cannot create the zip");
  return std::unique_ptr<ZipWriter>(new ZipWriter(std::move(impl)));
}

Result<ZipWriter::Added> ZipWriter::AddFd(const std::string& name, int fd, const std::string& what,
                                          const Work& work) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Status::FromErrno("cannot read " + what, errno);
  Status s = impl_->Header(name, static_cast<int64_t>(st.st_size), st.st_mtime);
  if (!s.ok()) return s;
  Added added;
  Sha256 sha;
  IoBuffer buf(1 << 20);
  while (added.size < static_cast<uint64_t>(st.st_size)) {
    if (work.Stopped()) return Status::Error(std::string(kStoppedMessage) + ": " + what);
    size_t want = std::min<uint64_t>(buf.size(), static_cast<uint64_t>(st.st_size) - added.size);
    ssize_t n = ::read(fd, buf.data(), want);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::FromErrno("cannot read " + what, errno);
    if (n == 0) return Status::Error(what + " shrank while it was packed");
    sha.Update(buf.data(), static_cast<size_t>(n));
    if (archive_write_data(impl_->a, buf.data(), static_cast<size_t>(n)) < 0)
      return impl_->Error("cannot write " + name);
    added.size += static_cast<uint64_t>(n);
    work.Advanced(static_cast<uint64_t>(n));
  }
  added.sha256 = sha.FinishHex();
  return added;
}

Status ZipWriter::AddText(const std::string& name, const std::string& text) {
  Status s = impl_->Header(name, static_cast<int64_t>(text.size()), std::time(nullptr));
  if (!s.ok()) return s;
  if (archive_write_data(impl_->a, text.data(), text.size()) < 0)
    return impl_->Error("cannot write " + name);
  return Status::Ok();
}

Status ZipWriter::Close() {
  if (archive_write_close(impl_->a) != ARCHIVE_OK) return impl_->Error("cannot finish the zip");
  return Status::Ok();
}

}  // namespace runbook
