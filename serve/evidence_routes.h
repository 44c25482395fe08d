// What serve's API answers for auditors and the web UI's Backups and Audit pages, without
// HTTP in sight (serve/api.cpp sends them): the backup catalog as `runbook backups --format
// json` gives it, and the audit chain's state as `runbook audit verify` finds it.
#pragma once

#include <map>
#include <string>

#include "engine/plugin/registry.h"
#include "engine/util/value.h"

namespace runbook {

struct ApiAnswer {
  int status = 200;
  Value body;                                  // sent as JSON
  std::map<std::string, std::string> headers;  // besides Content-Type
};

// GET /api/v1/backups?runbook=NAME: {"runbooks": [...], "dumps": [...]} (docs/backups.md,
// CatalogJson), header X-Store-Altered when the store's chain is broken (the catalog cannot
// be believed: CatalogStoreProblem). 503 with {"error"} when the store cannot be read.
ApiAnswer BackupsAnswer(const std::string& audit_db, const StepRegistry& registry,
                        const std::string& runbook);

// GET /api/v1/audit: {"ok", "events", "first_bad_seq", "problem", "head": {"seq", "hash"},
// "signed_heads": [{"seq", "hash", "key_id", "signed_at"}], "heads_check"}: the whole chain
// walked (VerifyChain without a key: each signed head's event checked, no signature; that
// needs the public key, `runbook audit verify --public-key`). 503 when it cannot be read.
ApiAnswer AuditAnswer(const std::string& audit_db);

}  // namespace runbook
