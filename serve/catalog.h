// The runbooks runbook serve knows: every *.yaml and *.yml directly in its folder, loaded and
// checked as `validate` does. Read again at each scheduler tick when a file changed (size or
// modification time), so an edited runbook's schedule takes effect without a restart. A
// catalog is immutable once made; the server swaps whole catalogs (shared_ptr), so a request
// and a tick each read one consistent set.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/model.h"
#include "engine/plugin/registry.h"

namespace runbook {

struct CatalogEntry {
  std::string file;                        // absolute path
  std::shared_ptr<const Runbook> runbook;  // null when the file does not load
  std::string problems;                    // its diagnostics as text ("" when it loads)
  std::string stamp;                       // size and mtime, to see a change
};

class Catalog {
 public:
  // Loads every runbook file of `dir`. Two files with one runbook name: the later one (by
  // file name) is kept as a problem, never run. An unreadable folder gives an empty catalog
  // and `error`.
  static std::shared_ptr<const Catalog> Load(const StepRegistry& registry, const std::string& dir,
                                             std::string& error);
  // Whether a file of `dir` was added, removed or changed since this catalog was made.
  bool Stale(const std::string& dir) const;

  const std::vector<CatalogEntry>& entries() const { return entries_; }
  // The loaded runbook named `name`; nullptr when none.
  const CatalogEntry* Find(const std::string& name) const;
  // Every loaded runbook, in file-name order.
  std::vector<const Runbook*> Runbooks() const;

 private:
  std::vector<CatalogEntry> entries_;
};

}  // namespace runbook
