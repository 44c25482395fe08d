#!/usr/bin/env bash
# Installs what runbook needs on Debian bookworm, idempotently: each package is
# installed only when missing. Safe to run again; prints what it does.
set -euo pipefail

apt_packages=(
  build-essential cmake ninja-build pkg-config libyaml-cpp-dev libsqlite3-dev sqlite3
  libssl-dev openssl libcurl4-openssl-dev libfmt-dev libspdlog-dev libboost-dev
  libboost-filesystem-dev catch2 libcli11-dev nlohmann-json3-dev libarchive-dev
  libdeflate-dev zlib1g-dev libcpp-httplib-dev ccache python3 python3-yaml
  python3-jsonschema clang libfuzzer-14-dev libclang-rt-14-dev chromium postgresql prometheus
)

missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
    || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo_cmd apt-get update -qq
  $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: all Debian packages present"
fi

# npm packages the tests use (tests/s3: s3rver, AWS's SigV4 test suite), from the lockfile.
s3_dir="$(cd "$(dirname "$0")/.." && pwd)/tests/s3"
if command -v npm > /dev/null; then
  if [ ! -d "$s3_dir/node_modules" ] || [ "$s3_dir/package-lock.json" -nt "$s3_dir/node_modules" ]; then
    echo "setup: npm ci in tests/s3"
    (cd "$s3_dir" && npm ci --no-audit --no-fund --silent && touch node_modules)
  else
    echo "setup: tests/s3 npm packages present"
  fi
else
  echo "setup: npm not found; install Node.js 20 (the s3 and backend tests need it)" >&2
fi

# The demo backend (examples/demo-backend: better-sqlite3 builds from source when no prebuilt
# binary can be fetched, which takes a minute or two the first time).
demo_dir="$(cd "$(dirname "$0")/.." && pwd)/examples/demo-backend"
if command -v npm > /dev/null; then
  if [ ! -d "$demo_dir/node_modules" ] || [ "$demo_dir/package-lock.json" -nt "$demo_dir/node_modules" ]; then
    echo "setup: npm ci in examples/demo-backend"
    (cd "$demo_dir" && npm ci --no-audit --no-fund --silent && touch node_modules)
  else
    echo "setup: demo backend npm packages present"
  fi
fi

# The aws CLI is the peer the s3-sync tests and benchmarks compare with.
if ! command -v aws > /dev/null; then
  echo "setup: installing awscli"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends awscli
else
  echo "setup: aws CLI present"
fi
