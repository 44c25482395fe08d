'use strict';
// The backend's settings: the env file named by BACKEND_ENV_PATH (default
// config/backend.env; KEY=VALUE lines, # comments), then the process environment.
const fs = require('fs');
const path = require('path');

function readEnvFile(file) {
  const values = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = line.match(/^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/);
    if (m && !line.trimStart().startsWith('#')) values[m[1]] = m[2].replace(/^"(.*)"$/, '$1');
  }
  return values;
}

function load() {
  const envPath = process.env.BACKEND_ENV_PATH || path.join(__dirname, '..', 'config', 'backend.env');
  if (!fs.existsSync(envPath)) throw new Error(`BACKEND_ENV_PATH: no such file: ${envPath}`);
  const file = readEnvFile(envPath);
  const databasePath = process.env.DATABASE_PATH || file.DATABASE_PATH;
  if (!databasePath) throw new Error(`${envPath} has no DATABASE_PATH`);
  return {
    envPath,
    databasePath: path.resolve(databasePath),
    port: Number(process.env.PORT || file.PORT || 4000),
    // Extra latency per API answer, for canary tests (the cost of a bad rollout).
    injectLatencyMs: Number(process.env.INJECT_LATENCY_MS || file.INJECT_LATENCY_MS || 0),
  };
}

module.exports = { load, readEnvFile };
