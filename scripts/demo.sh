#!/usr/bin/env bash
# The main job: a DR drill on the bundled demo backend, from a fresh clone.
#   1. set up (apt-get and npm, idempotent) and build;
#   2. the demo backend's database (seeded once), and a backup signing key (made once);
#   3. runbooks/backup.yaml while the backend runs under write load (§1), into the object
#      store: a local folder (.runbook/object-store) unless REMOTE/ENDPOINT name S3;
#   4. runbooks/drill.yaml (§3): the newest backup from the object store, restored in
#      isolation, integrity-checked, the backend's checks, RTO against 2 h;
#   5. the drill's report, written as Markdown and HTML; the paths are printed.
# The audit store is .runbook/audit.db. RUNBOOK_BIN=/path/to/runbook skips steps 1's set-up
# and build and uses that binary (the newcomer e2e test runs this script so).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${RUNBOOK_BIN:-}" ]; then
  rb=$RUNBOOK_BIN  # an installed or already built runbook: no set-up, no build
else
  bash scripts/setup.sh
  RUNBOOK_BUILD_TARGET=runbook bash scripts/build.sh
  rb=./build/runbook
fi
backend=examples/demo-backend
remote="${REMOTE:-.runbook/object-store/backups}"
sets=(--set "remote=$remote")
[ -n "${ENDPOINT:-}" ] && sets+=(--set "endpoint=$ENDPOINT")

$rb validate runbooks/*.yaml

mkdir -p .runbook/keys
if [ ! -f .runbook/keys/backup-signing.pem ]; then
  echo "demo: making the backup signing key .runbook/keys/backup-signing.pem"
  openssl genpkey -algorithm ed25519 -out .runbook/keys/backup-signing.pem
  openssl pkey -in .runbook/keys/backup-signing.pem -pubout -out .runbook/keys/backup-signing.pub.pem
fi
if [ ! -f "$backend/data/app.sqlite" ]; then
  (cd "$backend" && npm run --silent seed -- --force)
fi

# The live backend on port 4000 with a write load, so the backup is taken while it writes.
port=4000
(cd "$backend" && PORT=$port exec node src/server.js > /dev/null 2>&1) &
backend_pid=$!
trap 'kill $backend_pid ${load_pid:-} 2> /dev/null || true' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/health" > /dev/null && break; sleep 0.1; done
(cd "$backend" && exec node scripts/write-load.js --url "http://127.0.0.1:$port" --rate 50) &
load_pid=$!
sleep 1

$rb run runbooks/backup.yaml "${sets[@]}"
kill "$load_pid" "$backend_pid" 2> /dev/null || true
wait "$load_pid" "$backend_pid" 2> /dev/null || true

status=0
$rb run runbooks/drill.yaml "${sets[@]}" || status=$?
run_id=$($rb history --runbook drill --limit 1 --format json |
  python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["run_id"])')
mkdir -p reports/drill
$rb report "$run_id" --format md --output "reports/drill/$run_id.md"
$rb report "$run_id" --format html --output "reports/drill/$run_id.html"
$rb history --limit 5
echo
echo "drill $run_id: exit $status"
echo "report: $(pwd)/reports/drill/$run_id.html (and .md); the ticket's summary: $backend/reports/drill/drill-$run_id.md"
exit "$status"
