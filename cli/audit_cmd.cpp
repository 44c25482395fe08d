// runbook audit verify | export | sign
#include <iostream>
#include <limits>

#include "cli/audit_open.h"
#include "cli/commands.h"
#include "cli/launch.h"
#include "engine/audit/run_listing.h"
#include "engine/audit/verify.h"
#include "engine/util/crypto.h"
#include "engine/util/json.h"
#include "engine/util/strings.h"

namespace runbook {

int CmdAuditVerify(const AuditCliOptions& o) {
  if (!o.public_key.empty()) {  // a key that cannot be read is a usage error, not tampering (O22)
    if (auto id = KeyId(o.public_key); !id.ok()) {
      std::cerr << "runbook: error: --public-key " << o.public_key << ": " << id.status().message()
                << "\n";
      return kExitInvalid;
    }
  }
  auto store = OpenExistingAudit(o.audit_db, StoreUse::kRead);
  if (!store) return kExitEnvironment;
  auto report = VerifyChain(*store, o.public_key, o.require_signed);
  if (!report.ok()) {
    // A key's error names its flag (--public-key); any other came from the store.
    if (report.status().message().rfind("--", 0) == 0)
      std::cerr << "runbook: error: " << report.status().message() << "\n";
    else
      SayStoreError(*store, report.status());
    return kExitEnvironment;
  }
  const VerifyReport& r = report.value();
  if (!r.ok && r.first_bad_seq == 0) {  // no bad event: a signature is missing
    std::cout << Printable(store->path()) << ": " << r.problem << "\n";
    return kExitStepFailed;
  }
  if (!r.ok) {
    std::cout << Printable(store->path()) << ": chain broken at event " << r.first_bad_seq << ": "
              << r.problem << "\n";
    return kExitStepFailed;
  }
  // The runs index as a witness of what the chain cannot show: events deleted from its end
  // (breakGG G6), or the index itself edited (G7).
  auto listing = ListRuns(*store, "", std::numeric_limits<int>::max(), ChainWalk::kNone);
  if (!listing.ok()) {
    SayStoreError(*store, listing.status());
    return kExitEnvironment;
  }
  if (listing.value().Altered()) {
    std::cout << Printable(store->path()) << ": chain intact (" << r.events
              << " events), but the runs index disagrees with the events: events may have been "
                 "deleted from the end of the chain, or the index edited\n";
    for (const ListedRun& run : listing.value().runs)
      if (!run.altered.empty())
        std::cout << "  run " << run.row.run_id << ": " << Printable(Join(run.altered, "; "))
                  << "\n";
    for (const std::string& id : listing.value().index_only)
      std::cout << "  run " << Printable(id) << ": in the runs index, no event records it\n";
    return kExitStepFailed;
  }
  std::cout << Printable(store->path()) << ": ok, " << r.events << " events, chain intact"
            << (r.head.empty() ? "" : "; " + r.head) << "\n";
  return kExitOk;
}

int CmdAuditExport(const AuditCliOptions& o) {
  auto store = OpenExistingAudit(o.audit_db, StoreUse::kRead);
  if (!store) return kExitEnvironment;
  Status s = store->ForEachEvent([](const AuditEvent& e) {
    auto body = ParseJson(e.body);
    Value::Map line{{"seq", Value(e.seq)},
                    {"run_id", Value(e.run_id)},
                    {"kind", Value(e.kind)},
                    {"at", Value(e.at)},
                    {"step", Value(e.step)},
                    {"attempt", Value(e.attempt)},
                    {"body", body.ok() ? body.value() : Value(e.body)},
                    {"prev_hash", Value(e.prev_hash)},
                    {"hash", Value(e.hash)}};
    std::cout << ToJsonShown(Value(std::move(line))) << "\n";
    return true;
  });
  if (!s.ok()) {
    SayStoreError(*store, s);
    return kExitEnvironment;
  }
  return kExitOk;
}

int CmdAuditSign(const AuditCliOptions& o) {
  auto store = OpenExistingAudit(o.audit_db, StoreUse::kWrite);
  if (!store) return kExitEnvironment;
  bool broken = false;
  Status s = SignHead(*store, o.sign_key, broken);
  if (!s.ok()) {
    std::cerr << "runbook: error: " << s.message() << "\n";
    return broken ? kExitStepFailed : kExitEnvironment;  // as audit verify of that chain
  }
  auto tip = store->Tip();
  std::cout << "signed the head at event " << (tip.ok() ? tip.value().first : 0) << "\n";
  return kExitOk;
}

}  // namespace runbook
