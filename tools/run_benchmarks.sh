#!/usr/bin/env bash
# tools/run_benchmarks.sh BUILD_DIR — runs every benchmark and prints the
# tables recorded in docs/benchmarks.md. Pin to one core when possible.
set -euo pipefail
b=${1:?usage: tools/run_benchmarks.sh BUILD_DIR}
pin=""
command -v taskset >/dev/null && pin="taskset -c 1"
echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') ($(nproc) cores)"
$pin "$b/bench/pipeline/bench_parse" 50
[ -x "$b/bench/pipeline/bench_command_e2e" ] && "$b/bench/pipeline/bench_command_e2e" 2000
$pin "$b/bench/kernels/bench_dot" --benchmark_min_time=0.2
