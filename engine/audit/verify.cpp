#include "engine/audit/verify.h"

#include <algorithm>
#include <functional>
#include <map>

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
  // A head past the chain's end was found by CheckEveryHead, which runs first.
  r.head = "signed head at event " + std::to_string(h.seq) + " valid (key " + h.key_id + ")" +
           (last_seq > h.seq ? "; " + std::to_string(last_seq - h.seq) + " event(s) after it" : "");
  return Status::Ok();
}

// Every signed head, not only the latest (breakP P4: a rewrite of the signed part was found
// until the next signing, then verified as intact): the chain reaches its event, which still
// has the hash it signed; signed with the key given, its signature is valid. `at` holds the events'
// hashes by seq for the heads' seqs it reaches.
Status CheckEveryHead(const std::vector<SignedHead>& heads,
                      const std::map<int64_t, std::string>& at, const std::string& public_key,
                      VerifyReport& r) {
  std::string given;
  if (!public_key.empty()) {
    auto id = KeyId(public_key);
    if (!id.ok()) return Status::Error("--public-key " + public_key + ": " + id.status().message());
    given = id.value();
  }
  for (const SignedHead& h : heads) {
    std::string seq = std::to_string(h.seq);
    auto it = at.find(h.seq);
    bool ours = !given.empty() && h.key_id == given;
    if (it == at.end()) {  // past the chain's end: truncated (breakQ Q3: with any key or none,
      // as a head's hash is checked: only its signature needs its key)
      Fail(r, r.events + 1,
           "the chain ends at event " + std::to_string(r.events) + " but a signed head covers " +
               seq + " (the tail was truncated)");
      return Status::Ok();
    }
    if (it->second != h.hash) {
      Fail(r, h.seq, "event " + seq + " differs from the head signed at event " + seq);
      return Status::Ok();
    }
    if (!ours) continue;
    if (!Ed25519Verify(public_key, HeadMessage(h.seq, h.hash), h.signature).ok()) {
      Fail(r, h.seq, "the signature of the head at event " + seq + " is invalid");
      return Status::Ok();
    }
  }
  return Status::Ok();
}

// Walks the chain from `from_seq` into `r`, calling `on_event` for each event that holds;
// stops at the first that does not (r.ok false, where and why). Errors: the store's.
Status Walk(AuditStore& store, int64_t from_seq, VerifyReport& r,
            const std::function<void(const AuditEvent&)>& on_event) {
  std::string prev = kGenesisHash;
  int64_t expected = from_seq;
  bool before = from_seq > 1;  // event from_seq-1 first: only its hash is taken
  return store.ForEachEvent(
      [&](const AuditEvent& e) {
        if (before) {
          before = false;
          if (e.seq == from_seq - 1) {
            prev = e.hash;
            return true;
          }
          prev = "";  // deleted: the first event walked cannot link to it
        }
        std::string problem = CheckEvent(e, expected, prev);
        if (!problem.empty()) {
          Fail(r, expected, "event " + std::to_string(expected) + ": " + problem);
          return false;
        }
        on_event(e);
        prev = e.hash;
        ++expected;
        ++r.events;
        return true;
      },
      before ? from_seq - 1 : from_seq);
}

}  // namespace

Result<VerifyReport> VerifyChainFrom(AuditStore& store, int64_t from_seq) {
  VerifyReport r;
  Status walked = Walk(store, std::max<int64_t>(from_seq, 1), r, [](const AuditEvent&) {});
  if (!walked.ok()) return walked;
  return r;
}

Result<std::string> HeadProblem(AuditStore& store) {
  auto head = store.FirstHeadNotMatching();
  if (!head.ok()) return head.status();
  if (!head.value()) return std::string();
  auto tip = store.Tip();
  if (!tip.ok()) return tip.status();
  std::string seq = std::to_string(head.value()->seq);
  if (head.value()->seq > tip.value().first)
    return "the chain ends at event " + std::to_string(tip.value().first) +
           " but a signed head covers " + seq + " (the tail was truncated)";
  return "event " + seq + " differs from the head signed at event " + seq;
}

Result<VerifyReport> VerifyBeforeSigning(AuditStore& store, const std::string& private_key) {
  // The key is checked as the one given to sign with (break22 #9: its error named
  // --public-key, the option VerifyChain's errors are about), by a trial signature: a public
  // key is no key to sign with, said under the same prefix (break25a #11).
  if (auto trial = Ed25519Sign(private_key, "runbook: a trial of --sign-key"); !trial.ok())
    return Status::Error("--sign-key " + private_key + ": " + trial.status().message());
  auto r = VerifyChain(store, private_key);
  if (!r.ok()) return r;
  // Nothing signed yet, or the latest head signed with another key (a rotated key): no
  // reason not to sign. Only a bad event or head is.
  if (!r.value().ok && r.value().first_bad_seq == 0) r.value().ok = true;
  return r;
}

Result<VerifyReport> VerifyChain(AuditStore& store, const std::string& public_key,
                                 bool require_signed) {
  VerifyReport r;
  auto heads = store.Heads();
  if (!heads.ok()) return heads.status();
  std::map<int64_t, std::string> at;  // the events' hashes at the heads' seqs
  for (const SignedHead& h : heads.value()) at[h.seq];
  Status walked = Walk(store, 1, r, [&](const AuditEvent& e) {
    if (auto it = at.find(e.seq); it != at.end()) it->second = e.hash;
  });
  if (!walked.ok()) return walked;
  if (!r.ok) return r;
  for (auto it = at.begin(); it != at.end();)  // seqs past the chain's end: truncated
    it = it->first > r.events ? at.erase(it) : std::next(it);
  Status every = CheckEveryHead(heads.value(), at, public_key, r);
  if (!every.ok()) return every;
  if (!r.ok) return r;
  Status checked = CheckHead(store, public_key, require_signed, r.events, r);
  if (!checked.ok()) return checked;
  return r;
}

}  // namespace runbook
