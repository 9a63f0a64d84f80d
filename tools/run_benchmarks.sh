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
# Habit miner: accuracy, drift, 1 M events from SQLite + incremental, 1 M streamed (docs/benchmarks-habits.md).
if [ -x "$b/bench/habits/bench_habits" ]; then $pin "$b/bench/habits/bench_habits" --db-scale 1 --scale 1; fi
# Wake word (issue 4, docs/benchmarks-wakeword.md): kernels + detector RTF, then accuracy vs PocketSphinx.
if [ -x "$b/bench/wakeword/bench_wake_kernels" ]; then $pin "$b/bench/wakeword/bench_wake_kernels" --benchmark_min_time=0.2; fi
if [ -x "$b/daemon/hearth" ]; then nice -n 10 "$(dirname "$0")/../bench/wakeword/run_bench.py" --hearth "$b/daemon/hearth" --cache "$b/wakeword-bench" --pocketsphinx; fi
# Device bus over a real broker (issue 9, docs/benchmarks-devices.md); needs mosquitto.
if [ -x "$b/bench/devices/bench_devices_mqtt" ]; then "$b/bench/devices/bench_devices_mqtt" 300 3; fi
# Speech recognition + voice pipeline (issue 5, docs/benchmarks-asr.md): needs the synthetic set
# (tools/asr/make_testset.py "$b/asr-bench-data", once) and pocketsphinx-en-us.
if [ -x "$b/daemon/hearth" ] && [ -f "$b/asr-bench-data/manifest.jsonl" ]; then
  nice -n 10 "$(dirname "$0")/../bench/asr/run.py" --hearth "$b/daemon/hearth" --data "$b/asr-bench-data" --out "$b/asr-bench-out"
  nice -n 10 "$(dirname "$0")/../bench/asr/coffee.py" --hearth "$b/daemon/hearth"
fi
# LLM runtime against llama.cpp in the same run (issue 6, docs/benchmarks-llm.md): kernels, then
# whole models; llama-bench is built once by bench/llm/build_llamacpp.sh (from the npm registry).
if [ -x "$b/bench/kernels/bench_llm_kernels" ]; then
  "$b/bench/kernels/bench_llm_kernels" --benchmark_filter='matvec/(Q4_0|Q4_0x4|Q8_0|Q8_0x4|Q4_K)/.*/t1/(32768|134217728)'
fi
if [ -x "$b/nlu/hearth_llm_tool" ]; then
  peer=""
  if lb=$("$(dirname "$0")/../bench/llm/build_llamacpp.sh" 2>/dev/null); then peer="--llama-bench $lb"; fi
  # shellcheck disable=SC2086
  "$(dirname "$0")/../bench/llm/compare.py" --tool "$b/nlu/hearth_llm_tool" $peer
fi
