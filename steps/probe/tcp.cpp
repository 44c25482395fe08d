#include "engine/util/duration.h"
#include "steps/common/net.h"
#include "steps/common/stop.h"
#include "steps/probe/kinds.h"

namespace runbook {

AttemptResult ProbeTcp(StepContext& ctx) {
  std::string target = ctx.params.Str("address");
  Millis timeout = ctx.params.Duration("connect_timeout");
  std::string why = TcpConnect(target, timeout, ctx.cancel.wait_fd());
  if (auto stopped = StoppedResult(ctx)) return *stopped;
  if (!why.empty()) return AttemptResult::Failure("cannot connect to " + target + ": " + why);
  ctx.log("connected to " + target);
  return AttemptResult::Success();
}

}  // namespace runbook
