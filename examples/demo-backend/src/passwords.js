'use strict';
const crypto = require('crypto');

function hash(password) {
  const salt = crypto.randomBytes(16).toString('hex');
  return `${salt}:${crypto.scryptSync(password, salt, 32).toString('hex')}`;
}

function verify(password, stored) {
  const [salt, want] = String(stored).split(':');
  if (!salt || !want) return false;
  const got = crypto.scryptSync(password, salt, 32);
  return crypto.timingSafeEqual(got, Buffer.from(want, 'hex'));
}

module.exports = { hash, verify };
