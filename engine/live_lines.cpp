#include "engine/live_lines.h"

#include "engine/redact.h"

namespace runbook {

void LiveLines::Add(std::string unit, bool ends_line, Steady::time_point now) {
  held_.push_back({std::move(unit), ends_line});
  Settle(false);
  if (held_.empty())
    held_since_.reset();
  else if (!held_since_)
    held_since_ = now;
}

void LiveLines::FlushIfQuiet(Steady::time_point now) {
  if (held_since_ && now - *held_since_ >= kQuietFlush) {
    Settle(true);
    held_since_.reset();
  }
}

void LiveLines::Settle(bool all) {
  // The stream as it came: what may still be part of a form, then the units waiting.
  // A text that begins right after a piece cut at 4 KiB is masked as one cut there.
  const unsigned before = after_cut_ && context_.empty() ? kCutBefore : kCutNone;
  std::string text = context_;
  std::vector<std::pair<size_t, size_t>> at;  // each unit's bytes in `text`
  for (const Unit& u : held_) {
    at.emplace_back(text.size(), text.size() + u.text.size());
    text += u.text;
    if (u.ends_line) text += '\n';
  }
  const size_t begun = masking_.form_begun_at_end(text);
  const size_t form_at = text.size() - begun;
  // How much of a form the end holds, its line break aside: from kMinCutFragment bytes on,
  // the units it is in wait for what completes it.
  const size_t form_bytes = begun - (begun > 0 && text.back() == '\n' ? 1 : 0);
  const bool wait = !all && form_bytes >= kMinCutFragment;
  size_t shown = 0;
  for (; shown < held_.size(); ++shown) {
    if (wait && at[shown].second > form_at) break;
    const Unit& u = held_[shown];
    unsigned edges = before;
    if (!u.ends_line && at[shown].second == text.size()) edges |= kCutAfter;  // nothing after
    show_(masking_.mask_part(text, at[shown].first, at[shown].second, edges));
    after_cut_ = !u.ends_line;
  }
  const size_t waiting_at = shown < held_.size() ? at[shown].first : text.size();
  context_ = begun > 0 && form_at < waiting_at ? text.substr(form_at, waiting_at - form_at) : "";
  held_.erase(held_.begin(), held_.begin() + static_cast<std::ptrdiff_t>(shown));
}

}  // namespace runbook
