// gzip for backups. Writing is deterministic (no name, mtime 0, fixed OS byte: identical
// data gives identical bytes) and produces concatenated gzip members of at most
// `member_bytes` of input each (steps/common/gzip_member.h), compressed with libdeflate on
// every core and written in order (pigz's scheme), so any gzip reader can read the result
// and memory stays bounded. Reading inflates members that declare their size on every core
// too; anything else streams through zlib, which accepts any number of members and says
// "truncated" or "not gzip" for damaged input.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/util/crypto.h"
#include "engine/util/status.h"

namespace runbook {

struct GzipResult {
  uint64_t in_bytes = 0;
  uint64_t out_bytes = 0;
  std::string in_sha256;   // of what was read
  std::string out_sha256;  // of what was written
};

constexpr size_t kGzipMemberBytes = 16u << 20;
// Workers compressing or inflating members at most: each member in flight holds up to two
// buffers of kGzipMemberBytes, so threads + 1 members stay under 256 MiB (issue 15's budget
// for a backup; breakU U6: the memory followed the CPUs the host lists).
constexpr int kMaxGzipThreads = 6;

// Compresses a stream handed over in pieces into the open file `fd` (its name `dst` for
// errors), members compressed by `threads` workers and written in order. At most
// threads + 1 members are in flight: memory is about 2 * member_bytes per member.
class GzipWriter {
 public:
  GzipWriter(int fd, std::string dst, int level = 6, size_t member_bytes = kGzipMemberBytes,
             int threads = 0);  // 0: OrderedPool::Cores(kMaxGzipThreads)
  ~GzipWriter();
  GzipWriter(const GzipWriter&) = delete;
  GzipWriter& operator=(const GzipWriter&) = delete;
  // The next piece of input: exactly member_bytes, or fewer for the last one. An empty
  // stream still gets one (empty) member. Fails once a write failed.
  Status Add(std::vector<char> piece);
  // Waits for the members in flight and writes them; the sizes and sha256s of the input
  // and of what was written. Does not fsync.
  Result<GzipResult> Finish();
  size_t member_bytes() const;
  // `written` is told each member's input bytes once the member is in the file: progress
  // that counts work done, not input read ahead (a 16 MiB member is read at once and
  // compressed for a while after).
  void TellWritten(Advance written);

 private:
  struct State;
  std::unique_ptr<State> s_;
};

// Compresses `src` into `dst` (created with `mode`, less the umask; must not exist). fsyncs
// `dst`. `work` is asked before each member: when it says so, `dst` is removed and the error
// is kStoppedMessage.
Result<GzipResult> GzipFile(const std::string& src, const std::string& dst, int level = 6,
                            size_t member_bytes = kGzipMemberBytes, const Work& work = {},
                            int mode = 0600);
// How much a decompression may write: at most `max_out` bytes; `what` names that bound in
// the error ("the raw_size its metadata states (12288 bytes)").
struct GunzipBound {
  uint64_t max_out = UINT64_MAX;
  std::string what = "no bound";
  // The free bytes the output's filesystem keeps (0: not checked). Re-checked every
  // kReserveCheckBytes written, so two decompressions at once (or any other writer) never
  // take the filesystem below it by more than one interval each (breakJ J16).
  uint64_t reserve = 0;
};
constexpr uint64_t kReserveCheckBytes = 4u << 20;

// The bound for decompressing into the folder `dir`: `raw_size` (the metadata's, when it has
// one) and the free space of `dir`'s filesystem less a reserve (GunzipReserve), whichever is
// smaller, so a damaged or hostile dump never fills the disk of the live database.
Result<GunzipBound> DecompressBound(const std::string& dir, std::optional<uint64_t> raw_size);
// The free space a decompression leaves on a filesystem of `fs_bytes`: 5 % of its size, at
// least 64 MiB and at most 4 GiB (docs/backup.md, "Decompressing a dump").
uint64_t GunzipReserve(uint64_t fs_bytes);

// Decompresses `src` into `dst` (created; must not exist); fsyncs `dst` when `durable`.
// Output past `bound.max_out` is never written: the error is "<src> decompresses past
// <bound.what>"; nor once the filesystem's free space falls below `bound.reserve`.
// Members up to kGzipMemberBytes (ours) go through libdeflate whole; anything else (a
// single huge member from gzip(1), damaged data) continues with streaming zlib, which also
// names the damage. `work` is asked before each member or 1 MiB read and told the input bytes read.
// On error (also stopped: kStoppedMessage) `dst` is removed.
Result<GzipResult> GunzipFile(const std::string& src, const std::string& dst, bool durable = true,
                              const Work& work = {}, const GunzipBound& bound = {});

}  // namespace runbook
