// What restore may believe about its source: which passed step of this run vouches for it
// (a `hash` that verified it, an `integrity-check` that passed on it, with the source's
// current sha256), and whether the metadata restore read is authenticated — checked with
// restore's own `public_key`, or byte-identical (meta_sha256) to the metadata a vouching
// step checked the signature of. Restore reads the metadata once; this decides on that one
// read (docs/backup.md, Restore).
#pragma once

#include <optional>
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

// The copy of `source` (absolute) that a passed integrity-check of this run checked and kept
// (`keep: true`): restore installs that very copy instead of decompressing again (issue 15),
// once its sha256 is still the one recorded here.
struct CheckedCopy {
  std::string by;             // the integrity-check step's id
  std::string path;           // its `workspace`
  std::string sha256;         // its `workspace_sha256`: the copy as checked
  std::string file;           // its `workspace_file`: FileIdentity of the copy it kept
  std::string source_sha256;  // its `sha256`: the source it checked (VerifiedBy finds the
                              // check by it; its signature verdict comes from there)
};
// "DEV:INODE:SIZE:MTIME_SEC.NSEC" of the file at `path` itself (links not followed), "" when
// it cannot be examined: how integrity-check records the copy it kept and restore recognises
// it. Size and mtime too: a freed inode is handed to the next file made (breakY Y10: another
// file put at the path after `rm` had the copy's DEV:INODE); a rename keeps all four.
std::string FileIdentity(const std::string& path);

std::optional<CheckedCopy> KeptCheckedCopy(const std::vector<PassedStep>& passed,
                                           const std::string& source);

// "" when the metadata `meta` (nullptr: none) may be believed as `authenticated` says,
// else why restore must refuse: `public_key` is set and the metadata is missing, unsigned,
// signed by another key or not about this file (size, `sha256`); or the vouching step
// authenticated a metadata other than this one (it changed since).
std::string Unbelieved(const StepParams& params, const std::string& source,
                       const std::string& sha256, const Vouch& vouch, const LoadedMeta* meta,
                       bool& authenticated);

}  // namespace runbook
