#!/bin/sh
# Regenerates the shipped wake-word models (assets/wakeword/*.gguf) with the
# fixed seed, two words at a time (one thread each), under nice.
#   tools/wakeword/train_all.sh [CACHE_DIR]
# Needs ../shared/data (or HEARTH_SHARED_DATA), espeak-ng, flite, festival,
# sox, python3-torch, python3-numpy, python3-scipy. Logs: CACHE_DIR/train_<word>.log
set -e
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
data=${HEARTH_SHARED_DATA:-$repo/../shared/data}
cache=${1:-$repo/build-wakeword-cache}
mkdir -p "$cache" "$repo/assets/wakeword"
opts=${TRAIN_OPTS:---tts-positives 200 --pos-clips 1200 --neg-clips 2400 --channels 32 --blocks 6 --minutes 2 --threads 1 --seed 1}
run() {
  for w in "$@"; do
    nice -n 10 /usr/bin/python3 "$here/train.py" --keyword "$w" --recordings "$data/wakeword/$w" \
      --out "$repo/assets/wakeword/$w.gguf" --work "$cache" $opts > "$cache/train_$w.json" 2> "$cache/train_$w.log"
  done
}
run jarvis alexa &
a=$!
run computer snowboy &
b=$!
wait $a
wait $b
cat "$cache"/train_*.json
