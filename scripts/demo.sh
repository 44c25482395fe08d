#!/usr/bin/env bash
# Sets everything up, builds, and runs the main job. Until the demo backend's DR drill
# exists (issue 7), the main job is runbooks/drill-local.yaml: backup, verify, mirror,
# integrity check and isolated restore of a sample SQLite database, with RTO and RPO.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
./build/runbook validate runbooks/*.yaml
./build/runbook run runbooks/drill-local.yaml
./build/runbook history --limit 5
