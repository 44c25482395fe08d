'use strict';
// npm run test:contract: the API's response shapes, against the backend started in-process
// on a free port with the configured database (BACKEND_ENV_PATH).
const test = require('node:test');
const assert = require('node:assert');
const { load } = require('../src/config');
const { open } = require('../src/db');
const { createApp } = require('../src/app');

const config = load();
const db = open(config.databasePath);
const server = createApp(db, { ...config, injectLatencyMs: 0 });
let base;
let token;

test.before(() => new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
  base = `http://127.0.0.1:${server.address().port}`;
  resolve();
})));
test.after(() => new Promise((resolve) => server.close(() => { db.close(); resolve(); })));

async function call(method, path, { json, auth } = {}) {
  const headers = { 'content-type': 'application/json' };
  if (auth) headers.authorization = `Bearer ${token}`;
  const res = await fetch(base + path, { method, headers, body: json ? JSON.stringify(json) : undefined });
  const type = res.headers.get('content-type') || '';
  return { status: res.status, headers: res.headers, body: type.includes('json') ? await res.json() : await res.text() };
}

test('GET /health: {status: "ok", database, orders}', async () => {
  const r = await call('GET', '/health');
  assert.strictEqual(r.status, 200);
  assert.strictEqual(r.body.status, 'ok');
  assert.strictEqual(typeof r.body.orders, 'number');
});

test('POST /api/auth/login: {token, user: {id, email}} and a session cookie; 401 otherwise', async () => {
  const bad = await call('POST', '/api/auth/login', { json: { email: 'smoke@puranatura.test', password: 'wrong' } });
  assert.strictEqual(bad.status, 401);
  assert.strictEqual(typeof bad.body.error, 'string');
  const r = await call('POST', '/api/auth/login', { json: { email: 'smoke@puranatura.test', password: process.env.SMOKE_PASSWORD || 'smoke-password' } });
  assert.strictEqual(r.status, 200);
  assert.match(r.body.token, /^[0-9a-f]{48}$/);
  assert.strictEqual(typeof r.body.user.id, 'number');
  assert.strictEqual(r.body.user.email, 'smoke@puranatura.test');
  assert.match(r.headers.get('set-cookie'), /^session=[0-9a-f]+; Path=\/; HttpOnly/);
  token = r.body.token;
});

test('GET /api/catalog: {items: [{sku, name, price, stock}]}', async () => {
  const r = await call('GET', '/api/catalog');
  assert.strictEqual(r.status, 200);
  assert.ok(r.body.items.length > 0);
  for (const item of r.body.items) {
    assert.deepStrictEqual(Object.keys(item).sort(), ['name', 'price', 'sku', 'stock']);
    assert.strictEqual(typeof item.price, 'number');
  }
});

test('POST /api/checkout: 201 {order: {id, status, total}}; 400 and 401 otherwise', async () => {
  assert.strictEqual((await call('POST', '/api/checkout', { json: { items: [] }, auth: true })).status, 400);
  assert.strictEqual((await call('POST', '/api/checkout', { json: { items: [{ sku: 'TEA-001', qty: 1 }] } })).status, 401);
  const r = await call('POST', '/api/checkout', { json: { items: [{ sku: 'TEA-001', qty: 2 }] }, auth: true });
  assert.strictEqual(r.status, 201);
  assert.deepStrictEqual(Object.keys(r.body.order).sort(), ['id', 'status', 'total']);
  assert.strictEqual(r.body.order.status, 'confirmed');
  assert.strictEqual(r.body.order.total, 9);
});

test('GET /api/orders: {orders: [{id, status, total, createdAt}]}, newest first', async () => {
  const r = await call('GET', '/api/orders', { auth: true });
  assert.strictEqual(r.status, 200);
  assert.ok(r.body.orders.length > 0);
  assert.deepStrictEqual(Object.keys(r.body.orders[0]).sort(), ['createdAt', 'id', 'status', 'total']);
});

test('GET /metrics: Prometheus text with the request histogram and the error counter', async () => {
  const r = await call('GET', '/metrics');
  assert.strictEqual(r.status, 200);
  assert.match(r.body, /^# TYPE http_request_duration_seconds histogram$/m);
  assert.match(r.body, /^http_request_duration_seconds_bucket\{method="GET",route="\/api\/catalog",status="200",le="0\.005"\} \d+$/m);
  assert.match(r.body, /^http_request_errors_total \d+$/m);
});
