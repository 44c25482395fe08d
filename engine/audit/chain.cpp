#include "engine/audit/chain.h"

#include "engine/util/crypto.h"
#include "engine/util/json.h"

namespace runbook {

std::string EventHash(const AuditEvent& e) {
  Value::List fields{Value(e.seq),  Value(e.run_id),  Value(e.kind), Value(e.at),
                     Value(e.step), Value(e.attempt), Value(e.body), Value(e.prev_hash)};
  return Sha256Hex(ToJson(Value(std::move(fields))));
}

std::string HeadMessage(int64_t seq, const std::string& hash) {
  return "runbook-audit-head v1\n" + std::to_string(seq) + "\n" + hash + "\n";
}

}  // namespace runbook
