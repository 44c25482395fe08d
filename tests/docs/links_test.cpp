// The docs lead only to what is in the repository: every relative link in README.md and
// docs/*.md names an existing file and, for a Markdown target, one of its headings (GitHub's
// anchors); the format reference is docs/format.md, not a text outside the repository.
#include <catch2/catch.hpp>
#include <cctype>
#include <filesystem>
#include <regex>
#include <set>
#include <sstream>

#include "tests/docs/docs_check.h"
#include "tests/support/support.h"

using namespace runbook::test;
namespace fs = std::filesystem;

namespace {

const std::string kRoot = RUNBOOK_SOURCE_DIR;

// The lines of a Markdown text outside fenced code blocks, with their numbers.
std::vector<std::pair<int, std::string>> ProseLines(const std::string& text) {
  std::vector<std::pair<int, std::string>> out;
  std::istringstream in(text);
  bool fenced = false;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.rfind("```", 0) == 0 || line.rfind("~~~", 0) == 0) {
      fenced = !fenced;
    } else if (!fenced) {
      out.emplace_back(n, line);
    }
  }
  return out;
}

// GitHub's anchor of a heading: lowercase, punctuation dropped, spaces become '-'.
std::string Anchor(const std::string& heading) {
  std::string out;
  for (unsigned char c : heading) {
    if (std::isalnum(c) || c == '-' || c == '_' || c >= 0x80) {
      out += static_cast<char>(std::tolower(c));
    } else if (c == ' ') {
      out += '-';
    }
  }
  return out;
}

std::set<std::string> Anchors(const std::string& text) {
  std::set<std::string> out;
  for (const auto& [n, line] : ProseLines(text)) {
    size_t hashes = line.find_first_not_of('#');
    if (hashes == 0 || hashes > 6 || hashes == std::string::npos || line[hashes] != ' ') continue;
    out.insert(Anchor(line.substr(hashes + 1)));
  }
  return out;
}

// What is wrong with a relative link `target` in `file` ("" when it leads somewhere).
std::string BadLink(const std::string& file, const std::string& target) {
  size_t hash = target.find('#');
  std::string path = target.substr(0, hash);
  fs::path resolved =
      path.empty() ? fs::path(kRoot) / file : fs::path(kRoot) / fs::path(file).parent_path() / path;
  if (!fs::exists(resolved)) return "no such file";
  if (hash == std::string::npos || resolved.extension() != ".md") return "";
  std::string anchor = target.substr(hash + 1);
  return Anchors(ReadFile(resolved.string())).count(anchor) ? "" : "no heading '#" + anchor + "'";
}

}  // namespace

TEST_CASE("every relative link in README and docs leads to a file and heading that exist",
          "[docs]") {
  static const std::regex kLink(R"(\]\(([^)\s]+)\))");
  std::vector<std::string> problems;
  int links = 0;
  for (const std::string& file : DocFiles()) {
    for (const auto& [n, line] : ProseLines(ReadFile(kRoot + "/" + file))) {
      for (std::sregex_iterator it(line.begin(), line.end(), kLink), end; it != end; ++it) {
        std::string target = (*it)[1];
        if (target.find("://") != std::string::npos || target.rfind("mailto:", 0) == 0) continue;
        ++links;
        std::string why = BadLink(file, target);
        if (!why.empty())
          problems.push_back(file + ":" + std::to_string(n) + ": " + target + ": " + why);
      }
    }
  }
  std::string all;
  for (const std::string& p : problems) all += p + "\n";
  INFO(all);
  CHECK(problems.empty());
  CHECK(links > 0);
}

TEST_CASE("the format reference is docs/format.md, and README and authoring.md point to it",
          "[docs]") {
  for (const std::string& file : DocFiles()) {
    std::string text = ReadFile(kRoot + "/" + file);
    INFO(file);
    CHECK(text.find("shared/spec") == std::string::npos);
    CHECK(text.find("runbook-format-v1") == std::string::npos);
  }
  CHECK(ReadFile(kRoot + "/README.md").find("](docs/format.md)") != std::string::npos);
  CHECK(ReadFile(kRoot + "/docs/authoring.md").find("](format.md)") != std::string::npos);
}
