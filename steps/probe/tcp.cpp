#include "engine/util/duration.h"
#include "steps/common/net.h"
#include "steps/common/stop.h"
#include "steps/probe/kinds.h"

namespace runbook {

AttemptResult ProbeTcp(StepContext& ctx) {
  std::string target = ctx.params.Find("address")->ToText();
  Millis timeout = *ParseDuration(ctx.params.Find("connect_timeout")->ToText());
  std::string why = TcpConnect(target, timeout, ctx.cancel.wait_fd());
  if (auto stopped = StoppedResult(ctx)) return *stopped;
  if (!why.empty()) return AttemptResult::Failure("cannot connect to " + target + ": " + why);
  ctx.log("connected to " + target);
  return AttemptResult::Success();
}

}  // namespace runbook
