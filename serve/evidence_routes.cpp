#include "serve/evidence_routes.h"

#include <chrono>

#include "engine/audit/backup_catalog.h"
#include "engine/audit/store.h"
#include "engine/audit/verify.h"
#include "engine/util/strings.h"

namespace runbook {
namespace {

ApiAnswer Unavailable(const std::string& message) {
  return {503, Value(Value::Map{{"error", Value(message)}}), {}};
}

}  // namespace

ApiAnswer BackupsAnswer(const std::string& audit_db, const StepRegistry& registry,
                        const std::string& runbook) {
  auto store = AuditStore::OpenExisting(audit_db);
  if (!store.ok()) return Unavailable(store.status().message());
  auto dumps = ReadBackupCatalog(*store.value(), registry, runbook);
  if (!dumps.ok()) return Unavailable(dumps.status().message());
  ApiAnswer out;
  out.body = CatalogJson(dumps.value(), std::chrono::system_clock::now());
  if (std::string altered = CatalogStoreProblem(*store.value()); !altered.empty())
    out.headers["X-Store-Altered"] = Printable("the audit chain is broken: " + altered);
  return out;
}

ApiAnswer AuditAnswer(const std::string& audit_db) {
  auto store = AuditStore::OpenExisting(audit_db);
  if (!store.ok()) return Unavailable(store.status().message());
  auto verified = VerifyChain(*store.value(), "");
  if (!verified.ok()) return Unavailable(verified.status().message());
  auto tip = store.value()->Tip();
  auto heads = store.value()->Heads();
  if (!tip.ok() || !heads.ok())
    return Unavailable((tip.ok() ? heads.status() : tip.status()).message());
  Value::List signed_heads;
  for (const SignedHead& h : heads.value())
    signed_heads.push_back(Value(Value::Map{{"seq", Value(h.seq)},
                                            {"hash", Value(h.hash)},
                                            {"key_id", Value(h.key_id)},
                                            {"signed_at", Value(h.signed_at)}}));
  const VerifyReport& r = verified.value();
  ApiAnswer out;
  out.body = Value(Value::Map{{"ok", Value(r.ok)},
                              {"events", Value(r.events)},
                              {"first_bad_seq", Value(r.first_bad_seq)},
                              {"problem", Value(r.problem)},
                              {"heads_check", Value(r.head)},
                              {"head", Value(Value::Map{{"seq", Value(tip.value().first)},
                                                        {"hash", Value(tip.value().second)}})},
                              {"signed_heads", Value(std::move(signed_heads))}});
  return out;
}

}  // namespace runbook
