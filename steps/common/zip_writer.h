// Zip files through libarchive (the only file that includes it): members streamed from an
// open file or given as text, deflate-compressed.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "engine/util/crypto.h"
#include "engine/util/status.h"

namespace runbook {

class ZipWriter {
 public:
  static Result<std::unique_ptr<ZipWriter>> Create(const std::string& path);
  ~ZipWriter();
  ZipWriter(const ZipWriter&) = delete;
  ZipWriter& operator=(const ZipWriter&) = delete;

  // A member read from the open regular file `fd` (from its current offset; the caller
  // keeps it): its size as fstat gives it when added, its sha256 computed from the very
  // bytes packed. `work` is asked every 1 MiB (then kStoppedMessage) and told the bytes
  // packed; `what` names the
  // input in errors. A file that shrinks while read is an error.
  struct Added {
    uint64_t size = 0;
    std::string sha256;
  };
  Result<Added> AddFd(const std::string& name, int fd, const std::string& what, const Work& work);
  Status AddText(const std::string& name, const std::string& text);
  Status Close();  // writes the central directory; must succeed for a valid zip

 private:
  struct Impl;
  explicit ZipWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace runbook
