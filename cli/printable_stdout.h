// What a command prints to stdout from the audit store, made safe for a terminal at the sink:
// texts recorded by other parties (a host name a container set, an account name from its
// passwd, a lock name from a param, a folder name from a clone) reach the operator with their
// control characters shown as \xNN, newlines kept (PrintableLines). One guard per command
// instead of an escape at each of its fields (breakO O18: `show` printed a host name that set
// the terminal's title and cleared the screen).
#pragma once

#include <iostream>
#include <sstream>

namespace runbook {

// While it lives, std::cout is collected; at its end, written out PrintableLines.
class PrintableStdout {
 public:
  PrintableStdout();
  ~PrintableStdout();
  PrintableStdout(const PrintableStdout&) = delete;
  PrintableStdout& operator=(const PrintableStdout&) = delete;

 private:
  std::ostringstream collected_;
  std::streambuf* real_;
};

}  // namespace runbook
