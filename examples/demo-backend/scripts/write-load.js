'use strict';
// npm run load -- [--url http://127.0.0.1:4000] [--rate 50] [--duration-s 0]
// Checkouts as the smoke user at about --rate per second until --duration-s passes (0:
// until SIGTERM/SIGINT), so that backups are taken while the backend writes. Prints how
// many orders it wrote.
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const base = opt('url', `http://127.0.0.1:${process.env.PORT || 4000}`);
const rate = Number(opt('rate', 50));
const durationS = Number(opt('duration-s', 0));
let written = 0;
let failed = 0;
let stopping = false;

async function login() {
  const res = await fetch(`${base}/api/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'smoke@puranatura.test', password: process.env.SMOKE_PASSWORD || 'smoke-password' }),
  });
  if (!res.ok) throw new Error(`login answered ${res.status}`);
  return (await res.json()).token;
}

async function main() {
  const token = await login();
  const until = durationS > 0 ? Date.now() + durationS * 1000 : Infinity;
  console.log(`writing about ${rate} orders/s to ${base}`);
  while (!stopping && Date.now() < until) {
    const t0 = Date.now();
    const res = await fetch(`${base}/api/checkout`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ items: [{ sku: 'OAT-004', qty: 1 }, { sku: 'TEA-001', qty: 2 }] }),
    }).catch(() => null);
    if (res && res.status === 201) written++; else failed++;
    await new Promise((r) => setTimeout(r, Math.max(0, 1000 / rate - (Date.now() - t0))));
  }
  console.log(`wrote ${written} orders (${failed} failed)`);
}

for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => { stopping = true; });
main().catch((e) => {
  console.error(`write load: ${e.message}`);
  process.exit(1);
});
