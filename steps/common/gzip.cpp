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
#include <deque>
#include <memory>
#include <vector>

#include "engine/util/fd_io.h"
#include "engine/util/input_file.h"
#include "engine/util/io_buffer.h"
#include "steps/common/gzip_io.h"
#include "steps/common/gzip_member.h"
#include "steps/common/ordered_pool.h"

namespace runbook {
using gzip_io::Fd;
using gzip_io::ReadFull;

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
  IoBuffer ibuf(1 << 20), obuf(1 << 20);
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

// Members that declare their size (gzip_member.h) are inflated on every core and written in
// order. Returns the offset of the first member that does not declare it, or is not what it
// declares: the sequential readers below take over there (the file's size: all done).
class DeclaredMembers {
 public:
  DeclaredMembers(int out, const std::string& src, const std::string& dst, Sha256& in_hash,
                  Sha256& out_hash, GzipResult& r, const Work& work, const GunzipBound& bound,
                  ReserveGuard& guard)
      : out_(out),
        src_(src),
        dst_(dst),
        in_hash_(in_hash),
        out_hash_(out_hash),
        r_(r),
        work_(work),
        bound_(bound),
        guard_(guard),
        threads_(OrderedPool::Cores(kMaxGzipThreads)) {
    for (int i = 0; i <= threads_; ++i) unpackers_.push_back(std::make_unique<MemberUnpacker>());
  }

  Result<uint64_t> Run(int in) {
    uint64_t offset = 0;
    for (size_t k = 0; failed_.ok() && !slow_from_; ++k) {
      if (work_.Stopped()) return Drained(Status::Error(kStoppedMessage));
      unsigned char head[kMemberHeaderBytes];
      ssize_t n = gzip_io::PreadFull(in, reinterpret_cast<char*>(head), sizeof head,
                                     static_cast<off_t>(offset));
      if (n < 0) return Drained(Status::FromErrno("cannot read " + src_, errno));
      uint32_t size = DeclaredMemberSize(head, static_cast<size_t>(n));
      if (size == 0 || size > 2 * kGzipMemberBytes) break;  // not ours, or not plausible
      IoBuffer member(size);
      if (gzip_io::PreadFull(in, member.data(), size, static_cast<off_t>(offset)) != size) break;
      while (flight_.size() > static_cast<size_t>(threads_)) WriteOldest();
      if (!failed_.ok() || slow_from_) break;
      flight_.push_back(Slot{std::move(member), IoBuffer(kGzipMemberBytes), -1, offset});
      Slot* slot = &flight_.back();  // std::deque keeps addresses on push_back/pop_front
      const MemberUnpacker& unpacker = *unpackers_[k % unpackers_.size()];
      pool_.Submit([slot, &unpacker] {
        slot->produced =
            unpacker.Unpack(slot->in.data(), slot->in.size(), slot->out.data(), slot->out.size());
      });
      offset += size;
    }
    while (!flight_.empty()) WriteOldest();
    if (!failed_.ok()) return failed_;
    return slow_from_ ? *slow_from_ : offset;
  }

 private:
  struct Slot {
    IoBuffer in, out;
    int64_t produced;  // -1: not one valid member as declared
    uint64_t offset;   // of the member in the file
  };

  Status Drained(Status why) {
    while (!flight_.empty()) WriteOldest();
    return why;
  }

  // The oldest member, once inflated, is written and counted; from a member that failed, the
  // rest are dropped (the slow path reads from there).
  void WriteOldest() {
    pool_.WaitOldest();
    Slot& slot = flight_.front();
    if (failed_.ok() && !slow_from_ && slot.produced < 0) slow_from_ = slot.offset;
    if (failed_.ok() && !slow_from_) Write(slot);
    flight_.pop_front();
  }

  void Write(const Slot& slot) {
    auto produced = static_cast<uint64_t>(slot.produced);
    if (produced > bound_.max_out - r_.out_bytes) {
      failed_ = Status::Error(Past(src_, bound_));
      return;
    }
    if (!WriteAll(out_, slot.out.data(), produced)) {
      failed_ = Status::Error("cannot write " + dst_ + ": " + std::strerror(errno));
      return;
    }
    in_hash_.Update(slot.in.data(), slot.in.size());
    out_hash_.Update(slot.out.data(), produced);
    r_.in_bytes += slot.in.size();
    r_.out_bytes += produced;
    work_.Advanced(slot.in.size());
    if (Status room = guard_.After(r_.out_bytes); !room.ok()) failed_ = room;
  }

  int out_;
  const std::string &src_, &dst_;
  Sha256 &in_hash_, &out_hash_;
  GzipResult& r_;
  const Work& work_;
  const GunzipBound& bound_;
  ReserveGuard& guard_;
  int threads_;
  Status failed_ = Status::Ok();
  std::optional<uint64_t> slow_from_;
  std::vector<std::unique_ptr<MemberUnpacker>> unpackers_;
  std::deque<Slot> flight_;
  OrderedPool pool_{threads_};  // last: destroyed first, waiting for the jobs using the above
};

// libdeflate, member by member, while members fit the buffers. Returns the offset where
// zlib must take over (the file's size when everything was done here).
Result<uint64_t> InflateMembers(int in, int out, uint64_t start, const std::string& src,
                                const std::string& dst, Sha256& in_hash, Sha256& out_hash,
                                GzipResult& r, const Work& work, const GunzipBound& bound,
                                ReserveGuard& guard) {
  std::unique_ptr<libdeflate_decompressor, decltype(&libdeflate_free_decompressor)> d(
      libdeflate_alloc_decompressor(), libdeflate_free_decompressor);
  IoBuffer buf(2 * kGzipMemberBytes + (1 << 20)), obuf(kGzipMemberBytes);
  size_t have = 0, pos = 0;
  uint64_t offset = start;  // of buf[0] in the file
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
  auto declared =
      DeclaredMembers(out.get(), src, dst, in_hash, out_hash, r, work, bound, guard).Run(in.get());
  Result<uint64_t> fast = declared;
  if (declared.ok() && ::lseek(in.get(), static_cast<off_t>(declared.value()), SEEK_SET) < 0)
    fast = Status::FromErrno("cannot seek " + src, errno);
  else if (declared.ok())
    fast = InflateMembers(in.get(), out.get(), declared.value(), src, dst, in_hash, out_hash, r,
                          work, bound, guard);
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
  if (s.ok() && durable && ::fsync(out.get()) != 0)
    s = Status::FromErrno("cannot write " + dst, errno);
  if (!s.ok()) {
    ::unlink(dst.c_str());
    return s;
  }
  r.in_sha256 = in_hash.FinishHex();
  r.out_sha256 = out_hash.FinishHex();
  return r;
}

}  // namespace runbook
