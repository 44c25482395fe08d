#include "steps/common/gzip.h"

#include <fcntl.h>
#include <libdeflate.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "engine/util/input_file.h"

namespace runbook {
namespace {

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

// Reads up to `size` bytes (less only at end of file). -1 on error.
ssize_t ReadFull(int fd, char* buf, size_t size) {
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::read(fd, buf + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return static_cast<ssize_t>(done);
}

bool WriteAll(int fd, const char* buf, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, buf, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    buf += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

Status Finish(Fd& out, const std::string& dst) {
  if (::fsync(out.get()) != 0 || ::close(out.release()) != 0) {
    int err = errno;
    ::unlink(dst.c_str());
    return Status::FromErrno("cannot write " + dst, err);
  }
  return Status::Ok();
}

}  // namespace

Result<GzipResult> GzipFile(const std::string& src, const std::string& dst, int level,
                            size_t member_bytes, const Work& work) {
  auto opened = OpenInputFile(src);
  if (!opened.ok()) return opened.status();
  Fd in(opened.value());
  Fd out(::open(dst.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (out.get() < 0) return Status::FromErrno("cannot create " + dst, errno);
  std::unique_ptr<libdeflate_compressor, decltype(&libdeflate_free_compressor)> c(
      libdeflate_alloc_compressor(level), libdeflate_free_compressor);
  std::vector<char> buf(member_bytes);
  std::vector<char> packed(libdeflate_gzip_compress_bound(c.get(), member_bytes));
  Sha256 in_hash, out_hash;
  GzipResult r;
  for (;;) {
    if (work.Stopped()) {
      ::unlink(dst.c_str());
      return Status::Error(kStoppedMessage);
    }
    ssize_t n = ReadFull(in.get(), buf.data(), buf.size());
    if (n < 0) {
      int err = errno;
      ::unlink(dst.c_str());
      return Status::FromErrno("cannot read " + src, err);
    }
    if (n == 0 && r.in_bytes > 0) break;  // an empty input still gets one member
    in_hash.Update(buf.data(), static_cast<size_t>(n));
    work.Advanced(static_cast<uint64_t>(n));
    size_t size = libdeflate_gzip_compress(c.get(), buf.data(), static_cast<size_t>(n),
                                           packed.data(), packed.size());
    if (size == 0 || !WriteAll(out.get(), packed.data(), size)) {
      int err = errno;
      ::unlink(dst.c_str());
      return Status::FromErrno("cannot write " + dst, err);
    }
    out_hash.Update(packed.data(), size);
    r.in_bytes += static_cast<uint64_t>(n);
    r.out_bytes += size;
    if (static_cast<size_t>(n) < buf.size()) break;
  }
  Status s = Finish(out, dst);
  if (!s.ok()) return s;
  r.in_sha256 = in_hash.FinishHex();
  r.out_sha256 = out_hash.FinishHex();
  return r;
}

uint64_t GunzipReserve(uint64_t fs_bytes) {
  return std::clamp<uint64_t>(fs_bytes / 20, 64ull << 20, 4ull << 30);
}

Result<GunzipBound> DecompressBound(const std::string& dir, std::optional<uint64_t> raw_size) {
  struct statvfs fs {};
  if (::statvfs(dir.c_str(), &fs) != 0)
    return Status::FromErrno("cannot read the free space of " + dir, errno);
  uint64_t size = static_cast<uint64_t>(fs.f_blocks) * fs.f_frsize;
  uint64_t avail = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
  uint64_t reserve = GunzipReserve(size);
  GunzipBound b;
  b.reserve = reserve;
  b.max_out = avail > reserve ? avail - reserve : 0;
  b.what = "the free space of " + dir + " less its reserve (" + std::to_string(b.max_out) +
           " bytes may be written, " + std::to_string(reserve) + " stay free)";
  if (raw_size && *raw_size <= b.max_out) {
    b.max_out = *raw_size;
    b.what = "the raw_size its metadata states (" + std::to_string(*raw_size) + " bytes)";
  }
  return b;
}

namespace {

std::string Past(const std::string& src, const GunzipBound& bound) {
  return src + " decompresses past " + bound.what + ": stopped, nothing of it kept";
}

// The free space of the output's filesystem, looked at again every kReserveCheckBytes
// written: what others write there meanwhile counts too (GunzipBound::reserve).
class ReserveGuard {
 public:
  ReserveGuard(int out, const std::string& dst, const GunzipBound& bound)
      : out_(out), dst_(dst), reserve_(bound.reserve) {}
  // An error once `written` passed the next mark and the free space is below the reserve.
  Status After(uint64_t written) {
    if (reserve_ == 0 || written < next_) return Status::Ok();
    next_ = written + kReserveCheckBytes;
    struct statvfs fs {};
    if (::fstatvfs(out_, &fs) != 0)
      return Status::FromErrno("cannot read the free space of " + dst_, errno);
    uint64_t avail = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
    if (avail >= reserve_) return Status::Ok();
    return Status::Error("the filesystem of " + dst_ + " fell to " + std::to_string(avail) +
                         " free bytes, below its reserve of " + std::to_string(reserve_) +
                         " (other writers share it): stopped, nothing of it kept");
  }

 private:
  int out_;
  const std::string& dst_;
  uint64_t reserve_;
  uint64_t next_ = kReserveCheckBytes;
};

// Streaming zlib from the current offset of `in` to the end: any number of members.
Status InflateRest(int in, int out, const std::string& src, const std::string& dst, Sha256& in_hash,
                   Sha256& out_hash, GzipResult& r, bool any_before, const Work& work,
                   const GunzipBound& bound, ReserveGuard& guard) {
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return Status::Error("zlib init failed");
  std::vector<char> ibuf(1 << 20), obuf(1 << 20);
  bool in_member = false, any = any_before;
  auto fail = [&](const std::string& why) {
    inflateEnd(&z);
    return Status::Error(why);
  };
  for (;;) {
    if (work.Stopped()) return fail(kStoppedMessage);
    ssize_t n = ReadFull(in, ibuf.data(), ibuf.size());
    if (n < 0) return fail("cannot read " + src);
    if (n == 0) break;
    work.Advanced(static_cast<uint64_t>(n));
    in_hash.Update(ibuf.data(), static_cast<size_t>(n));
    r.in_bytes += static_cast<uint64_t>(n);
    z.next_in = reinterpret_cast<Bytef*>(ibuf.data());
    z.avail_in = static_cast<uInt>(n);
    while (z.avail_in > 0) {
      if (work.Stopped()) return fail(kStoppedMessage);  // 1 MiB in may be a GiB out
      z.next_out = reinterpret_cast<Bytef*>(obuf.data());
      z.avail_out = static_cast<uInt>(obuf.size());
      int rc = inflate(&z, Z_NO_FLUSH);
      in_member = true;
      size_t produced = obuf.size() - z.avail_out;
      if (produced > bound.max_out - r.out_bytes) return fail(Past(src, bound));
      if (produced > 0) {
        if (!WriteAll(out, obuf.data(), produced))
          return fail("cannot write " + dst + ": " + std::strerror(errno));
        out_hash.Update(obuf.data(), produced);
        r.out_bytes += produced;
        if (Status room = guard.After(r.out_bytes); !room.ok()) return fail(room.message());
      }
      if (rc == Z_STREAM_END) {  // the next member, if any, starts here
        in_member = false;
        any = true;
        inflateReset(&z);
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        return fail(src + " is not valid gzip data (" + (z.msg ? z.msg : "corrupt") + " after " +
                    std::to_string(r.out_bytes) + " bytes)");
      }
    }
  }
  inflateEnd(&z);
  if (in_member || !any)
    return Status::Error(r.in_bytes == 0 ? src + " is empty" : src + " is truncated");
  return Status::Ok();
}

// libdeflate, member by member, while members fit the buffers. Returns the offset where
// zlib must take over (the file's size when everything was done here).
Result<uint64_t> InflateMembers(int in, int out, const std::string& src, const std::string& dst,
                                Sha256& in_hash, Sha256& out_hash, GzipResult& r, const Work& work,
                                const GunzipBound& bound, ReserveGuard& guard) {
  std::unique_ptr<libdeflate_decompressor, decltype(&libdeflate_free_decompressor)> d(
      libdeflate_alloc_decompressor(), libdeflate_free_decompressor);
  std::vector<char> buf(2 * kGzipMemberBytes + (1 << 20)), obuf(kGzipMemberBytes);
  size_t have = 0, pos = 0;
  uint64_t offset = 0;  // of buf[0] in the file
  bool eof = false;
  for (;;) {
    if (work.Stopped()) return Status::Error(kStoppedMessage);
    if (!eof && have - pos < buf.size() / 2) {  // keep at least one whole member buffered
      std::memmove(buf.data(), buf.data() + pos, have - pos);
      offset += pos;
      have -= pos;
      pos = 0;
      ssize_t n = ReadFull(in, buf.data() + have, buf.size() - have);
      if (n < 0) return Status::Error("cannot read the dump");
      eof = static_cast<size_t>(n) < buf.size() - have;
      have += static_cast<size_t>(n);
    }
    if (pos == have) return offset + pos;  // all done
    size_t used = 0, produced = 0;
    auto rc = libdeflate_gzip_decompress_ex(d.get(), buf.data() + pos, have - pos, obuf.data(),
                                            obuf.size(), &used, &produced);
    if (rc != LIBDEFLATE_SUCCESS) return offset + pos;  // zlib continues (or names the damage)
    if (produced > bound.max_out - r.out_bytes) return Status::Error(Past(src, bound));
    if (!WriteAll(out, obuf.data(), produced))
      return Status::Error("cannot write " + dst + ": " + std::strerror(errno));
    in_hash.Update(buf.data() + pos, used);
    out_hash.Update(obuf.data(), produced);
    r.in_bytes += used;
    r.out_bytes += produced;
    pos += used;
    work.Advanced(used);
    if (Status room = guard.After(r.out_bytes); !room.ok()) return room;
  }
}

}  // namespace

Result<GzipResult> GunzipFile(const std::string& src, const std::string& dst, bool durable,
                              const Work& work, const GunzipBound& bound) {
  auto opened = OpenInputFile(src);
  if (!opened.ok()) return opened.status();
  Fd in(opened.value());
  Fd out(::open(dst.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (out.get() < 0) return Status::FromErrno("cannot create " + dst, errno);
  Sha256 in_hash, out_hash;
  GzipResult r;
  ReserveGuard guard(out.get(), dst, bound);
  auto fast =
      InflateMembers(in.get(), out.get(), src, dst, in_hash, out_hash, r, work, bound, guard);
  Status s = fast.ok() ? Status::Ok() : fast.status();
  struct stat st {};
  if (s.ok() && ::fstat(in.get(), &st) == 0 && fast.value() < static_cast<uint64_t>(st.st_size)) {
    if (::lseek(in.get(), static_cast<off_t>(fast.value()), SEEK_SET) < 0)
      s = Status::FromErrno("cannot seek " + src, errno);
    else
      s = InflateRest(in.get(), out.get(), src, dst, in_hash, out_hash, r, r.in_bytes > 0, work,
                      bound, guard);
  } else if (s.ok() && r.in_bytes == 0) {
    s = Status::Error(src + " is empty");
  }
  if (s.ok() && durable) s = Finish(out, dst);
  if (!s.ok()) {
    ::unlink(dst.c_str());
    return s;
  }
  r.in_sha256 = in_hash.FinishHex();
  r.out_sha256 = out_hash.FinishHex();
  return r;
}

}  // namespace runbook
