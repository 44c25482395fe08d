#include "cli/bidi_stderr.h"

#include <iostream>
#include <mutex>
#include <string>

#include "engine/util/strings.h"

namespace runbook {
namespace {

// Bytes at the end of `s` that start a UTF-8 sequence not yet complete (0 to 3).
size_t IncompleteTail(const std::string& s) {
  for (size_t back = 1; back <= 3 && back <= s.size(); ++back) {
    auto c = static_cast<unsigned char>(s[s.size() - back]);
    if ((c & 0xc0) == 0x80) continue;  // a continuation byte: look further back
    size_t need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    return need > back ? back : 0;
  }
  return 0;
}

class BidiEscapingBuf : public std::streambuf {
 public:
  explicit BidiEscapingBuf(std::streambuf* out) : out_(out) {}
  ~BidiEscapingBuf() override { Flush(true); }

 protected:
  int_type overflow(int_type c) override {
    if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
    char ch = traits_type::to_char_type(c);
    xsputn(&ch, 1);
    return c;
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    std::lock_guard<std::mutex> lock(mu_);
    pending_.append(s, static_cast<size_t>(n));
    // A write that did not go through fails the stream (badbit), so the end of main can tell
    // (breakGG G4: a run logging to a full disk exited 0).
    return FlushLocked(false) ? n : 0;
  }
  int sync() override {
    std::lock_guard<std::mutex> lock(mu_);
    FlushLocked(false);
    return out_->pubsync();
  }

 private:
  void Flush(bool all) {
    std::lock_guard<std::mutex> lock(mu_);
    FlushLocked(all);
    out_->pubsync();
  }
  // Writes what is pending, but for an incomplete UTF-8 sequence at its end unless `all`.
  bool FlushLocked(bool all) {
    size_t keep = all ? 0 : IncompleteTail(pending_);
    std::string text = EscapeBidi(std::string_view(pending_).substr(0, pending_.size() - keep));
    auto wrote = out_->sputn(text.data(), static_cast<std::streamsize>(text.size()));
    pending_.erase(0, pending_.size() - keep);
    return wrote == static_cast<std::streamsize>(text.size());
  }

  std::streambuf* out_;
  std::mutex mu_;
  std::string pending_;
};

}  // namespace

BidiSafeStderr::BidiSafeStderr()
    : filter_(std::make_unique<BidiEscapingBuf>(std::cerr.rdbuf())), real_(std::cerr.rdbuf()) {
  std::cerr.rdbuf(filter_.get());
}

BidiSafeStderr::~BidiSafeStderr() {
  std::cerr.rdbuf(real_);
  filter_.reset();  // flushes what was held back
}

}  // namespace runbook
