// The hash chain over audit events: each event's hash covers its own fields and the hash
// of the event before it, so a changed, deleted, inserted or reordered row breaks the chain
// at that point. Shared by the store (when appending) and by verification.
#pragma once

#include <cstdint>
#include <string>

namespace runbook {

struct AuditEvent {
  int64_t seq = 0;  // 1, 2, 3 ... one chain per store
  std::string run_id;
  std::string kind;     // run_started, attempt_started, attempt_finished, approval, ...
  std::string at;       // RFC 3339 UTC, milliseconds
  std::string step;     // "" when not about a step
  int64_t attempt = 0;  // 0 when not about an attempt
  std::string body;     // canonical JSON (sorted keys, compact)
  std::string prev_hash;
  std::string hash;
};

// The hash of the first event's predecessor.
inline const std::string kGenesisHash(64, '0');

// sha256 over the canonical serialisation: the JSON array
// [seq, run_id, kind, at, step, attempt, body, prev_hash] (body as a JSON string).
std::string EventHash(const AuditEvent& e);

// The message an Ed25519 head signature covers.
std::string HeadMessage(int64_t seq, const std::string& hash);

}  // namespace runbook
