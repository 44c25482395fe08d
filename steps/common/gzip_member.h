// One gzip member (RFC 1952) as backups write them since issue 15: a deterministic header (no
// name, MTIME 0, OS 255) carrying an extra subfield 'R','B' whose 4 bytes (little-endian) are
// the whole member's size. A reader then finds the next member without inflating this one,
// so members decompress on every core — the idea of BGZF's 'B','C' subfield (SAM/BAM format
// specification, section 4.1). Any gzip reader skips the extra field (RFC 1952 2.3.1.1):
// gzip -t, pigz -d, zlib and libdeflate read these members, and older runbook versions too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

struct libdeflate_compressor;
struct libdeflate_decompressor;

namespace runbook {

// Bytes of the header before the deflate data: 10 fixed, XLEN (2), the subfield (4 + 4).
constexpr size_t kMemberHeaderBytes = 20;
// Bytes of the trailer: CRC-32 and ISIZE.
constexpr size_t kMemberTrailerBytes = 8;

// The size a member starting at `p` declares in its 'RB' subfield; 0 when `avail` bytes
// cannot tell or the member has no such field (another writer's, or an older runbook's).
// The claim is only a hint: MemberUnpacker checks it against what inflating consumed.
uint32_t DeclaredMemberSize(const unsigned char* p, size_t avail);

// Compresses inputs into members. One per thread (libdeflate compressors are not shared).
class MemberPacker {
 public:
  explicit MemberPacker(int level);  // libdeflate levels 1-12
  ~MemberPacker();
  MemberPacker(const MemberPacker&) = delete;
  MemberPacker& operator=(const MemberPacker&) = delete;

  // The most bytes Pack writes for `n` bytes of input.
  size_t Bound(size_t n) const;
  // Writes the member of `n` bytes at `in` to `out` (`cap` bytes, at least Bound(n)); returns
  // its size, 0 when `cap` was too small. Identical input gives identical bytes.
  size_t Pack(const char* in, size_t n, char* out, size_t cap) const;

 private:
  libdeflate_compressor* c_;
  int level_;
};

// Inflates one member whose size is known (DeclaredMemberSize). One per thread.
class MemberUnpacker {
 public:
  MemberUnpacker();
  ~MemberUnpacker();
  MemberUnpacker(const MemberUnpacker&) = delete;
  MemberUnpacker& operator=(const MemberUnpacker&) = delete;

  // Inflates the `n`-byte member at `in` into `out` (`cap` bytes); returns the bytes produced,
  // or -1 when it is not exactly one valid member of `n` bytes that fits `cap` (CRC-32 and
  // ISIZE checked). The caller then reads the data by the slow path, which names the damage.
  int64_t Unpack(const char* in, size_t n, char* out, size_t cap) const;

 private:
  libdeflate_decompressor* d_;
};

}  // namespace runbook
