#include "serve/run_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <vector>

#include "serve/launcher.h"

namespace runbook {

std::string HelperHeader(int exit_code) {
  return std::string(kHelperLine) +
         (exit_code == kDiedWithServe  // no exit code: a serve before this one saw it go
              ? " (the run died with serve)"
              : " (the run ended with exit " + std::to_string(exit_code) + ")") +
         " says:\n";
}

void AppendHelperHeader(const std::string& path, int exit_code) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return;
  const std::string line = HelperHeader(exit_code);
  (void)!::write(fd, line.data(), line.size());  // one write: never split by another writer
  ::close(fd);
}

std::optional<std::string> RunOwnOutput(const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::vector<char> buffer(max_bytes);
  in.read(buffer.data(), static_cast<std::streamsize>(max_bytes));
  std::string text(buffer.data(), static_cast<size_t>(in.gcount()));
  if (text.rfind(kHelperLine, 0) == 0) return std::string();
  if (size_t at = text.find("\n" + std::string(kHelperLine)); at != std::string::npos)
    text.resize(at + 1);
  return text;
}

}  // namespace runbook
