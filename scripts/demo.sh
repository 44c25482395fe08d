#!/usr/bin/env bash
# Sets everything up, builds, and runs the main job. Until the demo backend's DR drill
# exists (issue 7), the main job is the example runbook runbooks/hello.yaml.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
./build/runbook validate runbooks/*.yaml
./build/runbook run runbooks/hello.yaml
