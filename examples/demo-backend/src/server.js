'use strict';
// Starts the backend: config from BACKEND_ENV_PATH and PORT, the database in WAL mode.
// SIGTERM/SIGINT close the server and the database cleanly (a checkpoint on close).
const { load } = require('./config');
const { open } = require('./db');
const { createApp } = require('./app');

const config = load();
const db = open(config.databasePath);
const server = createApp(db, config);
server.keepAliveTimeout = 30000;
server.listen(config.port, '127.0.0.1', () => {
  console.log(`demo-backend listening on http://127.0.0.1:${server.address().port} (database ${config.databasePath}, env ${config.envPath})`);
});

function stop(signal) {
  console.log(`${signal}: closing`);
  server.close(() => {
    db.close();
    process.exit(0);
  });
  server.closeAllConnections();
}
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
