# Edits one event of a runbook audit store in place and recomputes that event's hash alone,
# not the chain after it: the cheapest forgery that passes a per-event hash check (breakHH
# HH5). Usage: rehash_one.py DB SEQ COLUMN OLD NEW, COLUMN one of body, kind, run_id: OLD is
# replaced by NEW in that column of event SEQ.
import hashlib
import json
import sqlite3
import sys

db_path, seq, column, old, new = sys.argv[1:6]
if column not in ("body", "kind", "run_id"):
    sys.exit("COLUMN must be body, kind or run_id")
db = sqlite3.connect(db_path)
row = db.execute(
    "select seq, run_id, kind, at, step, attempt, body, prev_hash from events where seq=?",
    (int(seq),),
).fetchone()
if row is None:
    sys.exit(f"no event {seq}")
fields = dict(zip(("seq", "run_id", "kind", "at", "step", "attempt", "body", "prev_hash"), row))
if old not in fields[column]:
    sys.exit(f"event {seq}'s {column} holds no {old!r}")
fields[column] = fields[column].replace(old, new)
digest = hashlib.sha256(
    json.dumps(list(fields.values()), separators=(",", ":"), ensure_ascii=False).encode()
).hexdigest()
db.execute(
    f"update events set {column}=?, hash=? where seq=?", (fields[column], digest, int(seq))
)
db.commit()
