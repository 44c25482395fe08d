// Zip files through libarchive (the only file that includes it): members streamed from
// disk or given as text, deflate-compressed.
#pragma once

#include <memory>
#include <string>

#include "engine/util/status.h"

namespace runbook {

class ZipWriter {
 public:
  static Result<std::unique_ptr<ZipWriter>> Create(const std::string& path);
  ~ZipWriter();
  ZipWriter(const ZipWriter&) = delete;
  ZipWriter& operator=(const ZipWriter&) = delete;

  Status AddFile(const std::string& name, const std::string& source_path);
  Status AddText(const std::string& name, const std::string& text);
  Status Close();  // writes the central directory; must succeed for a valid zip

 private:
  struct Impl;
  explicit ZipWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace runbook
