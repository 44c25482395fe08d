# Rewrites a text in every event body of a runbook audit store and recomputes the hash chain,
# as someone with write access to the store would (breakP P4). Usage: rehash.py DB OLD NEW
import hashlib
import json
import sqlite3
import sys

db = sqlite3.connect(sys.argv[1])
rows = db.execute(
    "select seq, run_id, kind, at, step, attempt, body, prev_hash from events order by seq"
).fetchall()


def digest(row, prev):
    return hashlib.sha256(
        json.dumps([*row[:7], prev], separators=(",", ":"), ensure_ascii=False).encode()
    ).hexdigest()


prev = rows[0][7]
for r in rows:
    body = r[6].replace(sys.argv[2], sys.argv[3])
    new = digest((*r[:6], body), prev)
    db.execute("update events set body=?, prev_hash=?, hash=? where seq=?", (body, prev, new, r[0]))
    prev = new
db.commit()
