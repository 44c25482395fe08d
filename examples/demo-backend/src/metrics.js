'use strict';
// Prometheus text format: http_request_duration_seconds (histogram by method, route,
// status), http_requests_total and http_request_errors_total (5xx answers).
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

class Metrics {
  constructor() {
    this.series = new Map();
    this.errors = 0;
  }

  observe(method, route, status, seconds) {
    const key = `method="${method}",route="${route}",status="${status}"`;
    let s = this.series.get(key);
    if (!s) this.series.set(key, (s = { counts: BUCKETS.map(() => 0), sum: 0, count: 0 }));
    BUCKETS.forEach((b, i) => { if (seconds <= b) s.counts[i] += 1; });
    s.sum += seconds;
    s.count += 1;
    if (status >= 500) this.errors += 1;
  }

  text() {
    const out = [
      '# HELP http_request_duration_seconds Time to answer an HTTP request.',
      '# TYPE http_request_duration_seconds histogram',
    ];
    for (const [labels, s] of this.series) {
      BUCKETS.forEach((b, i) => out.push(`http_request_duration_seconds_bucket{${labels},le="${b}"} ${s.counts[i]}`));
      out.push(`http_request_duration_seconds_bucket{${labels},le="+Inf"} ${s.count}`);
      out.push(`http_request_duration_seconds_sum{${labels}} ${s.sum}`);
      out.push(`http_request_duration_seconds_count{${labels}} ${s.count}`);
    }
    let total = 0;
    for (const s of this.series.values()) total += s.count;
    out.push('# HELP http_requests_total HTTP requests answered.', '# TYPE http_requests_total counter',
      `http_requests_total ${total}`);
    out.push('# HELP http_request_errors_total HTTP requests answered with 5xx.',
      '# TYPE http_request_errors_total counter', `http_request_errors_total ${this.errors}`);
    return out.join('\n') + '\n';
  }
}

module.exports = { Metrics };
