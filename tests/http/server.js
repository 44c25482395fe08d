#!/usr/bin/env node
// A small shop API for the tests of `service` and `probe` (no dependencies): login, catalog,
// orders, checkout, health, /metrics in Prometheus text format, and /ping for the benchmark.
// Behaviour is set per test on the command line:
//   --port N              listen on 127.0.0.1:N (0: any free port; the port is printed)
//   --latency-ms N        delay every API answer by N ms (not /health, /metrics, /ping)
//   --error-every N       every Nth checkout answers 500
//   --healthy-after-ms N  /health answers 503 until N ms after the start
//   --exit-after-ms N     exit (with --exit-code, default 7) N ms after the start
//   --ignore-sigterm      keep running on SIGTERM (the stop path must SIGKILL)
'use strict';
const http = require('http');
const crypto = require('crypto');

const opts = { port: 0, latencyMs: 0, errorEvery: 0, healthyAfterMs: 0, exitAfterMs: 0, exitCode: 7 };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  const next = () => Number(process.argv[++i]);
  if (a === '--port') opts.port = next();
  else if (a === '--latency-ms') opts.latencyMs = next();
  else if (a === '--error-every') opts.errorEvery = next();
  else if (a === '--healthy-after-ms') opts.healthyAfterMs = next();
  else if (a === '--exit-after-ms') opts.exitAfterMs = next();
  else if (a === '--exit-code') opts.exitCode = next();
  else if (a === '--ignore-sigterm') process.on('SIGTERM', () => console.log('ignoring SIGTERM'));
  else if (a.startsWith('--tag=')) { /* lets a test find this process with pgrep */ }
  else { console.error(`unknown option ${a}`); process.exit(2); }
}

const started = Date.now();
const users = { 'smoke@puranatura.test': 'smoke-password' };
const sessions = new Map();  // token -> { email, cookie }
const orders = [];
const catalog = [
  { sku: 'TEA-001', name: 'Green tea', price: 4.5 },
  { sku: 'OIL-002', name: 'Olive oil', price: 9.9 },
];
const buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const metrics = new Map();  // route -> { counts: [], sum, count }
let errors = 0;
let checkouts = 0;

function observe(route, seconds) {
  let m = metrics.get(route);
  if (!m) metrics.set(route, (m = { counts: buckets.map(() => 0), sum: 0, count: 0 }));
  buckets.forEach((b, i) => { if (seconds <= b) m.counts[i]++; });
  m.sum += seconds;
  m.count++;
}

function metricsText() {
  const lines = ['# TYPE http_request_duration_seconds histogram'];
  for (const [route, m] of metrics) {
    buckets.forEach((b, i) =>
      lines.push(`http_request_duration_seconds_bucket{route="${route}",le="${b}"} ${m.counts[i]}`));
    lines.push(`http_request_duration_seconds_bucket{route="${route}",le="+Inf"} ${m.count}`);
    lines.push(`http_request_duration_seconds_sum{route="${route}"} ${m.sum}`);
    lines.push(`http_request_duration_seconds_count{route="${route}"} ${m.count}`);
  }
  lines.push('# TYPE http_request_errors_total counter', `http_request_errors_total ${errors}`);
  return lines.join('\n') + '\n';
}

function send(res, status, body, headers = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json', ...headers });
  res.end(text);
}

function session(req) {
  const auth = req.headers.authorization || '';
  return auth.startsWith('Bearer ') ? sessions.get(auth.slice(7)) : undefined;
}

function hasCookie(req, s) {
  return (req.headers.cookie || '').split(/;\s*/).includes(`session=${s.cookie}`);
}

const routes = {
  'POST /api/auth/login': (req, res, body) => {
    if (!body || users[body.email] !== body.password) return send(res, 401, { error: 'invalid credentials' });
    const token = crypto.randomBytes(16).toString('hex');
    const cookie = crypto.randomBytes(8).toString('hex');
    sessions.set(token, { email: body.email, cookie });
    send(res, 200, { token, user: { email: body.email } }, { 'set-cookie': `session=${cookie}; Path=/; HttpOnly` });
  },
  'GET /api/catalog': (req, res) => {
    if (!session(req)) return send(res, 401, { error: 'no token' });
    send(res, 200, { items: catalog });
  },
  'GET /api/orders': (req, res) => {
    const s = session(req);
    if (!s) return send(res, 401, { error: 'no token' });
    if (!hasCookie(req, s)) return send(res, 403, { error: 'no session cookie' });
    send(res, 200, { orders: orders.filter((o) => o.email === s.email) });
  },
  'POST /api/checkout': (req, res, body) => {
    const s = session(req);
    if (!s) return send(res, 401, { error: 'no token' });
    checkouts++;
    if (opts.errorEvery > 0 && checkouts % opts.errorEvery === 0) return send(res, 500, { error: 'injected' });
    const order = { id: orders.length + 1, email: s.email, items: (body && body.items) || [], status: 'confirmed' };
    orders.push(order);
    send(res, 201, { order });
  },
};

const server = http.createServer((req, res) => {
  const path = req.url.split('?')[0];
  if (path === '/ping') return send(res, 200, 'pong');
  if (path === '/metrics') return send(res, 200, metricsText());
  if (path === '/health') {
    const ok = Date.now() - started >= opts.healthyAfterMs;
    return send(res, ok ? 200 : 503, { status: ok ? 'ok' : 'starting' });
  }
  const handler = routes[`${req.method} ${path}`];
  let raw = '';
  req.on('data', (c) => { raw += c; });
  req.on('end', () => {
    const t0 = process.hrtime.bigint();
    const finish = () => {
      let body;
      try { body = raw ? JSON.parse(raw) : undefined; } catch { return send(res, 400, { error: 'bad json' }); }
      if (!handler) return send(res, 404, { error: 'not found' });
      handler(req, res, body);
      if (res.statusCode >= 500) errors++;
      observe(path, Number(process.hrtime.bigint() - t0) / 1e9);
    };
    if (opts.latencyMs > 0) setTimeout(finish, opts.latencyMs); else finish();
  });
});

server.keepAliveTimeout = 30000;
server.listen(opts.port, '127.0.0.1', () => {
  console.log(`listening on 127.0.0.1:${server.address().port}`);
});
if (opts.exitAfterMs > 0) {
  setTimeout(() => { console.log(`exiting with ${opts.exitCode} as asked`); process.exit(opts.exitCode); }, opts.exitAfterMs);
}
