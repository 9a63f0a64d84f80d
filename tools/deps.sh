#!/usr/bin/env bash
# tools/deps.sh run|test|bench — installs the Debian 12 packages Hearth needs
# for that purpose, if any are missing. Idempotent: does nothing when all are
# present. As root it runs apt-get; otherwise it prints the exact command to
# run and exits 1. Nothing outside Debian's archive is ever fetched.
set -euo pipefail

purpose=${1:-test}
build_pkgs=(g++ cmake make pkg-config ca-certificates
  libboost-dev nlohmann-json3-dev libsqlite3-dev
  portaudio19-dev libsndfile1-dev libfftw3-dev libmosquitto-dev
  libpocketsphinx-dev libsphinxbase-dev pocketsphinx-en-us libespeak-ng-dev libssl-dev openssl)
# mosquitto: the real broker the MQTT tests start on a loopback port;
# python3: recovers the damaged vocab files of ../shared/data/llm for the tokenizer tests.
# python3-numpy: the reference feature extractor the wake-word parity test runs;
# chromium + chromium-driver: the companion web app's browser test (WebDriver).
test_pkgs=(libgtest-dev libgmock-dev libbenchmark-dev mosquitto python3 python3-numpy
  chromium chromium-driver)
# Peers and data generators for the benchmarks only (never needed by tests).
# libopenblas0-pthread: torch (training tools) uses it via libblas.so.3; the reference BLAS is 10-60x slower.
bench_pkgs=(libspeexdsp-dev libwebrtc-audio-processing-dev espeak-ng flite festival
  festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts python3-numpy python3-scipy
  python3-torch libopenblas0-pthread pocketsphinx wrk sox curl
  nginx-light)  # nginx-light: the static-file reference server of bench/api/run_api_bench.sh

case "$purpose" in
  run) want=("${build_pkgs[@]}") ;;
  test) want=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
  bench) want=("${build_pkgs[@]}" "${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
  *) echo "usage: tools/deps.sh run|test|bench" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "hearth: missing Debian packages; install them with:" >&2
  echo "  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "hearth: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has no package lists yet; refresh them when an install fails.
if ! apt-get install -y -q --no-install-recommends "${missing[@]}"; then
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
