// A real terminal emulator for tests of what an operator sees: a tmux server of this test
// process only, the command in a 150x50 window. Tests only.
#pragma once

#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "support/support.h"

namespace runbook::test {

class Tmux {
 public:
  explicit Tmux(const std::string& command, int columns = 150) : socket_(UniqueSocket()) {
    REQUIRE(Shell(Tmux_() + " -f /dev/null new-session -d -x " + std::to_string(columns) +
                  " -y 50 " + Quote(command + "; echo __END__$?; sleep 600"))
                .exit_code == 0);
  }
  ~Tmux() { Shell(Tmux_() + " kill-server 2>/dev/null"); }
  Tmux(const Tmux&) = delete;
  Tmux& operator=(const Tmux&) = delete;
  // What the window shows now, with 200 lines of scrollback.
  std::string Screen() const { return Shell(Tmux_() + " capture-pane -p -J -S -200").out; }
  // Types `keys` as tmux send-keys takes them ("C-c", "y", "Enter").
  void Keys(const std::string& keys) const {
    REQUIRE(Shell(Tmux_() + " send-keys " + keys).exit_code == 0);
  }
  // The screen once it shows `text` (within `seconds`), "" when it never did or the
  // command ended first.
  std::string WaitFor(const std::string& text, int seconds) const {
    for (int i = 0; i < seconds * 10; ++i) {
      std::string screen = Screen();
      if (screen.find(text) != std::string::npos) return screen;
      if (screen.find("__END__") != std::string::npos) return "";
      usleep(100 * 1000);
    }
    return "";
  }
  // The screen once the command ended (60 s at most), its exit code in `code`.
  std::string ScreenAtEnd(int& code) const {
    for (int i = 0; i < 600; ++i) {
      std::string screen = Screen();
      size_t at = screen.find("__END__");
      if (at != std::string::npos) {
        code = std::stoi(screen.substr(at + 7));
        return screen;
      }
      usleep(100 * 1000);
    }
    FAIL("the command did not end within 60 s");
    return "";
  }

 private:
  // One socket per Tmux object: a server being killed by the previous object of this process
  // may still hold its socket when the next one starts (new-session then fails).
  static std::string UniqueSocket() {
    static int count = 0;
    return "rb-test-" + std::to_string(getpid()) + "-" + std::to_string(++count);
  }
  std::string Tmux_() const { return "tmux -L " + socket_; }
  static std::string Quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
  }
  std::string socket_;
};

}  // namespace runbook::test
