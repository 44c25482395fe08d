'use strict';
// npm run synthetic:checks: login -> catalog -> orders-list -> checkout as the smoke user
// against the backend on PORT (default 4004). When nothing answers there it starts the
// backend itself (with the same BACKEND_ENV_PATH) and stops it afterwards. Writes
// reports/synthetic/synthetic-report.json (or SYNTHETIC_REPORT) with durationMs per check;
// exits 1 when a check failed.
const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');

const port = Number(process.env.PORT || 4004);
const base = `http://127.0.0.1:${port}`;
const reportPath = process.env.SYNTHETIC_REPORT || path.join('reports', 'synthetic', 'synthetic-report.json');

async function healthy() {
  try {
    return (await fetch(`${base}/health`)).ok;
  } catch {
    return false;
  }
}

async function startBackend() {
  const child = spawn(process.execPath, [path.join(__dirname, '..', 'src', 'server.js')], {
    env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'inherit', 'inherit'],
  });
  for (let i = 0; i < 100; i++) {
    if (await healthy()) return child;
    if (child.exitCode !== null) throw new Error(`the backend exited with ${child.exitCode}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGTERM');
  throw new Error(`the backend did not answer on ${base}/health within 10 s`);
}

async function check(name, fn) {
  const t0 = performance.now();
  try {
    const detail = await fn();
    return { name, ok: true, durationMs: Math.round((performance.now() - t0) * 10) / 10, ...detail };
  } catch (e) {
    return { name, ok: false, durationMs: Math.round((performance.now() - t0) * 10) / 10, error: e.message };
  }
}

async function call(method, url, { token, json } = {}) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(base + url, { method, headers, body: json ? JSON.stringify(json) : undefined });
  const body = await res.json().catch(() => ({}));
  return { status: res.status, body };
}

function expect(cond, message) {
  if (!cond) throw new Error(message);
}

async function journey() {
  let token;
  const checks = [];
  checks.push(await check('login', async () => {
    const r = await call('POST', '/api/auth/login', { json: { email: 'smoke@puranatura.test', password: process.env.SMOKE_PASSWORD || 'smoke-password' } });
    expect(r.status === 200 && typeof r.body.token === 'string', `login answered ${r.status}`);
    token = r.body.token;
    return { status: r.status };
  }));
  const steps = [
    ['catalog', () => call('GET', '/api/catalog'), (r) => r.status === 200 && r.body.items.length > 0],
    ['orders-list', () => call('GET', '/api/orders', { token }), (r) => r.status === 200 && Array.isArray(r.body.orders)],
    ['checkout', () => call('POST', '/api/checkout', { token, json: { items: [{ sku: 'TEA-001', qty: 1 }] } }), (r) => r.status === 201 && r.body.order.status === 'confirmed'],
  ];
  for (const [name, run, ok] of steps) {
    checks.push(await check(name, async () => {
      expect(token, 'no token: login failed');
      const r = await run();
      expect(ok(r), `${name} answered ${r.status}`);
      return { status: r.status };
    }));
  }
  return checks;
}

async function main() {
  const child = (await healthy()) ? null : await startBackend();
  let checks;
  try {
    checks = await journey();
  } finally {
    if (child) child.kill('SIGTERM');
  }
  const failed = checks.filter((c) => !c.ok).length;
  const report = { generatedAt: new Date().toISOString(), baseUrl: base, errorRate: (100 * failed) / checks.length, checks };
  fs.mkdirSync(path.dirname(reportPath), { recursive: true });
  fs.writeFileSync(`${reportPath}.tmp`, JSON.stringify(report, null, 2) + '\n');
  fs.renameSync(`${reportPath}.tmp`, reportPath);
  for (const c of checks) console.log(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name} ${c.durationMs} ms${c.error ? ` (${c.error})` : ''}`);
  console.log(`report: ${reportPath}`);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.error(`synthetic checks: ${e.message}`);
  process.exit(1);
});
