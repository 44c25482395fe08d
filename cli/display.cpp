#include "cli/display.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <clocale>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <cwchar>
#include <iostream>
#include <utility>

#include "engine/spawn.h"
#include "engine/util/duration.h"
#include "engine/util/strings.h"

namespace runbook {
namespace {

std::string Timestamp() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%H:%M:%S", &tm);
  return buf;
}

const char* OutcomeMark(Outcome o) {
  switch (o) {
    case Outcome::kSuccess:
      return "ok  ";
    case Outcome::kWarning:
      return "warn";
    case Outcome::kFailure:
      return "FAIL";
    case Outcome::kSkipped:
      return "skip";
    case Outcome::kCancelled:
      return "stop";
    default:
      return "    ";
  }
}

const char* OutcomeColor(Outcome o) {
  switch (o) {
    case Outcome::kSuccess:
      return "32";
    case Outcome::kWarning:
      return "33";
    case Outcome::kFailure:
      return "1;31";
    default:
      return "2";
  }
}

// The columns the UTF-8 character at `text` (of `left` bytes) takes on a terminal, and its
// length in bytes: glibc's wcwidth under C.UTF-8, whatever the process's locale (breakP P9:
// a CJK character or an emoji takes 2, and counted as 1 the live line wrapped and the redraw
// left stale lines). A byte that starts no character: 1 column, 1 byte.
std::pair<int, size_t> CharColumns(const char* text, size_t left) {
  static locale_t utf8 = ::newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
  if (utf8 == static_cast<locale_t>(nullptr)) return {1, 1};
  locale_t before = ::uselocale(utf8);
  std::mbstate_t state{};
  wchar_t wc = 0;
  size_t got = std::mbrtowc(&wc, text, left, &state);
  int columns = got == 0 || got > left ? 1 : ::wcwidth(wc);
  ::uselocale(before);
  if (got == 0 || got > left) got = 1;  // invalid or cut: one byte
  return {columns < 0 ? 1 : columns, got};
}

// `line` cut to fit `width` columns with one to spare: escape sequences (colour) take no
// column, a character as many as it shows in (CharColumns). A line that fills the last
// column leaves the terminal in its pending-wrap state and the live block's rows are then
// miscounted (breakK K7).
std::string FitToWidth(const std::string& line, int width, bool color) {
  int columns = 0;
  for (size_t i = 0; i < line.size();) {
    if (line[i] == '\033') {  // CSI: ESC [ ... final byte
      size_t end = line.find_first_of("ABCDEFGHJKSTfmsu", i + 2);
      i = end == std::string::npos ? line.size() : end + 1;
      continue;
    }
    auto [wide, bytes] = CharColumns(line.data() + i, line.size() - i);
    if (columns + wide > width - 1) return line.substr(0, i) + (color ? "\033[0m" : "");
    columns += wide;
    i += bytes;
  }
  return line;
}

int TerminalWidth() {
  winsize ws{};
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20) return ws.ws_col;
  return 100;
}

}  // namespace

Display::Display(bool live, bool color, Millis plain_progress_every, const Redactor* redactor)
    : live_(live), color_(color), plain_progress_every_(plain_progress_every), redactor_(redactor) {
  if (live_) refresher_ = std::thread([this] { Refresh(); });
}

Display::~Display() {
  stop_ = true;
  if (refresher_.joinable()) refresher_.join();
}

std::string Display::Paint(const char* code, const std::string& text) const {
  return color_ ? "\033[" + std::string(code) + "m" + text + "\033[0m" : text;
}

void Display::Refresh() {
  while (!stop_) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!paused_) {
        ClearLocked();
        DrawLocked();
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  std::lock_guard<std::mutex> lock(mu_);
  ClearLocked();
}

void Display::ClearLocked() {
  for (; drawn_lines_ > 0; --drawn_lines_) std::cerr << "\033[1A\033[2K";
  std::cerr << "\r";
}

void Display::DrawLocked() {
  auto now = Clock::Mono::clock::now();
  int width = TerminalWidth();
  for (const auto& [id, r] : running_) {
    Millis elapsed = std::chrono::duration_cast<Millis>(now - r.since);
    std::string line = "  " + Paint("36", "...") + " " + r.label + "  " + HumanDuration(elapsed);
    if (r.progress) line += "  " + ProgressText(*r.progress, r.rate.PerSecond());
    if (!r.last_line.empty()) line += "  " + Paint("2", Printable(r.last_line));
    std::cerr << FitToWidth(line, width, color_) << "\n";
    ++drawn_lines_;
  }
  std::cerr.flush();
}

// Each line after the first of a message is marked as its continuation ("    | " on a
// terminal, after the timestamp otherwise): a step's words that hold newlines (a failure's
// last lines, a note) can never start a line of their own and pass for runbook's (breakO O1:
// a step printed "ok   switch  16ms" and "run X: success" at column 0).
void Display::PrintLocked(const std::string& line) {
  if (live_) ClearLocked();
  std::string stamp = live_ ? "" : Timestamp() + " ";
  size_t start = 0;
  for (bool first = true;; first = false) {
    size_t nl = line.find('\n', start);
    std::cerr << stamp << (first ? "" : "    | ")
              << std::string_view(line).substr(start, nl == std::string::npos ? nl : nl - start)
              << "\n";
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  if (live_ && !paused_) DrawLocked();
  std::cerr.flush();
}

void Display::Print(const std::string& line) {
  std::lock_guard<std::mutex> lock(mu_);
  PrintLocked(Own(line));
}

void Display::Pause() {
  std::lock_guard<std::mutex> lock(mu_);
  paused_ = true;
  if (live_) ClearLocked();
}

void Display::Resume() {
  std::lock_guard<std::mutex> lock(mu_);
  paused_ = false;
}

void Display::RunStarted(const Runbook& rb, const std::string& run_id, bool dry_run) {
  dry_run_ = dry_run;
  Print(Paint("1", "runbook " + rb.name) + " run " + run_id + (dry_run ? " (dry run)" : "") +
        " - " + std::to_string(rb.steps.size()) + " steps");
}

void Display::StepStarted(const StepDecl& s, int attempt) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string label = Own(s.id + " (" + s.uses + ")" +
                          (s.OwnName().empty() ? "" : " \"" + Printable(s.OwnName()) + "\"") +
                          (attempt > 1 ? " attempt " + std::to_string(attempt) : ""));
  Clock::Mono now = Clock::Mono::clock::now();
  running_[s.id] = {label, now, "", std::nullopt, RateWindow(), now};
  if (!live_) PrintLocked("start " + label);
}

void Display::StepLine(const StepDecl& s, bool is_stderr, std::string_view line) {
  std::lock_guard<std::mutex> lock(mu_);
  if (live_) {
    auto it = running_.find(s.id);
    if (it != running_.end()) it->second.last_line = std::string(line.substr(0, 200));
    return;
  }
  PrintLocked(Own(s.id) + (is_stderr ? " ! " : " | ") + Printable(line));  // breakN N3
}

void Display::StepNote(const StepDecl& s, std::string_view line) {
  std::lock_guard<std::mutex> lock(mu_);
  if (live_) {
    auto it = running_.find(s.id);
    if (it != running_.end()) it->second.last_line = std::string(line.substr(0, 200));
  }
  std::string shown = PrintableLines(line);  // a note is a step's words too (breakO O1)
  PrintLocked(live_ ? "     " + Own(s.id) + ": " + shown : Own(s.id) + " | " + shown);
}

void Display::ProgressReported(const StepDecl& s, const StepProgress& p) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = running_.find(s.id);
  if (it == running_.end()) return;
  Running& r = it->second;
  Clock::Mono now = Clock::Mono::clock::now();
  if (!r.progress || r.progress->phase != p.phase || !p.waiting.empty()) r.rate.Reset();
  // The rate starts with the first byte: a wait before it (a writer's lock) is not pace
  // (breakK K11: a 12 s lock wait made "about 11m35s left" for 2 s of work).
  if (p.done > 0) r.rate.Add(now, p.done);
  r.progress = p;
  if (live_ || plain_progress_every_.count() <= 0) return;
  if (now - r.progress_printed < plain_progress_every_) return;
  r.progress_printed = now;
  PrintLocked(Own(s.id) + " | " + ProgressText(p, r.rate.PerSecond()));
}

void Display::AttemptFinished(const StepDecl& s, const AttemptRecord& a, const StepRun&) {
  if (a.status == AttemptStatus::kSuccess) return;
  Print("  " + s.id + " attempt " + std::to_string(a.number) + " " + AttemptStatusName(a.status) +
        (a.error.empty() ? "" : ": " + PrintableLines(a.error)));
}

void Display::RetryScheduled(const StepDecl& s, int next_attempt, Millis delay) {
  Print("  " + s.id + " retrying in " + HumanDuration(delay) + " (attempt " +
        std::to_string(next_attempt) + " of " + std::to_string(s.retry.max_attempts) + ")");
}

void Display::StepFinished(const StepDecl& s, const StepRun& r) {
  std::lock_guard<std::mutex> lock(mu_);
  running_.erase(s.id);
  std::string line = Paint(OutcomeColor(r.outcome), OutcomeMark(r.outcome)) + " " + Own(s.id);
  if (r.started) line += "  " + HumanDuration(r.duration());
  if (!r.reason.empty() && r.outcome != Outcome::kSuccess)
    line += "  (" + PrintableLines(r.reason) + ")";  // a step's own words (breakN N3)
  if (!r.started && r.outcome == Outcome::kCancelled && !running_.empty()) {
    not_started_.push_back(line);  // after the running steps' own ends
    return;
  }
  PrintLocked(line);
  // A failed step's last lines stay on screen (its processes' lines were only the live
  // block's last line): both streams as they came, as `show` gives them (breakR R6).
  const std::string& out = r.output_tail;
  if (r.outcome == Outcome::kFailure && live_ && !out.empty()) {
    std::string tail = LastLines(out, 12);
    if (tail.size() > 2000) tail = tail.substr(tail.size() - 2000);
    PrintLocked(Paint("2", "    | " + PrintableLines(tail)));  // each line marked (breakO O1)
  }
  if (running_.empty()) FlushNotStartedLocked();
}

void Display::ResourceStopped(const StepDecl& s, const std::string& name, const std::string& how) {
  Print("  " + s.id + ": " + name + " " + how);
}

void Display::FlushNotStartedLocked() {
  for (const std::string& line : not_started_) PrintLocked(line);
  not_started_.clear();
}

std::string Display::ObjectiveLines(const RunResult& r) const {
  std::string out;
  if (r.rto.measured) {
    out += "RTO " + HumanDuration(r.rto.elapsed);
    if (r.rto.approval_wait.count() > 0)
      out += " (of which waiting for approval " + HumanDuration(r.rto.approval_wait) + ")";
    if (r.rto.objective) {
      out += r.rto.met() ? Paint("32", " - met") : Paint("1;31", " - MISSED");
      out += " (objective " + HumanDuration(*r.rto.objective) + ")";
    }
    out += "\n";
  } else if (!r.rto.note.empty()) {
    out += "RTO not measured: " + r.rto.note + "\n";
  }
  if (r.rpo.measured) {
    out += r.rpo.future
               ? "RPO unknown: the backup restored by '" + r.rpo.step +
                     "' says it was taken in the future (a wrong clock, or forged "
                     "metadata)"
               : "RPO " + HumanDuration(r.rpo.age) + " (backup restored by '" + r.rpo.step + "')";
    if (r.rpo.objective) {
      out += r.rpo.met() ? Paint("32", " - met") : Paint("1;31", " - MISSED");
      out += " (objective " + HumanDuration(*r.rpo.objective) + ")";
    }
    out += "\n";
  } else if (r.rpo.objective) {
    out += dry_run_ ? "RPO not measured: a dry run restores nothing\n"
                    : "RPO not measured: no step reported the restored backup's creation time\n";
  }
  return out;
}

void Display::RunFinished(const Runbook& rb, const RunResult& r) {
  std::lock_guard<std::mutex> lock(mu_);
  running_.clear();
  FlushNotStartedLocked();
  if (live_) ClearLocked();
  char row[512];
  std::string out = "\n";
  std::snprintf(row, sizeof row, "%-28s %-10s %8s %10s\n", "step", "outcome", "attempts",
                "duration");
  out += row;
  for (size_t i = 0; i < rb.steps.size(); ++i) {
    const StepRun& s = r.steps[i];
    bool carried = !s.restored_from.empty();  // as show and the reports give it (breakO O24)
    size_t attempts = carried ? static_cast<size_t>(s.carried_attempts) : s.attempts.size();
    std::string took = carried     ? HumanDuration(s.carried_duration)
                       : s.started ? HumanDuration(s.duration())
                                   : "-";
    std::snprintf(row, sizeof row, "%-28s %-10s %8zu %10s\n", rb.steps[i].id.c_str(),
                  OutcomeName(s.outcome), attempts, took.c_str());
    out += row;
  }
  // A run the store could not record was stopped by runbook, not cancelled (breakWW WW4).
  // A cancel names the signal that asked for it, unless an operator's Ctrl-C (break22a #4:
  // SIGXCPU of a CPU-time limit read as any cancel).
  const std::string by = r.status == "cancelled" && r.signal > 0 && r.signal != SIGINT
                             ? " (by " + SignalName(r.signal) +
                                   (r.signal == SIGXCPU ? ": the CPU-time limit" : "") + ")"
                             : "";
  const std::string status =
      r.unrecorded.empty() ? r.status + by : "stopped (the audit store could not record it)";
  out += "\n" + std::string(dry_run_ ? "dry run " : "run ") + r.run_id + ": " + status + " in " +
         HumanDuration(r.duration) +
         (!dry_run_               ? ""
          : r.status == "success" ? " (nothing was run)"
                                  : " (nothing was run; a step would fail, above)") +
         "\n";
  // A run stopped before it ended gets no verdict (breakXX XX1: "RTO 8.22s - MISSED" of a run
  // the store could not record).
  if (r.unrecorded.empty())
    out += ObjectiveLines(r);
  else if (r.rto.objective || r.rpo.objective)
    out += "RTO and RPO not judged: the run was stopped before it ended\n";
  std::cerr << Own(out);
  std::cerr.flush();
}

}  // namespace runbook
