#!/usr/bin/env bash
# Configures and builds runbook into build/ (Release with debug info). Extra CMake
# arguments are passed through, e.g. scripts/build.sh -DRUNBOOK_SANITIZE=ON -B build-asan
set -euo pipefail
cd "$(dirname "$0")/.."
# -B DIR or -BDIR picks the build folder (the second form alone was read once: `-B build-asan`
# rebuilt build/ with the sanitizers); every other argument goes to CMake.
build_dir=build
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    -B) build_dir="${2:?-B needs a folder}"; shift 2;;
    -B*) build_dir="${1#-B}"; shift;;
    *) args+=("$1"); shift;;
  esac
done
# ccache (CMakeLists.txt uses it when installed): paths under this checkout hashed relative to
# it, so another checkout of the same commit on this machine (CI's fresh clone) reuses the
# objects; the precompiled Catch header made most test files uncacheable without the
# sloppiness. Settings the caller gave win.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}" CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"
export CCACHE_SLOPPINESS="${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}"
# -Werror is for the project's own builds (CMake's default leaves it off for packagers).
cmake -S . -B "$build_dir" -G Ninja -DRUNBOOK_WERROR=ON "${args[@]}" > /dev/null
# RUNBOOK_BUILD_TARGET=runbook builds only the binary (the demo does not need the tests).
cmake --build "$build_dir" -j "$(nproc)" ${RUNBOOK_BUILD_TARGET:+--target "$RUNBOOK_BUILD_TARGET"}
