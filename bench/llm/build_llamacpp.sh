#!/bin/sh
# Builds llama.cpp's llama-bench as the same-run peer for bench/llm/compare.py.
# llama.cpp is not packaged in Debian 12. The npm package node-llama-cpp
# carries a git bundle of the llama.cpp release it was made for
# (package/llama/gitRelease.bundle); it comes from the npm registry, which
# this machine may reach, and is built here from source with the system
# compiler (CPU only). Nothing of it enters the repository
# or Hearth's build: it lives in DIR (default ../llama-peer beside the
# repository).
#   bench/llm/build_llamacpp.sh [DIR]     prints the llama-bench path
set -e
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
dir=${1:-${HEARTH_LLAMACPP_DIR:-$repo/../llama-peer}}
version=${NODE_LLAMA_CPP_VERSION:-3.22.1}
bin=$dir/llama.cpp/build/bin/llama-bench
if [ ! -x "$bin" ]; then
  mkdir -p "$dir"
  cd "$dir"
  if [ ! -d llama.cpp ]; then
    command -v npm >/dev/null || { echo "build_llamacpp: needs npm (apt-get install npm)" >&2; exit 1; }
    npm pack "node-llama-cpp@$version" >&2
    tar xzf "node-llama-cpp-$version.tgz" package/llama/gitRelease.bundle
    git clone -q package/llama/gitRelease.bundle llama.cpp
  fi
  # The ISA of this CPU spelled out, not -march=native: the VM's CPU
  # reports AMX, but AMX tile instructions fault here (SIGILL in ggml's AMX
  # mat-mul), and Hearth does not use AMX either. Set LLAMA_ISA_FLAGS for
  # another machine (e.g. "-DGGML_NATIVE=ON").
  # On a CPU without AMX, -march=native (GGML_NATIVE) is right.
  if [ -z "${LLAMA_ISA_FLAGS:-}" ] && ! grep -qw amx_tile /proc/cpuinfo 2>/dev/null; then LLAMA_ISA_FLAGS="-DGGML_NATIVE=ON"; fi
  isa=${LLAMA_ISA_FLAGS:-"-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON
    -DGGML_AVX512=ON -DGGML_AVX512_VBMI=ON -DGGML_AVX512_VNNI=ON -DGGML_AVX512_BF16=ON -DGGML_AVX_VNNI=ON
    -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF"}
  # shellcheck disable=SC2086
  cmake -S llama.cpp -B llama.cpp/build -DCMAKE_BUILD_TYPE=Release $isa -DLLAMA_CURL=OFF \
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF >&2
  cmake --build llama.cpp/build --target llama-bench -j"$(nproc)" >&2
fi
echo "$bin"
