#include "serve/catalog.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

#include "engine/loader.h"
#include "engine/runbook_place.h"
#include "engine/source/diagnostics.h"
#include "engine/testing/scenario.h"

namespace runbook {
namespace {

std::vector<std::string> RunbookFilesIn(const std::string& dir, std::string& error) {
  std::vector<std::string> out;
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) {
    error = "cannot read the runbooks folder " + dir + ": " + ec.message();
    return out;
  }
  for (const auto& entry : it) {
    std::string ext = entry.path().extension().string();
    // A scenario file beside a runbook (x.test.yaml, docs/testing.md) is no runbook.
    if ((ext == ".yaml" || ext == ".yml") && !IsScenarioFile(entry.path().string()) &&
        entry.is_regular_file(ec))
      out.push_back(std::filesystem::absolute(entry.path(), ec).string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string Stamp(const std::string& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return "";
  return std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
         std::to_string(st.st_mtim.tv_nsec);
}

CatalogEntry LoadEntry(const StepRegistry& registry, const std::string& file) {
  CatalogEntry e;
  e.file = file;
  e.stamp = Stamp(file);
  Diagnostics diags;
  SourceText source;
  std::unique_ptr<Runbook> rb, rejected;
  if (ReadRunbookSource(file, source, diags))
    rb = LoadRunbookText(file, source.text, registry, diags, &rejected);
  if (rb) {
    e.runbook = std::move(rb);
  } else {  // a refused schedule param's value may be a secret's text (break24a S2)
    const Redactor redactor = RunbookRedactor(rejected.get());
    const LineMask mask = [&redactor](const std::string& text) { return redactor.Apply(text); };
    e.problems = redactor.Apply(RenderTextAll(diags.all(), &source, false, &diags, mask));
  }
  return e;
}

}  // namespace

std::shared_ptr<const Catalog> Catalog::Load(const StepRegistry& registry, const std::string& dir,
                                             std::string& error) {
  auto catalog = std::make_shared<Catalog>();
  for (const std::string& file : RunbookFilesIn(dir, error)) {
    CatalogEntry e = LoadEntry(registry, file);
    if (e.runbook && catalog->Find(e.runbook->name) != nullptr) {
      e.problems = file + ": runbook name '" + e.runbook->name + "' is also " +
                   catalog->Find(e.runbook->name)->file + "'s; this file is not run\n";
      e.runbook.reset();
    }
    catalog->entries_.push_back(std::move(e));
  }
  return catalog;
}

bool Catalog::Stale(const std::string& dir) const {
  std::string error;
  std::vector<std::string> files = RunbookFilesIn(dir, error);
  if (files.size() != entries_.size()) return true;
  for (size_t i = 0; i < files.size(); ++i) {
    if (files[i] != entries_[i].file || Stamp(files[i]) != entries_[i].stamp) return true;
  }
  return false;
}

const CatalogEntry* Catalog::Find(const std::string& name) const {
  for (const CatalogEntry& e : entries_) {
    if (e.runbook && e.runbook->name == name) return &e;
  }
  return nullptr;
}

std::vector<const Runbook*> Catalog::Runbooks() const {
  std::vector<const Runbook*> out;
  for (const CatalogEntry& e : entries_) {
    if (e.runbook) out.push_back(e.runbook.get());
  }
  return out;
}

}  // namespace runbook
