#!/usr/bin/env bash
# bench/api/run_api_bench.sh BUILD_DIR — the companion API under load (issue 10).
# Starts hearthd on loopback with a realtime file audio source, then:
#   1. wrk: GET /api/v1/devices and POST /api/v1/command with 1, 50 and 500
#      connections (10 s each, with a bearer token, so every request pays the
#      token check): requests/s and p99;
#   2. WebSocket fan-out: 100 clients subscribed to state_changed, 20 toggles;
#   3. memory (VmRSS/VmHWM of hearthd) before and after;
#   4. the audio loop during all of it: frames processed vs. wall time, and
#      capture overruns (from /api/v1/health).
# Prints a markdown table (docs/benchmarks-api.md records one run).
set -euo pipefail
b=${1:?usage: bench/api/run_api_bench.sh BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
dur=${HEARTH_BENCH_SECONDS:-10}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)"; exit 1; }
ulimit -n 4096 || true

tmp=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$tmp"' EXIT
cp "$repo/assets/homes/demo.json" "$tmp/home.json"
cat > "$tmp/hearth.json" <<JSON
{"home": "home.json", "db": "history.db", "log_level": "warn",
 "api": {"max_connections": 2000, "auth": {"loopback_trusted": false}},
 "audio": {"source": "file", "file": "$repo/assets/test/speech_16k.wav", "file_loop": true, "file_realtime": true}}
JSON
"$b/daemon/hearthd" --config "$tmp/hearth.json" --listen 127.0.0.1:0 --port-file "$tmp/port" 2>"$tmp/hearthd.err" &
pid=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
port=$(cat "$tmp/port")
url="http://127.0.0.1:$port"
token=$("$b/daemon/hearth" token create --db "$tmp/auth.db" --name bench --scope admin 2>/dev/null)
auth="Authorization: Bearer $token"

health() { curl -s -H "$auth" "$url/api/v1/health"; }
audio_field() { python3 -c "import json,sys; print(json.load(sys.stdin)['audio']['$1'])"; }
mem() { awk '/VmRSS|VmHWM/ {printf "%s %s kB  ", $1, $2}' "/proc/$pid/status"; }

echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') ($(nproc) cores), ${dur}s per run"
sleep 1
frames0=$(health | audio_field frames); over0=$(health | audio_field overruns); t0=$(date +%s.%N)
echo "memory at start: $(mem)"
echo
echo "| route | connections | requests/s | p50 ms | p99 ms | errors |"
echo "|---|---:|---:|---:|---:|---:|"
for route in devices command; do
  for c in 1 50 500; do
    threads=$(( c < 2 ? 1 : 2 ))
    if [ "$route" = devices ]; then
      out=$(nice -n 10 wrk -t$threads -c$c -d${dur}s --latency -H "$auth" "$url/api/v1/devices" 2>&1)
    else
      out=$(nice -n 10 wrk -t$threads -c$c -d${dur}s --latency -H "$auth" -s "$here/command.lua" "$url/api/v1/command" 2>&1)
    fi
    rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    p50=$(echo "$out" | awk '$1=="50%" {print $2}')
    p99=$(echo "$out" | awk '$1=="99%" {print $2}')
    errs=$(echo "$out" | awk '/Non-2xx|Socket errors/ {printf "%s ", $0}')
    echo "| $route | $c | $rps | $p50 | $p99 | ${errs:-0} |"
  done
done
echo
echo "memory after wrk: $(mem)"
frames1=$(health | audio_field frames); over1=$(health | audio_field overruns); t1=$(date +%s.%N)
fps=100  # 10 ms frames (kFrameSamples at 16 kHz)
python3 - "$frames0" "$frames1" "$t0" "$t1" "$over0" "$over1" "$fps" <<'PY'
import sys
f0, f1, t0, t1, o0, o1, fps = map(float, sys.argv[1:])
expected = (t1 - t0) * fps
print("audio during the API load: %d frames in %.1f s (%.1f frames/s nominal → %.0f expected, %.1f%%), "
      "overruns %d → %d" % (f1 - f0, t1 - t0, fps, expected, 100.0 * (f1 - f0) / expected if expected else 0, o0, o1))
PY
echo
echo "WebSocket fan-out (100 clients, state_changed, 20 toggles):"
python3 "$here/ws_fanout.py" --port "$port" --token "$token" --clients 100 --rounds 20
echo "memory after fan-out: $(mem)"
