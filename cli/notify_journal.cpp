#include "cli/notify_journal.h"

#include <iostream>
#include <sstream>

#include "engine/util/json.h"
#include "engine/util/private_file.h"
#include "engine/util/time_format.h"

namespace runbook {
namespace {

bool IsIndex(const std::string& s) {
  return !s.empty() && s.size() <= 6 && s.find_first_not_of("0123456789") == std::string::npos;
}

bool IsEventName(const std::string& s) {
  return !s.empty() && s.size() <= 32 &&
         s.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") == std::string::npos;
}

}  // namespace

std::set<OwedNotice> ReadSentJournal(const std::string& path) {
  std::set<OwedNotice> out;
  auto text = ReadPrivateFile(path);
  if (!text) return out;
  size_t start = 0;
  for (size_t end; (end = text->find('\n', start)) != std::string::npos; start = end + 1) {
    std::string line = text->substr(start, end - start);  // a last line without '\n': cut
    size_t space = line.find(' ');
    std::string index = line.substr(0, space);
    std::string event = space == std::string::npos ? "failure" : line.substr(space + 1);
    if (IsIndex(index) && IsEventName(event))
      out.insert({static_cast<size_t>(std::stoul(index)), event});
  }
  return out;
}

Status AppendSent(const std::string& path, const OwedNotice& notice) {
  return AppendPrivateLine(path, std::to_string(notice.index) + " " + notice.event + "\n");
}

Status AppendDone(const std::string& path) { return AppendPrivateLine(path, "done\n"); }

bool SentJournalDone(const std::string& path) {
  auto text = ReadPrivateFile(path);
  return text && (text->rfind("done\n", 0) == 0 || text->find("\ndone\n") != std::string::npos);
}

Status AppendFailedStep(const std::string& path, const std::string& step_id) {
  return AppendPrivateLine(path, "failed " + step_id + "\n");
}

std::vector<std::string> FailedStepsIn(const std::string& path) {
  std::vector<std::string> out;
  std::istringstream lines(ReadPrivateFile(path).value_or(""));
  const std::string prefix = "failed ";
  for (std::string line; std::getline(lines, line);)
    if (line.rfind(prefix, 0) == 0 && line.size() > prefix.size() && !lines.eof())
      out.push_back(line.substr(prefix.size()));
  return out;
}

void FailedStepJournal::StepFailing(const StepDecl& step, std::string_view /*reason*/) {
  if (Status s = AppendFailedStep(path_, step.id); !s.ok())
    std::cerr << "runbook: warning: " << s.message() << "\n";
}

Status WriteOutbox(const std::string& path, const Outbox& outbox) {
  Value::List due;
  for (const OwedNotice& n : outbox.due)
    due.push_back(Value(
        Value::Map{{"index", Value(static_cast<int64_t>(n.index))}, {"event", Value(n.event)}}));
  Value body(Value::Map{{"message", outbox.message},
                        {"due", Value(std::move(due))},
                        {"by_helper", Value(outbox.by_helper)}});
  return WritePrivateFile(path, ToJson(body) + "\n");
}

std::optional<Outbox> ReadOutbox(const std::string& path) {
  auto text = ReadPrivateFile(path);
  if (!text) return std::nullopt;
  auto body = ParseJson(*text);
  if (!body.ok()) return std::nullopt;
  const Value* message = body.value().Find("message");
  const Value* due = body.value().Find("due");
  if (message == nullptr || !message->is_map() || due == nullptr || !due->is_list())
    return std::nullopt;
  const Value* by_helper = body.value().Find("by_helper");
  Outbox out{*message, {}, by_helper != nullptr && by_helper->is_bool() && by_helper->as_bool()};
  for (const Value& d : due->as_list()) {
    const Value* index = d.Find("index");
    const Value* event = d.Find("event");
    if (index == nullptr || !index->is_int() || index->as_int() < 0 || event == nullptr ||
        !IsEventName(event->ToText()))
      return std::nullopt;
    out.due.push_back({static_cast<size_t>(index->as_int()), event->ToText()});
  }
  return out;
}

}  // namespace runbook
