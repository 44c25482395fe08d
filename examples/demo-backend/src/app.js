'use strict';
// The HTTP API: login, catalog, orders, checkout, health, metrics. No framework: Node's
// http module, JSON in and out, sessions in memory (a token, and a cookie for the browser).
const crypto = require('crypto');
const http = require('http');
const passwords = require('./passwords');
const { Metrics } = require('./metrics');

function createApp(db, config) {
  const metrics = new Metrics();
  const sessions = new Map();  // token -> user id
  const q = {
    user: db.prepare('SELECT id, email, password_hash FROM users WHERE email = ?'),
    catalog: db.prepare('SELECT sku, name, price_cents, stock FROM catalog ORDER BY sku'),
    item: db.prepare('SELECT sku, price_cents, stock FROM catalog WHERE sku = ?'),
    orders: db.prepare('SELECT id, status, total_cents, created_at FROM orders WHERE user_id = ? ORDER BY id DESC LIMIT 50'),
    addOrder: db.prepare("INSERT INTO orders(user_id, status, total_cents) VALUES (?, 'confirmed', ?)"),
    addItem: db.prepare('INSERT INTO order_items(order_id, sku, qty, price_cents) VALUES (?, ?, ?, ?)'),
    takeStock: db.prepare('UPDATE catalog SET stock = stock - ? WHERE sku = ? AND stock >= ?'),
    count: db.prepare('SELECT count(*) AS n FROM orders'),
  };

  const checkout = db.transaction((userId, items) => {
    let total = 0;
    const prices = items.map((it) => {
      const row = q.item.get(it.sku);
      if (!row) throw Object.assign(new Error(`unknown sku ${it.sku}`), { status: 400 });
      if (q.takeStock.run(it.qty, it.sku, it.qty).changes !== 1)
        throw Object.assign(new Error(`out of stock: ${it.sku}`), { status: 409 });
      total += row.price_cents * it.qty;
      return row.price_cents;
    });
    const id = Number(q.addOrder.run(userId, total).lastInsertRowid);
    items.forEach((it, i) => q.addItem.run(id, it.sku, it.qty, prices[i]));
    return { id, status: 'confirmed', total: total / 100 };
  });

  function userOf(req) {
    const auth = req.headers.authorization || '';
    if (auth.startsWith('Bearer ')) return sessions.get(auth.slice(7));
    const cookie = (req.headers.cookie || '').match(/(?:^|;\s*)session=([0-9a-f]+)/);
    return cookie ? sessions.get(cookie[1]) : undefined;
  }

  const routes = {
    'POST /api/auth/login': (req, body) => {
      const u = body && typeof body.email === 'string' ? q.user.get(body.email) : undefined;
      if (!u || typeof body.password !== 'string' || !passwords.verify(body.password, u.password_hash))
        return [401, { error: 'invalid credentials' }];
      const token = crypto.randomBytes(24).toString('hex');
      sessions.set(token, u.id);
      return [200, { token, user: { id: u.id, email: u.email } }, { 'set-cookie': `session=${token}; Path=/; HttpOnly; SameSite=Lax` }];
    },
    'GET /api/catalog': () => [200, { items: q.catalog.all().map((r) => ({ sku: r.sku, name: r.name, price: r.price_cents / 100, stock: r.stock })) }],
    'GET /api/orders': (req) => {
      const user = userOf(req);
      if (!user) return [401, { error: 'login first' }];
      return [200, { orders: q.orders.all(user).map((o) => ({ id: o.id, status: o.status, total: o.total_cents / 100, createdAt: o.created_at })) }];
    },
    'POST /api/checkout': (req, body) => {
      const user = userOf(req);
      if (!user) return [401, { error: 'login first' }];
      const items = body && Array.isArray(body.items) ? body.items : [];
      if (!items.length || !items.every((i) => typeof i.sku === 'string' && Number.isInteger(i.qty) && i.qty > 0))
        return [400, { error: 'items must be [{sku, qty}]' }];
      try {
        // BEGIN IMMEDIATE: a deferred transaction that reads, then writes, gets SQLITE_BUSY
        // at once (no busy wait) when another connection wrote in between.
        return [201, { order: checkout.immediate(user, items) }];
      } catch (e) {
        if (e.status) return [e.status, { error: e.message }];
        throw e;
      }
    },
  };

  function health() {
    try {
      return [200, { status: 'ok', database: config.databasePath, orders: q.count.get().n }];
    } catch (e) {
      return [503, { status: 'error', error: e.message }];
    }
  }

  function answer(req, res, route, started, [status, body, headers = {}]) {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    const type = typeof body === 'string' ? 'text/plain; version=0.0.4' : 'application/json';
    res.writeHead(status, { 'content-type': type, ...headers });
    res.end(text);
    metrics.observe(req.method, route, status, Number(process.hrtime.bigint() - started) / 1e9);
  }

  function handle(req, res, raw) {
    const started = process.hrtime.bigint();
    const path = req.url.split('?')[0];
    if (path === '/health') return answer(req, res, path, started, health());
    if (path === '/metrics') return answer(req, res, path, started, [200, metrics.text()]);
    const route = `${req.method} ${path}`;
    const handler = routes[route];
    const run = () => {
      let body;
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        return answer(req, res, path, started, [400, { error: 'body is not JSON' }]);
      }
      if (!handler) return answer(req, res, path, started, [404, { error: `no route ${route}` }]);
      try {
        answer(req, res, path, started, handler(req, body));
      } catch (e) {
        console.error(`${route}: ${e.stack || e}`);
        answer(req, res, path, started, [500, { error: 'internal error' }]);
      }
    };
    if (config.injectLatencyMs > 0) setTimeout(run, config.injectLatencyMs);
    else run();
  }

  return http.createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c) => { raw += c; });
    req.on('end', () => handle(req, res, raw));
  });
}

module.exports = { createApp };
