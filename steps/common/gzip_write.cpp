// The writing half of steps/common/gzip.h: members compressed on every core, written in order.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "engine/util/fd_io.h"
#include "engine/util/input_file.h"
#include "steps/common/gzip.h"
#include "steps/common/gzip_io.h"
#include "steps/common/gzip_member.h"
#include "steps/common/ordered_pool.h"

namespace runbook {

namespace {

// One member in flight: its input, and what a worker packed of it (0 bytes: packing failed).
struct Slot {
  std::vector<char> in;
  std::vector<char> out;
  size_t size = 0;
  size_t in_size = 0;  // the input bytes it holds, told to `written` once it is written
};

}  // namespace

struct GzipWriter::State {
  int fd;
  std::string dst;
  size_t member_bytes;
  int threads;
  std::vector<std::unique_ptr<MemberPacker>> packers;  // one per worker, by worker slot
  std::deque<Slot> flight;                             // in the order handed out
  Sha256 in_hash, out_hash;
  GzipResult result;
  Status failed = Status::Ok();
  size_t added = 0;  // members handed out
  Advance written;   // told each member's input bytes once they are in the file
  OrderedPool pool;  // last: its destructor waits for the jobs that use the members above

  State(int f, std::string d, int level, size_t m, int t)
      : fd(f), dst(std::move(d)), member_bytes(m), threads(t), pool(t) {
    for (int i = 0; i <= t; ++i) packers.push_back(std::make_unique<MemberPacker>(level));
  }

  // Writes the oldest member once its worker is done.
  void WriteOldest() {
    pool.WaitOldest();
    Slot& slot = flight.front();
    if (failed.ok() && slot.size == 0) failed = Status::Error("cannot compress into " + dst);
    if (failed.ok() && !WriteAll(fd, slot.out.data(), slot.size))
      failed = Status::FromErrno("cannot write " + dst, errno);
    if (failed.ok()) {
      out_hash.Update(slot.out.data(), slot.size);
      result.out_bytes += slot.size;
      if (written && slot.in_size > 0) written(slot.in_size);
    }
    flight.pop_front();
  }
};

GzipWriter::GzipWriter(int fd, std::string dst, int level, size_t member_bytes, int threads)
    : s_(std::make_unique<State>(fd, std::move(dst), level, member_bytes,
                                 threads > 0 ? threads : OrderedPool::Cores(kMaxGzipThreads))) {}

GzipWriter::~GzipWriter() = default;

size_t GzipWriter::member_bytes() const { return s_->member_bytes; }

void GzipWriter::TellWritten(Advance written) { s_->written = std::move(written); }

Status GzipWriter::Add(std::vector<char> piece) {
  State& s = *s_;
  if (!s.failed.ok()) return s.failed;
  s.in_hash.Update(piece.data(), piece.size());
  s.result.in_bytes += piece.size();
  while (s.flight.size() > static_cast<size_t>(s.threads)) s.WriteOldest();
  // A packer per position in the window: at most threads + 1 members are in flight, and
  // the member using a packer was written before its position comes round again.
  const MemberPacker& packer = *s.packers[s.added++ % s.packers.size()];
  size_t in_size = piece.size();
  s.flight.push_back(Slot{std::move(piece), {}, 0, in_size});
  Slot* slot = &s.flight.back();  // std::deque keeps addresses on push_back/pop_front
  slot->out.resize(packer.Bound(slot->in.size()));
  s.pool.Submit([slot, &packer] {
    slot->size = packer.Pack(slot->in.data(), slot->in.size(), slot->out.data(), slot->out.size());
    slot->in = std::vector<char>();
  });
  return Status::Ok();
}

Result<GzipResult> GzipWriter::Finish() {
  State& s = *s_;
  if (s.added == 0) (void)Add({});
  while (!s.flight.empty()) s.WriteOldest();
  if (!s.failed.ok()) return s.failed;
  s.result.in_sha256 = s.in_hash.FinishHex();
  s.result.out_sha256 = s.out_hash.FinishHex();
  return s.result;
}

Result<GzipResult> GzipFile(const std::string& src, const std::string& dst, int level,
                            size_t member_bytes, const Work& work, int mode) {
  auto opened = OpenInputFile(src);
  if (!opened.ok()) return opened.status();
  gzip_io::Fd in(opened.value());
  gzip_io::Fd out(::open(dst.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
  if (out.get() < 0) return Status::FromErrno("cannot create " + dst, errno);
  auto failed = [&](Status why) {
    ::unlink(dst.c_str());
    return why;
  };
  Result<GzipResult> r = Status::Error("not finished");
  {
    GzipWriter writer(out.get(), dst, level, member_bytes);
    for (bool more = true; more;) {
      if (work.Stopped()) return failed(Status::Error(kStoppedMessage));
      std::vector<char> piece(member_bytes);
      ssize_t n = gzip_io::ReadFull(in.get(), piece.data(), piece.size());
      if (n < 0) return failed(Status::FromErrno("cannot read " + src, errno));
      more = static_cast<size_t>(n) == member_bytes;
      piece.resize(static_cast<size_t>(n));
      work.Advanced(static_cast<uint64_t>(n));
      if (n == 0) break;  // Finish writes the one member of an empty input
      if (Status s = writer.Add(std::move(piece)); !s.ok()) return failed(s);
    }
    r = writer.Finish();
  }
  if (!r.ok()) return failed(r.status());
  if (::fsync(out.get()) != 0 || ::close(out.release()) != 0)
    return failed(Status::FromErrno("cannot write " + dst, errno));
  return r;
}

}  // namespace runbook
