#!/usr/bin/env bash
# bench/api/run_api_bench.sh BUILD_DIR — the companion API under load (issue 10).
# Starts hearthd on loopback (demo home, token auth on, a looping 16 kHz file
# as the audio source paced in real time), and next to it nginx serving a
# static JSON file of the same size as GET /api/v1/devices' answer (the
# reference ceiling for "serve that many bytes over HTTP/1.1 keep-alive" on
# this machine; skipped with a note when nginx is not installed). Then:
#   1. wrk: GET /api/v1/devices and POST /api/v1/command (command.lua) with 1,
#      50 and 500 connections, every request with a bearer token; the same
#      loads on nginx's static file; requests/s, p50, p99, errors;
#   2. mixed: command-by-text at 500 connections while one connection lists
#      devices (does the text path stall the listing?);
#   3. WebSocket fan-out: 100 clients subscribed to state_changed, toggles of
#      a light over HTTP, latency from just before the POST to each client's
#      receipt (ws_fanout.py);
#   4. memory: VmRSS/VmHWM of hearthd after every phase;
#   5. the audio loop during every phase: frames processed vs. wall time
#      (100 frames/s nominal) and capture overruns, from /api/v1/health
#      sampled while the API is idle just before and just after the phase.
# Every row also records the 1-minute load average when it started (the
# machine is shared). Prints markdown; docs/benchmarks-api.md records a run.
# Environment: HEARTH_BENCH_SECONDS (default 10 s per wrk run).
set -euo pipefail
b=${1:?usage: bench/api/run_api_bench.sh BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
dur=${HEARTH_BENCH_SECONDS:-10}
command -v wrk >/dev/null || { echo "wrk is not installed (tools/deps.sh bench)"; exit 1; }
command -v curl >/dev/null || { echo "curl is not installed (tools/deps.sh bench)"; exit 1; }
ulimit -n 8192 || ulimit -n 4096 || true

tmp=$(mktemp -d)
pid=""
npid=""
cleanup() {
  [ -n "$npid" ] && kill "$npid" 2>/dev/null && wait "$npid" 2>/dev/null
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
chmod 755 "$tmp"  # nginx's worker (user nobody) reads the static file from here

cp "$repo/assets/homes/demo.json" "$tmp/home.json"
cat > "$tmp/hearth.json" <<JSON
{"home": "home.json", "db": "history.db", "log_level": "warn",
 "api": {"max_connections": 2000, "auth": {"loopback_trusted": false}},
 "audio": {"source": "file", "file": "$repo/assets/test/speech_16k.wav", "file_loop": true, "file_realtime": true}}
JSON
"$b/daemon/hearthd" --config "$tmp/hearth.json" --listen 127.0.0.1:0 --port-file "$tmp/port" 2>"$tmp/hearthd.err" &
pid=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
[ -s "$tmp/port" ] || { echo "hearthd did not start:"; cat "$tmp/hearthd.err"; exit 1; }
port=$(cat "$tmp/port")
url="http://127.0.0.1:$port"
# The token store is auth.db next to the history database (config "api.auth.db" unset).
token=$("$b/daemon/hearth" token create --db "$tmp/auth.db" --name bench --scope admin)
auth="Authorization: Bearer $token"
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "$auth" "$url/api/v1/devices")" = 200 ] ||
  { echo "the bench token is refused"; exit 1; }
[ "$(curl -s -o /dev/null -w '%{http_code}' "$url/api/v1/devices")" = 401 ] ||
  { echo "hearthd answers without a token: auth is off, the figures would not be comparable"; exit 1; }

# The reference: nginx, one worker (hearthd's API runs on one I/O thread),
# keep-alive without a request cap, no access log, a JSON file of the same
# size as /api/v1/devices.
curl -s -H "$auth" "$url/api/v1/devices" > "$tmp/devices.json"
chmod 644 "$tmp/devices.json"
dev_bytes=$(stat -c %s "$tmp/devices.json")
nurl=""
if command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; then
  nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
  nport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  mkdir -p "$tmp/nginx"
  cat > "$tmp/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $tmp/nginx/body;
  proxy_temp_path $tmp/nginx/proxy;
  fastcgi_temp_path $tmp/nginx/fastcgi;
  uwsgi_temp_path $tmp/nginx/uwsgi;
  scgi_temp_path $tmp/nginx/scgi;
  keepalive_requests 100000000;
  keepalive_timeout 60s;
  server {
    listen 127.0.0.1:$nport;
    location = /devices.json { root $tmp; default_type application/json; }
  }
}
CONF
  "$nginx_bin" -c "$tmp/nginx/nginx.conf" -p "$tmp/nginx" &
  npid=$!
  for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$nport/devices.json" && break; sleep 0.1; done
  nurl="http://127.0.0.1:$nport/devices.json"
  nbytes=$(curl -s "$nurl" | wc -c)
  [ "$nbytes" = "$dev_bytes" ] || { echo "nginx serves $nbytes bytes, expected $dev_bytes"; exit 1; }
fi

# --- helpers ---------------------------------------------------------------
load1() { cut -d' ' -f1 /proc/loadavg; }
mem() { awk '/VmRSS/ {r=$2} /VmHWM/ {h=$2} END {printf "%.0f / %.0f", r/1024, h/1024}' "/proc/$pid/status"; }
# "frames overruns t_sent t_received": one /health snapshot and when it was asked/answered.
audio_snap() {
  local t0 t1 body
  t0=$(date +%s.%N)
  body=$(curl -s -H "$auth" "$url/api/v1/health")
  t1=$(date +%s.%N)
  echo "$body" | python3 -c "import json,sys; a=json.load(sys.stdin)['audio']; print(a['frames'], a['overruns'], $t0, $t1)"
}
# audio_delta "SNAP0" "SNAP1" -> "frames / expected range | overruns". The
# expected count is 100 frames per wall-clock second (10 ms frames), between
# the tightest and the widest interval the two snapshots allow; frames short
# of the low end were missed.
audio_delta() {
  python3 - "$1" "$2" <<'PY'
import sys
f0, o0, s0, r0 = map(float, sys.argv[1].split())
f1, o1, s1, r1 = map(float, sys.argv[2].split())
n, lo, hi = f1 - f0, (s1 - r0) * 100.0, (r1 - s0) * 100.0
verdict = "ok" if n >= lo - 1 else "**%.0f short**" % (lo - n)
print("%d / %.0f–%.0f %s | %d" % (n, lo, hi, verdict, o1 - o0))
PY
}
# wrk_row OUTPUT -> "rps | p50 | p99 | errors" (latencies converted to ms)
wrk_row() {
  python3 -c '
import re, sys
out = sys.stdin.read()
unit = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}
def ms(key):
    m = re.search(r"^\s*%s\s+([\d.]+)(us|ms|s|m)\s*$" % re.escape(key), out, re.M)
    return "%.2f" % (float(m.group(1)) * unit[m.group(2)]) if m else "?"
rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
errs = []
m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
if m: errs.append("%s non-2xx" % m.group(1))
m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
if m and any(int(x) for x in m.groups()):
    errs.append("sockets c%s r%s w%s t%s" % m.groups())
print("%s | %s | %s | %s" % ("{:,.0f}".format(float(rps.group(1))).replace(",", " ") if rps else "?",
                            ms("50%"), ms("99%"), ", ".join(errs) or "0"))
'
}
# run_wrk TARGET_URL CONNECTIONS [wrk args...] -> wrk output
run_wrk() {
  local target=$1 c=$2
  shift 2
  local threads=$(( c < 2 ? 1 : 2 ))
  wrk -t$threads -c$c -d${dur}s --timeout 10s --latency "$@" "$target" 2>&1
}

echo "# hearthd API bench, $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores," \
     "$(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo); ${dur} s per wrk run;" \
     "GET /api/v1/devices = $dev_bytes bytes; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
sleep 1
echo
echo "hearthd memory at start (VmRSS / VmHWM, MiB): $(mem)"
echo
echo "| server | route | conn. | requests/s | p50 ms | p99 ms | errors | audio frames / expected | overruns | RSS / HWM MiB | load 1 min |"
echo "|---|---|---:|---:|---:|---:|---|---|---:|---|---:|"
declare -A rps_of
for route in devices command; do
  for c in 1 50 500; do
    ld=$(load1)
    s0=$(audio_snap)
    if [ "$route" = devices ]; then
      out=$(run_wrk "$url/api/v1/devices" "$c" -H "$auth")
    else
      out=$(run_wrk "$url/api/v1/command" "$c" -H "$auth" -s "$here/command.lua")
    fi
    sleep 1  # let the last replies drain before asking /health
    s1=$(audio_snap)
    row=$(echo "$out" | wrk_row)
    rps_of[$route$c]=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    echo "| hearthd | $route | $c | $row | $(audio_delta "$s0" "$s1") | $(mem) | $ld |"
  done
done
# Mixed: command-by-text saturating the API while one connection lists devices.
ld=$(load1)
s0=$(audio_snap)
run_wrk "$url/api/v1/command" 500 -H "$auth" -s "$here/command.lua" > "$tmp/mixed_cmd.txt" &
wpid=$!
sleep 0.5
mixed=$(wrk -t1 -c1 -d$(( dur > 2 ? dur - 1 : 1 ))s --timeout 10s --latency -H "$auth" "$url/api/v1/devices" 2>&1)
wait $wpid
sleep 1
s1=$(audio_snap)
echo "| hearthd | command (mixed) | 500 | $(wrk_row < "$tmp/mixed_cmd.txt") | $(audio_delta "$s0" "$s1") | $(mem) | $ld |"
echo "| hearthd | devices during it | 1 | $(echo "$mixed" | wrk_row) | (same run) | | | |"
if [ -n "$nurl" ]; then
  for c in 1 50 500; do
    ld=$(load1)
    out=$(run_wrk "$nurl" "$c")
    rps_of[nginx$c]=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    echo "| nginx (static file, 1 worker) | devices.json | $c | $(echo "$out" | wrk_row) | | | | $ld |"
    sleep 1
  done
  echo
  echo "hearthd GET /api/v1/devices requests/s as a fraction of nginx serving the same bytes:" \
    "$(python3 -c "
import sys
h = [float(x) for x in sys.argv[1:4]]; n = [float(x) for x in sys.argv[4:7]]
print(', '.join('%s conn. %.2f' % (c, a / b) for c, a, b in zip((1, 50, 500), h, n)))
" "${rps_of[devices1]}" "${rps_of[devices50]}" "${rps_of[devices500]}" "${rps_of[nginx1]}" "${rps_of[nginx50]}" "${rps_of[nginx500]}")"
else
  echo
  echo "nginx is not installed (tools/deps.sh bench installs nginx-light): no static-file reference."
fi
echo
ld=$(load1)
s0=$(audio_snap)
fan=$(python3 "$here/ws_fanout.py" --port "$port" --token "$token" --clients 100 --rounds 50)
s1=$(audio_snap)
echo "WebSocket fan-out (100 clients subscribed to state_changed, 50 toggles, load $ld): $fan"
echo "audio during the fan-out: $(audio_delta "$s0" "$s1") overruns; hearthd memory after it (RSS / HWM MiB): $(mem)"
h=$(curl -s -H "$auth" "$url/api/v1/health")
echo
echo "history writer after everything: $(echo "$h" | python3 -c "import json,sys; d=json.load(sys.stdin)['history_detail']; print('commands written %s, dropped %s, write failures %s' % (d['commands_written'], d['dropped'], d['write_failures']))")"
echo "audio totals: $(echo "$h" | python3 -c "import json,sys; a=json.load(sys.stdin)['audio']; print('state %s, %s frames, %s s of audio, %s overruns, %s CPU-ms per audio-s' % (a['state'], a['frames'], a['audio_s'], a['overruns'], a['cpu_ms_per_audio_s']))")"
if [ -s "$tmp/hearthd.err" ]; then
  echo "hearthd stderr (warnings and errors, last 5 lines):"
  tail -5 "$tmp/hearthd.err" | sed 's/^/    /'
fi
