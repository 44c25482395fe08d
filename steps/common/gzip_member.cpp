#include "steps/common/gzip_member.h"

#include <libdeflate.h>

#include <cstring>

namespace runbook {
namespace {

void PutLe32(unsigned char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}

uint32_t GetLe32(const unsigned char* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

// XFL as gzip(1) and libdeflate set it: 2 for the slowest levels, 4 for the fastest.
unsigned char ExtraFlags(int level) { return level >= 8 ? 2 : level <= 1 ? 4 : 0; }

constexpr unsigned char kFextra = 0x04;

}  // namespace

uint32_t DeclaredMemberSize(const unsigned char* p, size_t avail) {
  if (avail < kMemberHeaderBytes) return 0;
  if (p[0] != 0x1f || p[1] != 0x8b || p[2] != 8 || p[3] != kFextra) return 0;
  if (p[10] != 8 || p[11] != 0 || p[12] != 'R' || p[13] != 'B' || p[14] != 4 || p[15] != 0)
    return 0;
  uint32_t size = GetLe32(p + 16);
  return size >= kMemberHeaderBytes + kMemberTrailerBytes ? size : 0;
}

MemberPacker::MemberPacker(int level) : c_(libdeflate_alloc_compressor(level)), level_(level) {}
MemberPacker::~MemberPacker() { libdeflate_free_compressor(c_); }

size_t MemberPacker::Bound(size_t n) const {
  return kMemberHeaderBytes + libdeflate_deflate_compress_bound(c_, n) + kMemberTrailerBytes;
}

size_t MemberPacker::Pack(const char* in, size_t n, char* out, size_t cap) const {
  if (c_ == nullptr || cap < Bound(n)) return 0;
  auto* o = reinterpret_cast<unsigned char*>(out);
  const unsigned char header[kMemberHeaderBytes - 4] = {
      0x1f, 0x8b, 8, kFextra, 0, 0, 0, 0, ExtraFlags(level_), 255, 8, 0, 'R', 'B'};
  std::memcpy(o, header, sizeof header);
  o[14] = 4;
  o[15] = 0;
  size_t body = libdeflate_deflate_compress(c_, in, n, o + kMemberHeaderBytes,
                                            cap - kMemberHeaderBytes - kMemberTrailerBytes);
  if (body == 0) return 0;
  size_t size = kMemberHeaderBytes + body + kMemberTrailerBytes;
  PutLe32(o + 16, static_cast<uint32_t>(size));
  PutLe32(o + kMemberHeaderBytes + body, libdeflate_crc32(0, in, n));
  PutLe32(o + kMemberHeaderBytes + body + 4, static_cast<uint32_t>(n));
  return size;
}

MemberUnpacker::MemberUnpacker() : d_(libdeflate_alloc_decompressor()) {}
MemberUnpacker::~MemberUnpacker() { libdeflate_free_decompressor(d_); }

int64_t MemberUnpacker::Unpack(const char* in, size_t n, char* out, size_t cap) const {
  if (d_ == nullptr) return -1;
  size_t used = 0, produced = 0;
  auto rc = libdeflate_gzip_decompress_ex(d_, in, n, out, cap, &used, &produced);
  if (rc != LIBDEFLATE_SUCCESS || used != n) return -1;
  return static_cast<int64_t>(produced);
}

}  // namespace runbook
