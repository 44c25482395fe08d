#include "engine/audit/verify.h"

#include "engine/util/crypto.h"

namespace runbook {
namespace {

// Checks one event against its predecessor; returns what is wrong, "" when fine.
std::string CheckEvent(const AuditEvent& e, int64_t expected_seq, const std::string& prev_hash) {
  if (e.seq != expected_seq) {
    return "expected event " + std::to_string(expected_seq) + " here, found " +
           std::to_string(e.seq) + " (events deleted or inserted)";
  }
  if (e.prev_hash != prev_hash) {
    return "its prev_hash does not match the event before it (an event before it was "
           "deleted, inserted or changed, or rows were reordered)";
  }
  if (EventHash(e) != e.hash) return "its content does not match its hash (the row was modified)";
  return {};
}

void Fail(VerifyReport& r, int64_t seq, std::string problem) {
  r.ok = false;
  r.first_bad_seq = seq;
  r.problem = std::move(problem);
}

Status CheckHead(AuditStore& store, const std::string& public_key, bool require_signed,
                 int64_t last_seq, VerifyReport& r) {
  auto head = store.LatestHead();
  if (!head.ok()) return head.status();
  if (!head.value()) {
    r.head = public_key.empty() ? "no signed head"
                                : "unsigned: no signed head to check the key against (sign one "
                                  "with `runbook audit sign`)";
    if (require_signed) {
      Fail(r, 0, "the chain is intact but unsigned: --require-signed and no signed head");
    }
    return Status::Ok();
  }
  const SignedHead& h = *head.value();
  if (public_key.empty()) {
    r.head = "signed head at event " + std::to_string(h.seq) + " not checked (no --public-key)";
    return Status::Ok();
  }
  Status sig = Ed25519Verify(public_key, HeadMessage(h.seq, h.hash), h.signature);
  if (!sig.ok()) {
    // Another key is no broken chain (breakO O22): say whose key signed it.
    auto given = KeyId(public_key);
    if (!given.ok())
      return Status::Error("--public-key " + public_key + ": " + given.status().message());
    if (!h.key_id.empty() && given.value() != h.key_id) {
      Fail(r, 0,
           "the head at event " + std::to_string(h.seq) + " is signed with key " + h.key_id +
               ", not with the key given (key " + given.value() +
               "): the chain was not checked against it; give that key's public half");
      return Status::Ok();
    }
    Fail(r, h.seq, "the signature of the head at event " + std::to_string(h.seq) + " is invalid");
    return Status::Ok();
  }
  if (last_seq < h.seq) {
    Fail(r, last_seq + 1,
         "the chain ends at event " + std::to_string(last_seq) + " but a signed head covers " +
             std::to_string(h.seq) + " (the tail was truncated)");
    return Status::Ok();
  }
  r.head = "signed head at event " + std::to_string(h.seq) + " valid (key " + h.key_id + ")" +
           (last_seq > h.seq ? "; " + std::to_string(last_seq - h.seq) + " event(s) after it" : "");
  return Status::Ok();
}

}  // namespace

Result<VerifyReport> VerifyChain(AuditStore& store, const std::string& public_key,
                                 bool require_signed) {
  VerifyReport r;
  std::string prev = kGenesisHash;
  int64_t expected = 1;
  std::string head_hash_at_seq;
  auto head = store.LatestHead();
  if (!head.ok()) return head.status();
  int64_t head_seq = head.value() ? head.value()->seq : 0;
  Status walked = store.ForEachEvent([&](const AuditEvent& e) {
    std::string problem = CheckEvent(e, expected, prev);
    if (!problem.empty()) {
      Fail(r, expected, "event " + std::to_string(expected) + ": " + problem);
      return false;
    }
    if (e.seq == head_seq) head_hash_at_seq = e.hash;
    prev = e.hash;
    ++expected;
    ++r.events;
    return true;
  });
  if (!walked.ok()) return walked;
  if (!r.ok) return r;
  if (head_seq > 0 && head_seq <= r.events && head_hash_at_seq != head.value()->hash) {
    Fail(r, head_seq, "event " + std::to_string(head_seq) + " differs from the signed head");
    return r;
  }
  Status checked = CheckHead(store, public_key, require_signed, r.events, r);
  if (!checked.ok()) return checked;
  return r;
}

}  // namespace runbook
