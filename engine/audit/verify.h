// Walks the audit store's hash chain and, with a public key, checks its signed heads. What this
// detects and what it cannot is written down in docs/audit.md.
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
// Every stored head is checked, not only the latest: its event still has the hash it signed
// (any key), and its signature is valid when signed with `public_key` (breakP P4).
Result<VerifyReport> VerifyChain(AuditStore& store, const std::string& public_key,
                                 bool require_signed = false);

// The chain's tail from event `from_seq` (>= 1) to its end, as VerifyChain walks it: each
// event's content against its hash and its prev_hash against the hash recorded with the
// event before (event from_seq-1, whose own content is not checked; the genesis hash for 1).
// Signed heads are not looked at. `events` counts the events walked. For readers that show
// a part of the store as evidence (ListRuns: breakHH HH4, HH5).
Result<VerifyReport> VerifyChainFrom(AuditStore& store, int64_t from_seq);

// What the signed heads say of the chain as it is now (each checked, breakP P4; the first that
// does not match is said), "" when nothing (or no head):
// a head past the chain's end ("the chain ends at event N but a signed head covers M (the
// tail was truncated)"), or its event no longer the one signed ("event M differs from the
// head signed at event M"). No signature is checked: that needs the public key (VerifyChain).
// For readers that walk only part of the chain (ListRuns, MarkInterrupted: breakII II1, a
// cut under a signed head was believed). Errors: the store's.
Result<std::string> HeadProblem(AuditStore& store);

// Whether the head may be signed with `private_key` (a PEM path or text): the chain intact,
// every earlier signed head still matching its event, and those signed with this key valid.
// Not ok: the report says where (breakP P4: signing whatever head was there laundered a
// rewrite of the signed part, which verified as intact after the next signed run). An
// unsigned store, or one whose latest head another key signed, may be signed.
Result<VerifyReport> VerifyBeforeSigning(AuditStore& store, const std::string& private_key);

}  // namespace runbook
