#include "steps/common/output_file.h"

#include <algorithm>

#include "engine/util/strings.h"

namespace runbook {
namespace {

// Splits text into lines without their '\n', or "\r\n" (a file written with CRLF line ends:
// break22 #12, values kept the '\r' while a block's delimiter line matched with it); a last
// line without '\n' counts.
std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    size_t len = end - pos;
    if (end < text.size() && len > 0 && text[end - 1] == '\r') --len;
    out.push_back(text.substr(pos, len));
    pos = end + 1;
  }
  return out;
}

class OutputParser {
 public:
  OutputParser(const std::vector<std::string>& builtins,
               const std::function<std::string(std::string)>& redact)
      : builtins_(builtins), redact_(redact) {}

  Result<Value::Map> Parse(std::string_view text) {
    lines_ = Lines(text);
    // A NUL would cut a value wherever it goes on as C text (argv, env): never taken.
    for (index_ = 0; index_ < lines_.size(); ++index_)
      if (lines_[index_].find('\0') != std::string_view::npos)
        return Fail("holds a NUL byte, which no output value can carry");
    for (index_ = 0; index_ < lines_.size(); ++index_) {
      std::string_view line = lines_[index_];
      if (line.empty()) continue;
      Status s = Entry(line);
      if (!s.ok()) return s;
    }
    return std::move(out_);
  }

 private:
  // One `name=value` line or one `name<<DELIM` block (which advances index_).
  Status Entry(std::string_view line) {
    size_t eq = line.find('='), heredoc = line.find("<<");
    if (eq == std::string_view::npos && heredoc == std::string_view::npos)
      return Fail("expected name=value or name<<DELIMITER, found " + Shown(line));
    bool single =
        heredoc == std::string_view::npos || (eq != std::string_view::npos && eq < heredoc);
    size_t split = single ? eq : heredoc;
    std::string name(line.substr(0, split));
    Status named = CheckName(name);
    if (!named.ok()) return named;
    if (single) {
      out_[name] = Value(std::string(line.substr(eq + 1)));
      return Status::Ok();
    }
    return Block(name, line.substr(heredoc + 2));
  }

  Status Block(const std::string& name, std::string_view delimiter) {
    if (delimiter.empty())
      return Fail("'" + Masked(name) + "<<' needs a delimiter after '<<' (name<<EOF)");
    size_t start = index_;
    std::string value;
    for (size_t i = start + 1; i < lines_.size(); ++i) {
      if (lines_[i] == delimiter) {
        out_[name] = Value(std::move(value));
        index_ = i;
        return Status::Ok();
      }
      if (i > start + 1) value += '\n';
      value += lines_[i];
    }
    return Fail("the value of '" + Masked(name) + "' never ends: no line " + Shown(delimiter) +
                " follows");
  }

  Status CheckName(const std::string& name) {
    if (name.empty()) return Fail("an output needs a name before '=' or '<<'");
    if (!IsLowerName(name, true))
      return Fail("invalid output name " + Shown(name) +
                  "; expected lowercase letters, digits, '_' and '-', starting with a letter "
                  "or digit (as a step id)");
    if (std::find(builtins_.begin(), builtins_.end(), name) != builtins_.end())
      return Fail("'" + name + "' is a built-in output of this step and cannot be written");
    return Status::Ok();
  }

  std::string Masked(std::string_view text) const {
    return redact_ ? redact_(std::string(text)) : std::string(text);
  }
  // Quoted for a message: masked first, then cut (a cut never leaves half a secret).
  std::string Shown(std::string_view text) const {
    std::string masked = Masked(text);
    if (masked.size() > 80) masked = masked.substr(0, Utf8CutAt(masked, 77)) + "...";
    return "'" + masked + "'";
  }
  Status Fail(const std::string& message) const {
    return Status::Error("$RUNBOOK_OUTPUT line " + std::to_string(index_ + 1) + ": " + message);
  }

  const std::vector<std::string>& builtins_;
  const std::function<std::string(std::string)>& redact_;
  std::vector<std::string_view> lines_;
  size_t index_ = 0;
  Value::Map out_;
};

}  // namespace

Result<Value::Map> ParseOutputFile(std::string_view text, const std::vector<std::string>& builtins,
                                   const std::function<std::string(std::string)>& redact) {
  return OutputParser(builtins, redact).Parse(text);
}

}  // namespace runbook
