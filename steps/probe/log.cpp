#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string_view>
#include <vector>

#include "engine/util/duration.h"
#include "engine/util/input_file.h"
#include "engine/util/io_buffer.h"
#include "steps/common/bounded_regex.h"
#include "steps/common/files.h"
#include "steps/common/stop.h"
#include "steps/probe/kinds.h"

namespace runbook {
namespace {

// The newest file among the glob's matches.
Result<std::string> Newest(const std::string& glob) {
  auto files = ExpandGlobs({glob});
  if (!files.ok()) return files.status();
  std::string best;
  std::filesystem::file_time_type best_time;
  for (const std::string& f : files.value()) {
    std::error_code ec;
    auto t = std::filesystem::last_write_time(f, ec);
    if (!ec && (best.empty() || t > best_time)) {
      best = f;
      best_time = t;
    }
  }
  if (best.empty()) return Status::Error("no readable file matches '" + glob + "'");
  return best;
}

constexpr size_t kMaxLine = 1 << 20;

// The last line of `path` that `re` matches ("" when none), read in 1 MiB chunks with the
// stop asked between them; `path` must be a regular file (a FIFO would block). A line longer
// than kMaxLine is matched on its last kMaxLine bytes (memory stays bounded).
Result<std::string> LastMatch(const std::string& path, const BoundedRegex& re,
                              const StopCheck& stop) {
  auto opened = OpenInputStream(path);
  if (!opened.ok()) return opened.status();
  std::unique_ptr<FILE, int (*)(FILE*)> f(opened.value(), std::fclose);
  IoBuffer buf(1 << 20);
  std::string pending, last;
  Status failed;  // the first line the expression could not be matched against in its bounds
  auto scan = [&](std::string_view line) {
    if (!failed.ok()) return;
    auto hit = re.Search(line);
    if (!hit.ok()) failed = Status::Error("contains: " + hit.status().message());
    if (hit.ok() && hit.value()) last = std::string(line);
  };
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), f.get())) > 0) {
    if (stop()) return Status::Error(kStoppedMessage);
    if (!failed.ok()) return failed;
    size_t start = 0, nl, from = pending.size();  // `pending` holds no newline before `from`
    pending.append(buf.data(), n);
    while ((nl = pending.find('\n', std::max(start, from))) != std::string::npos) {
      scan(std::string_view(pending).substr(start, nl - start));
      start = nl + 1;
    }
    pending.erase(0, start);
    if (pending.size() > kMaxLine) pending.erase(0, pending.size() - kMaxLine);
  }
  if (std::ferror(f.get())) return Status::FromErrno("cannot read " + path, errno);
  if (!pending.empty()) scan(pending);
  if (!failed.ok()) return failed;
  return last;
}

}  // namespace

AttemptResult ProbeLog(StepContext& ctx) {
  const StepParams& p = ctx.params;
  auto file = Newest(p.Str("path"));
  if (!file.ok()) return AttemptResult::Failure(file.status().message());
  std::error_code ec;
  auto age = std::filesystem::file_time_type::clock::now() -
             std::filesystem::last_write_time(file.value(), ec);
  int64_t age_s = std::chrono::duration_cast<std::chrono::seconds>(age).count();
  AttemptResult r;
  r.outputs = {{"file", Value(file.value())}, {"age_s", Value(age_s)}, {"line", Value("")}};
  if (const Value* max_age = p.Opt("max_age")) {
    Millis limit = *ParseDuration(max_age->ToText());
    if (age > limit) {
      r.error = file.value() + " was last written " + HumanDuration(Millis(age_s * 1000)) +
                " ago, more than max_age " + max_age->ToText() + " (is the job running?)";
      return r;
    }
  }
  if (const Value* contains = p.Opt("contains")) {
    auto re = BoundedRegex::Compile(contains->ToText());
    if (!re.ok()) {
      r.error = "contains: " + re.status().message();
      return r;
    }
    auto found = LastMatch(file.value(), re.value(), StopFor(ctx));
    if (!found.ok()) {
      if (auto stopped = StoppedResult(ctx)) return *stopped;
      r.error = found.status().message();
      return r;
    }
    std::string last = found.value();
    if (last.empty()) {
      r.error = "no line of " + file.value() + " matches '" + contains->ToText() + "'";
      return r;
    }
    r.outputs["line"] = Value(last);
  }
  ctx.log("newest log " + file.value() + ", " + std::to_string(age_s) + "s old");
  r.status = AttemptStatus::kSuccess;
  return r;
}

}  // namespace runbook
