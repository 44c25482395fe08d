#include "tests/docs/markdown_snippets.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <sstream>

namespace runbook::test {
namespace {

const char* const kPrograms[] = {"runbook", "build/runbook", "$rb"};
const char* const kShellLanguages[] = {"sh", "bash", "shell", "console"};

bool IsProgram(const std::string& word) {
  for (const char* p : kPrograms) {
    if (word == p) return true;
  }
  return false;
}

bool IsAssignment(const std::string& word) {
  size_t eq = word.find('=');
  return eq != std::string::npos && eq > 0 && word.find_first_of("-/.") > eq;
}

std::vector<std::string> Words(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// A command line's words after the program, when it starts with one (after a console's `$`
// prompt and VAR=value assignments); false otherwise.
bool CommandArgs(const std::string& line, std::vector<std::string>& args) {
  std::vector<std::string> words = ShellWords(line);
  size_t i = 0;
  if (i < words.size() && words[i] == "$") ++i;
  while (i < words.size() && IsAssignment(words[i])) ++i;
  if (i >= words.size() || !IsProgram(words[i])) return false;
  args.assign(words.begin() + static_cast<long>(i) + 1, words.end());
  return true;
}

struct Fence {
  std::string marker;  // ``` or ~~~ (and longer)
  std::string language;
  std::string mark;
  int line = 0;  // of the first line inside
  std::vector<std::string> lines;
};

bool OpensFence(const std::string& line, Fence& fence) {
  size_t start = line.find_first_not_of(' ');
  if (start == std::string::npos || start > 3) return false;
  char c = line[start];
  if (c != '`' && c != '~') return false;
  size_t end = line.find_first_not_of(c, start);
  if (end == std::string::npos) end = line.size();
  if (end - start < 3) return false;
  fence.marker = line.substr(start, end - start);
  std::vector<std::string> info = Words(line.substr(end));
  fence.language = info.empty() ? "" : info[0];
  fence.mark = info.size() > 1 ? info[1] : "";
  return true;
}

bool ClosesFence(const std::string& line, const Fence& fence) {
  size_t start = line.find_first_not_of(' ');
  return start != std::string::npos && start <= 3 &&
         line.compare(start, fence.marker.size(), fence.marker) == 0 &&
         line.find_first_not_of(fence.marker[0], start) == std::string::npos;
}

void AddShellCommands(const Fence& fence, std::vector<Snippet>& out) {
  std::string joined;
  int first = 0;
  for (size_t i = 0; i < fence.lines.size(); ++i) {
    const std::string& line = fence.lines[i];
    if (joined.empty()) first = fence.line + static_cast<int>(i);
    bool continued = !line.empty() && line.back() == '\\';
    joined += continued ? line.substr(0, line.size() - 1) + " " : line;
    if (continued) continue;
    Snippet s;
    if (CommandArgs(joined, s.args)) {
      s.line = first;
      s.text = joined;
      out.push_back(std::move(s));
    }
    joined.clear();
  }
}

void AddFence(const Fence& fence, std::vector<Snippet>& out) {
  if (fence.language == "yaml" || fence.language == "yml") {
    Snippet s;
    s.kind = SnippetKind::kRunbook;
    s.line = fence.line;
    s.mark = fence.mark;
    for (const std::string& l : fence.lines) s.text += l + "\n";
    out.push_back(std::move(s));
    return;
  }
  for (const char* lang : kShellLanguages) {
    if (fence.language == lang) AddShellCommands(fence, out);
  }
}

// A code span's text as the reader sees it: `\|` in a table cell is `|`.
std::string SpanText(std::string text) {
  for (size_t at; (at = text.find("\\|")) != std::string::npos;) text.erase(at, 1);
  return text;
}

void AddSpan(const std::string& text, int line, std::vector<Snippet>& out) {
  Snippet s;
  s.line = line;
  s.inline_span = true;
  s.text = text;
  if (text.size() > 2 && text.compare(0, 2, "--") == 0 &&
      std::islower(static_cast<unsigned char>(text[2]))) {
    s.kind = SnippetKind::kFlags;
    s.args = ShellWords(text);
  } else if (!CommandArgs(text, s.args)) {
    return;
  }
  out.push_back(std::move(s));
}

// Code spans of one paragraph of prose (its lines joined by '\n', the first being line
// `first`): a run of N backticks up to the next run of exactly N; a span may cross lines.
void AddSpans(const std::string& text, int first, std::vector<Snippet>& out) {
  size_t i = 0;
  while ((i = text.find('`', i)) != std::string::npos) {
    size_t n = text.find_first_not_of('`', i);
    if (n == std::string::npos) return;
    std::string ticks = text.substr(i, n - i);
    size_t close = n;
    while ((close = text.find(ticks, close)) != std::string::npos &&
           close + ticks.size() < text.size() && text[close + ticks.size()] == '`') {
      close = text.find_first_not_of('`', close);
    }
    if (close == std::string::npos) return;
    std::string span = text.substr(n, close - n);
    std::replace(span.begin(), span.end(), '\n', ' ');
    int line = first + static_cast<int>(
                           std::count(text.begin(), text.begin() + static_cast<long>(i), '\n'));
    AddSpan(SpanText(span), line, out);
    i = close + ticks.size();
  }
}

// Prose lines gathered until a blank line or a fence ends the paragraph.
struct Paragraph {
  std::string text;
  int first = 0;
  void Add(const std::string& line, int number) {
    if (text.empty()) first = number;
    text += line + "\n";
  }
  void End(std::vector<Snippet>& out) {
    AddSpans(text, first, out);
    text.clear();
  }
};

// sh's word splitting, one character at a time (no expansion).
struct ShellSplitter {
  std::vector<std::string> words;
  std::string word;
  bool have = false;  // a word has started (quotes make an empty word)
  char quote = 0;     // the open quote, or 0

  void End() {
    if (have) words.push_back(word);
    word.clear();
    have = false;
  }
  void Quoted(const std::string& line, size_t& i) {
    char c = line[i];
    if (c == quote) {
      quote = 0;
    } else if (quote == '"' && c == '\\' && i + 1 < line.size() &&
               std::strchr("$`\"\\", line[i + 1])) {
      word += line[++i];
    } else {
      word += c;
    }
  }
  // False at an unquoted character that ends the command (a comment, |, ;, &, < or >).
  bool Take(const std::string& line, size_t& i) {
    char c = line[i];
    if (quote != 0) {
      Quoted(line, i);
    } else if (c == '\'' || c == '"') {
      quote = c;
      have = true;
    } else if (c == '\\' && i + 1 < line.size()) {
      word += line[++i];
      have = true;
    } else if (std::isspace(static_cast<unsigned char>(c))) {
      End();
    } else if (std::strchr("|;&<>", c) || (c == '#' && !have)) {
      return false;
    } else {
      word += c;
      have = true;
    }
    return true;
  }
};

}  // namespace

std::vector<Snippet> ExtractSnippets(const std::string& markdown) {
  std::vector<Snippet> out;
  std::istringstream in(markdown);
  std::string line;
  Fence fence;
  Paragraph prose;
  bool in_fence = false;
  for (int number = 1; std::getline(in, line); ++number) {
    if (in_fence && ClosesFence(line, fence)) {
      AddFence(fence, out);
      in_fence = false;
    } else if (in_fence) {
      fence.lines.push_back(line);
    } else if (OpensFence(line, fence)) {
      prose.End(out);
      in_fence = true;
      fence.line = number + 1;
      fence.lines.clear();
    } else if (line.find_first_not_of(" \t") == std::string::npos) {
      prose.End(out);
    } else {
      prose.Add(line, number);
    }
  }
  prose.End(out);
  return out;
}

std::vector<std::string> ShellWords(const std::string& line) {
  ShellSplitter split;
  for (size_t i = 0; i < line.size(); ++i) {
    if (!split.Take(line, i)) break;
  }
  split.End();
  return split.words;
}

}  // namespace runbook::test
