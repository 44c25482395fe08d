#!/usr/bin/env bash
# Builds the libFuzzer targets with clang into build-fuzz/ and runs each for SECONDS
# (default 10) on a scratch copy of its seed corpus. An input may take 20 s: an evaluation at
# its work limit (engine/expression_limits.h) takes up to about a second in a release build,
# and this build (ASan, UBSan, coverage, -O1) is 10-20 times slower. Exit 1 when a target finds a crash;
# the reproducer is left in build-fuzz/ (see docs/fuzzing.md). Exit 77 without clang.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
command -v clang++ > /dev/null || { echo "clang++ not found; fuzzing skipped"; exit 77; }
# -O1 with line tables: what libFuzzer's docs suggest, and half the build time of -O2 -g
# (CTest runs this beside the other tests).
CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DRUNBOOK_FUZZ=ON -DRUNBOOK_TESTS=OFF \
  -DRUNBOOK_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" > /dev/null
cmake --build build-fuzz --target fuzz_loader fuzz_expression fuzz_cron
for target in loader expression cron; do
  work="build-fuzz/fuzz/corpus-$target"
  mkdir -p "$work"
  cp -n fuzz/corpus/"$target"/* "$work"/ 2> /dev/null || true
  echo "fuzz_$target: ${seconds}s"
  (cd build-fuzz/fuzz && "./fuzz_$target" -max_total_time="$seconds" -max_len=65536 \
     -rss_limit_mb=1024 -timeout=20 -print_final_stats=1 "corpus-$target" 2>&1 | tail -n 12)
done
