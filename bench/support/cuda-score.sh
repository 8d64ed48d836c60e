#!/usr/bin/env bash
# `npm run bench:score` (quality + pool sections) on a CUDA host, from the bundle made by
# bench/support/pack-cuda-bundle.sh (../shared/gpu/pack-gpu-bundle.sh): the same models on the CPU provider and on
# CUDA in one run. Writes the card's name, `swaprep gpu status` and the figures (key BENCH_RESULT_KEY, default
# "scoreCuda"; BENCH_SCORE_WORKERS sets the pool's workers) to $OUT.
set -uo pipefail
repo=$PWD
source /tmp/gpu-run/env.sh
# What the bundle does not carry: the protobuf descriptors (built, ignored by git) and the corpus fixtures
# the synthetic training events are made from.
mkdir -p /tmp/gpu-run/proto /tmp/gpu-run/test
cp -r "$repo/proto/gen" /tmp/gpu-run/proto/ && cp -r "$repo/test/fixtures" /tmp/gpu-run/test/
cd /tmp/gpu-run
out=${OUT:-/tmp/gpu-out}; mkdir -p "$out" bench
key=${BENCH_RESULT_KEY:-scoreCuda}
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv > "$out/gpu.csv" 2>&1
./node dist/engine/cli/main.js gpu status > "$out/gpu-status.txt" 2>&1
BENCH_SCORE_POOL_ONLY=1 BENCH_RESULT_KEY=$key ./node dist/bench/score.bench.js > "$out/$key.json" 2> "$out/$key.log"
echo "bench exit $?" >> "$out/$key.log"
cp bench/results.json "$out/results.json" 2>/dev/null
tail -20 "$out/$key.log"; cat "$out/gpu.csv" "$out/gpu-status.txt"
