#!/usr/bin/env bash
# Configures and builds runbook into build/ (Release with debug info). Extra CMake
# arguments are passed through, e.g. scripts/build.sh -DRUNBOOK_SANITIZE=ON -B build-asan
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=build
for arg in "$@"; do
  case "$arg" in -B*) build_dir="${arg#-B}";; esac
done
args=()
for arg in "$@"; do
  case "$arg" in -B*) ;; *) args+=("$arg");; esac
done
[ -n "$build_dir" ] || build_dir=build
# -Werror is for the project's own builds (CMake's default leaves it off for packagers).
cmake -S . -B "$build_dir" -G Ninja -DRUNBOOK_WERROR=ON "${args[@]}" > /dev/null
# RUNBOOK_BUILD_TARGET=runbook builds only the binary (the demo does not need the tests).
cmake --build "$build_dir" -j "$(nproc)" ${RUNBOOK_BUILD_TARGET:+--target "$RUNBOOK_BUILD_TARGET"}
