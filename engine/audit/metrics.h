// Prometheus text format for node_exporter's textfile collector: the last run's status,
// duration, RTO and objective, and per-step durations, labelled by runbook. Written to a
// temporary file and renamed, so the collector never reads half a file.
#pragma once

#include <string>

#include "engine/model.h"
#include "engine/plan.h"
#include "engine/util/status.h"

namespace runbook {

// A Prometheus label value, quoted and escaped (\\, \", \n) as the exposition format says.
std::string PromLabel(const std::string& value);
std::string MetricsText(const Runbook& rb, const RunResult& result, int64_t finished_unix_ms);
Status WriteMetricsFile(const std::string& path, const std::string& text);

}  // namespace runbook
