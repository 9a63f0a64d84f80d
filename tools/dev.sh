#!/usr/bin/env bash
# tools/dev.sh — the two README commands (and a few more).
#   tools/dev.sh run [hearthd flags]   install packages, build, run hearthd on the demo home
#   tools/dev.sh test                  install packages, build everything, run all tests (CTest)
#   tools/dev.sh bench                 build and run the benchmarks (not part of the tests)
# Build trees: build/run (daemon only) and build/test (everything).
set -euo pipefail
cd "$(dirname "$0")/.."
cmd=${1:-}
[ $# -gt 0 ] && shift
jobs=$(nproc 2>/dev/null || echo 2)

case "$cmd" in
  run)
    tools/deps.sh run
    cmake -S . -B build/run -DCMAKE_BUILD_TYPE=Release -DHEARTH_BUILD_TESTS=OFF -DHEARTH_BUILD_BENCH=OFF >/dev/null
    cmake --build build/run -j"$jobs" --target hearthd hearth
    exec build/run/daemon/hearthd "$@"
    ;;
  test)
    tools/deps.sh test
    cmake -S . -B build/test -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHEARTH_BUILD_TESTS=ON -DHEARTH_BUILD_BENCH=ON >/dev/null
    cmake --build build/test -j"$jobs"
    cd build/test && exec ctest --output-on-failure -j"$jobs" --timeout 300 "$@"
    ;;
  bench)
    tools/deps.sh bench
    cmake -S . -B build/bench -DCMAKE_BUILD_TYPE=Release -DHEARTH_BUILD_TESTS=OFF -DHEARTH_BUILD_BENCH=ON >/dev/null
    cmake --build build/bench -j"$jobs"
    exec tools/run_benchmarks.sh build/bench "$@"
    ;;
  *)
    echo "usage: tools/dev.sh run [hearthd flags] | test [ctest flags] | bench" >&2
    exit 2
    ;;
esac
