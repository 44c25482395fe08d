// Walks the audit store's hash chain and, with a public key, checks the latest signed
// head. What this detects and what it cannot is written down in docs/audit.md.
#pragma once

#include <string>

#include "engine/audit/store.h"

namespace runbook {

struct VerifyReport {
  bool ok = true;
  int64_t events = 0;
  int64_t first_bad_seq = 0;  // the first event where the chain breaks (0: none)
  std::string problem;        // what is wrong there, for people
  std::string head;           // what the signed-head check found
};

// `public_key` may be empty: the signed head is then reported, not checked. An intact chain
// with no signed head is ok (reported as unsigned) unless `require_signed`: then not ok, with
// first_bad_seq 0 (no event is bad; the store lacks a signature).
Result<VerifyReport> VerifyChain(AuditStore& store, const std::string& public_key,
                                 bool require_signed = false);

}  // namespace runbook
