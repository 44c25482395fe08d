'use strict';
// npm run seed [-- --force]: the schema, the smoke user the synthetic checks log in as
// (smoke@puranatura.test; password from SMOKE_PASSWORD, default "smoke-password") and a
// minimal catalog. Without --force it refuses a database that already has users; with
// --force it adds or updates only those rows (orders are kept), so a partial snapshot can
// be completed after a restore.
const { load } = require('../src/config');
const { open } = require('../src/db');
const passwords = require('../src/passwords');

const SMOKE = 'smoke@puranatura.test';
const CATALOG = [
  ['TEA-001', 'Green tea, 100 g', 450],
  ['OIL-002', 'Olive oil, 500 ml', 990],
  ['HNY-003', 'Raw honey, 250 g', 720],
  ['OAT-004', 'Rolled oats, 1 kg', 310],
];

const fs = require('fs');
const path = require('path');

const force = process.argv.includes('--force');
// The backend's working folders (the seed's backend/backups, backend/logs, backend/tmp).
for (const dir of ['backups', 'logs', 'tmp']) fs.mkdirSync(path.join(__dirname, '..', dir), { recursive: true });
const config = load();
const db = open(config.databasePath);
const users = db.prepare('SELECT count(*) AS n FROM users').get().n;
if (users > 0 && !force) {
  console.error(`${config.databasePath} already has ${users} users; run "npm run seed -- --force" to add what is missing`);
  process.exit(1);
}
db.transaction(() => {
  db.prepare(`INSERT INTO users(email, password_hash) VALUES (?, ?)
              ON CONFLICT(email) DO UPDATE SET password_hash = excluded.password_hash`)
    .run(SMOKE, passwords.hash(process.env.SMOKE_PASSWORD || 'smoke-password'));
  const item = db.prepare(`INSERT INTO catalog(sku, name, price_cents, stock) VALUES (?, ?, ?, 1000000000)
                           ON CONFLICT(sku) DO UPDATE SET name = excluded.name, price_cents = excluded.price_cents,
                           stock = max(stock, 1000000)`);
  for (const [sku, name, price] of CATALOG) item.run(sku, name, price);
})();
const n = (t) => db.prepare(`SELECT count(*) AS n FROM ${t}`).get().n;
console.log(`seeded ${config.databasePath}: ${n('users')} users, ${n('catalog')} catalog items, ${n('orders')} orders`);
db.close();
