// What restore may believe about its source: which passed step of this run vouches for it
// (a `hash` that verified it, an `integrity-check` that passed on it, with the source's
// current sha256), and whether the metadata restore read is authenticated — checked with
// restore's own `public_key`, or byte-identical (meta_sha256) to the metadata a vouching
// step checked the signature of. Restore reads the metadata once; this decides on that one
// read (docs/backup.md, Restore).
#pragma once

#include <string>
#include <vector>

#include "engine/plugin/step.h"
#include "steps/common/backup_meta.h"

namespace runbook {

struct Vouch {
  std::string by;              // the step's id; "" when none
  bool authenticated = false;  // it checked the metadata's signature ...
  std::string meta_sha256;     // ... of the metadata with this sha256
};

// The passed step that vouches for `source` (absolute) with one of `sha256s`; a step that
// authenticated the metadata wins over one that only compared checksums.
Vouch VerifiedBy(const std::vector<PassedStep>& passed, const std::string& source,
                 const std::vector<std::string>& sha256s);

// "" when the metadata `meta` (nullptr: none) may be believed as `authenticated` says,
// else why restore must refuse: `public_key` is set and the metadata is missing, unsigned,
// signed by another key or not about this file (size, `sha256`); or the vouching step
// authenticated a metadata other than this one (it changed since).
std::string Unbelieved(const StepParams& params, const std::string& source,
                       const std::string& sha256, const Vouch& vouch, const LoadedMeta* meta,
                       bool& authenticated);

}  // namespace runbook
