// A fixed-size heap buffer for reads and writes, left uninitialized: a std::vector<char>(n)
// zeroes all n bytes, and the kernel then faults in every page of it, even when the file
// read into it fills one page. Profiled 2026-12-05 over the test suite: zeroing 16 MiB for
// every runbook file read (engine/loader.cpp) and 49 MiB for every gunzip
// (steps/common/gzip.cpp) was a tenth of the `runbook` processes' CPU. malloc serves such
// sizes with mmap, whose pages cost nothing until touched.
#pragma once

#include <cstddef>
#include <memory>

namespace runbook {

class IoBuffer {
 public:
  // `size` bytes, contents indeterminate until written. Throws std::bad_alloc as new does.
  explicit IoBuffer(size_t size)
      : data_(std::make_unique_for_overwrite<char[]>(size)), size_(size) {}
  char* data() { return data_.get(); }
  const char* data() const { return data_.get(); }
  size_t size() const { return size_; }

 private:
  std::unique_ptr<char[]> data_;
  size_t size_;
};

}  // namespace runbook
