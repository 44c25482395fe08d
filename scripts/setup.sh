#!/usr/bin/env bash
# Installs what runbook needs on Debian bookworm, idempotently: each package is
# installed only when missing. Safe to run again; prints what it does.
set -euo pipefail

apt_packages=(
  build-essential cmake ninja-build pkg-config libyaml-cpp-dev libsqlite3-dev sqlite3
  libssl-dev openssl libcurl4-openssl-dev libfmt-dev libspdlog-dev libboost-dev
  libboost-filesystem-dev catch2 libcli11-dev nlohmann-json3-dev libarchive-dev
  libdeflate-dev libpcre2-dev libpq-dev zlib1g-dev libacl1-dev libcpp-httplib-dev libxml2-dev libhowardhinnant-date-dev tzdata ccache python3 python3-yaml
  python3-jsonschema clang libfuzzer-14-dev libclang-rt-14-dev chromium postgresql mariadb-server mariadb-client prometheus prometheus-alertmanager python3-aiosmtpd strace tmux
  # the man page, the .deb (dpkg-shlibdeps) and what its test checks with (docs/install.md)
  help2man dpkg-dev man-db file zsh
  libgraphviz-dev poppler-utils
  # the PDF report (engine/audit/report_pdf.cpp): Pango on Cairo, librsvg for the step graph
  libpango1.0-dev libcairo2-dev librsvg2-dev fonts-dejavu-core
  # tests read dumps with the peers (gzip_test: pigz -t; bench compares with pigz) and set
  # ACLs (file_modes_test: setfacl)
  pigz acl
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

# npm packages from their lockfiles, each installed only when node_modules is missing or
# older than the lockfile: tests/s3 (s3rver, AWS's SigV4 test suite) and the demo backend
# (better-sqlite3 builds from source when no prebuilt binary can be fetched: a minute or two
# the first time).
root="$(cd "$(dirname "$0")/.." && pwd)"
npm_ci() {
  local dir="$root/$1"
  if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules" ]; then
    echo "setup: npm ci in $1"
    (cd "$dir" && npm ci --no-audit --no-fund --silent && touch node_modules)
  else
    echo "setup: $1 npm packages present"
  fi
}
# The web UI (web/): its packages, then its bundle in web/dist/, which CMake embeds in the
# binary; rebuilt when a source or the lockfile is newer than the bundle. tests/web: the
# playwright-core that drives Debian's chromium in the UI's tests.
build_web() {
  npm_ci web
  local dist="$root/web/dist/app.js"
  if [ ! -f "$dist" ] || [ -n "$(find "$root/web/src" "$root/web/package-lock.json" -newer "$dist" | head -1)" ]; then
    echo "setup: building the web UI (web/dist)"
    (cd "$root/web" && npm run build --silent > /dev/null)
  else
    echo "setup: web UI built"
  fi
}
if command -v npm > /dev/null; then
  npm_ci tests/s3
  npm_ci examples/demo-backend
  npm_ci tests/web
  build_web
else
  echo "setup: npm not found; install Node.js 20 (the s3 and backend tests need it)" >&2
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
