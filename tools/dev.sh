#!/usr/bin/env bash
# tools/dev.sh — the two README commands (and a few more).
#   tools/dev.sh run [hearthd flags]   install packages, build, run hearthd on the demo home
#   tools/dev.sh test                  install packages, build everything, run all tests (CTest)
#   tools/dev.sh bench                 build and run the benchmarks (not part of the tests)
#   tools/dev.sh run-mqtt [hearthd flags]  the demo over a real broker: mosquitto on 127.0.0.1:$HEARTH_MQTT_PORT
#                                      (default 18830), the Zigbee2MQTT simulator (tools/z2m_sim.cc) and
#                                      hearthd with the devices of assets/config/mqtt-demo-devices.json on MQTT
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
  run-mqtt)
    tools/deps.sh run
    mosq=$(command -v mosquitto || echo /usr/sbin/mosquitto)
    [ -x "$mosq" ] || { echo "run-mqtt needs the broker: apt-get install mosquitto (tools/deps.sh test installs it)" >&2; exit 1; }
    cmake -S . -B build/run -DCMAKE_BUILD_TYPE=Release -DHEARTH_BUILD_TESTS=OFF -DHEARTH_BUILD_BENCH=OFF >/dev/null
    cmake --build build/run -j"$jobs" --target hearthd hearth
    demo=build/run/mqtt-demo
    mkdir -p "$demo"
    if [ ! -x build/run/z2m_sim ] || [ tools/z2m_sim.cc -nt build/run/z2m_sim ]; then
      c++ -O2 -std=c++20 tools/z2m_sim.cc -o build/run/z2m_sim $(pkg-config --cflags --libs libmosquitto) -pthread
    fi
    port=${HEARTH_MQTT_PORT:-18830}
    printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' "$port" > "$demo/mosquitto.conf"
    # The demo home with the mapped devices' adapters replaced; a config that turns MQTT on.
    python3 - "$demo" "$port" <<'PY'
import json, sys
demo, port = sys.argv[1], int(sys.argv[2])
home = json.load(open("assets/homes/demo.json"))
mapping = {k: v for k, v in json.load(open("assets/config/mqtt-demo-devices.json")).items() if not k.startswith("_")}
for d in home["devices"]:
    if d["id"] in mapping:
        d["adapter"] = mapping[d["id"]]
json.dump(home, open(demo + "/home.json", "w"), indent=1)
json.dump({"home": "home.json", "db": "history.db", "audio": {"source": "none"},
           "mqtt": {"enabled": True, "port": port, "hub_id": "demo"}}, open(demo + "/hearth.json", "w"), indent=2)
PY
    "$mosq" -c "$demo/mosquitto.conf" >"$demo/mosquitto.log" 2>&1 &
    mosq_pid=$!
    build/run/z2m_sim --port "$port" --log "$demo/sim_commands.log" >"$demo/sim.log" 2>&1 &
    sim_pid=$!
    trap 'kill $sim_pid $mosq_pid 2>/dev/null || true' EXIT
    echo "mosquitto on 127.0.0.1:$port, z2m_sim running; try: build/run/daemon/hearth say \"turn on the kitchen lights\"" >&2
    echo "  watch the simulator: mosquitto_sub -p $port -t 'zigbee2mqtt/#' -v   (commands: $demo/sim_commands.log)" >&2
    build/run/daemon/hearthd --config "$demo/hearth.json" "$@"
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
    echo "usage: tools/dev.sh run [hearthd flags] | run-mqtt [hearthd flags] | test [ctest flags] | bench" >&2
    exit 2
    ;;
esac
