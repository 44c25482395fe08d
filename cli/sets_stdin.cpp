#include "cli/sets_stdin.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "engine/util/fd_io.h"
#include "engine/util/json.h"

namespace runbook {
namespace {

constexpr size_t kMaxInput = 16 << 20;

// Standard input becomes /dev/null: the steps the run starts inherit nothing of it.
void CloseStdin() {
  int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ::dup2(fd, 0);
  ::close(fd);
}

}  // namespace

Status TakeSetsFromStdin(std::vector<std::string>& sets) {
  auto text = ReadAll(0, kMaxInput, "--sets-stdin: standard input");
  CloseStdin();
  if (!text.ok()) return text.status();
  auto json = ParseJson(text.value());
  const Status malformed =
      Status::Error("--sets-stdin: standard input is not a JSON list of [NAME, VALUE] pairs");
  if (!json.ok() || !json.value().is_list()) return malformed;
  std::vector<std::string> taken;
  for (const Value& pair : json.value().as_list()) {
    if (!pair.is_list() || pair.as_list().size() != 2 || !pair.as_list()[0].is_string() ||
        !pair.as_list()[1].is_string())
      return malformed;
    taken.push_back(pair.as_list()[0].as_string() + "=" + pair.as_list()[1].as_string());
  }
  sets.insert(sets.end(), taken.begin(), taken.end());
  return Status::Ok();
}

}  // namespace runbook
