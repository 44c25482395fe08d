'use strict';
// npm run test:ci: the database the backend is configured with (BACKEND_ENV_PATH) is sound
// and holds what the backend needs: integrity, foreign keys, the schema, the smoke user,
// a catalog, and orders whose totals match their items.
const test = require('node:test');
const assert = require('node:assert');
const { load } = require('../src/config');
const Database = require('better-sqlite3');

const config = load();
const db = new Database(config.databasePath, { readonly: true, fileMustExist: true });
test.after(() => db.close());

test('PRAGMA integrity_check is ok', () => {
  assert.deepStrictEqual(db.pragma('integrity_check'), [{ integrity_check: 'ok' }]);
});

test('no foreign key violations', () => {
  assert.deepStrictEqual(db.pragma('foreign_key_check'), []);
});

test('the schema has every table', () => {
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all().map((r) => r.name);
  for (const t of ['catalog', 'order_items', 'orders', 'users']) assert.ok(tables.includes(t), `missing table ${t}`);
});

test('the smoke user exists', () => {
  assert.ok(db.prepare('SELECT 1 FROM users WHERE email = ?').get('smoke@puranatura.test'), 'run npm run seed -- --force');
});

test('the catalog is not empty and prices are sane', () => {
  const rows = db.prepare('SELECT sku, price_cents FROM catalog').all();
  assert.ok(rows.length > 0, 'empty catalog');
  for (const r of rows) assert.ok(r.price_cents >= 0, `${r.sku} has a negative price`);
});

test('order totals match their items', () => {
  const bad = db.prepare(`SELECT o.id FROM orders o JOIN order_items i ON i.order_id = o.id
                          GROUP BY o.id HAVING sum(i.qty * i.price_cents) != o.total_cents LIMIT 5`).all();
  assert.deepStrictEqual(bad, []);
});
