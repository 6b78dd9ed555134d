#!/usr/bin/env bash
# Speed (and quick quality) benchmarks on a CUDA machine, in one short run (well under 8 minutes).
#
#   make install-test && benchmarks/gpu.sh          # results in $OUT, else build/bench-results/gpu
#
# Assumes the virtualenv from `make install-test` (.venv). Nothing is downloaded: backbones whose
# weights are not cached are skipped with a note, as on CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-.venv/bin/python}"
OUT="${OUT:-build/bench-results/gpu}"
mkdir -p "$OUT"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
# Never the user's catalog, models or preferences.
export PHOTOTRIAGE_DATA_DIR="${PHOTOTRIAGE_DATA_DIR:-$(mktemp -d)}"

"$PY" - <<'PY' | tee "$OUT/device.txt"
import torch
assert torch.cuda.is_available(), "no CUDA device: run `python -m benchmarks.speed` for CPU figures"
print(f"torch {torch.__version__}, CUDA {torch.version.cuda}, {torch.cuda.get_device_name(0)}")
PY
command -v nvidia-smi >/dev/null && nvidia-smi > "$OUT/nvidia-smi.txt" 2>&1 || true

started=$(date +%s)
# Speed: decode, thumbnails, extractors on cuda, `rank` on 100 and 1,000 photos (first and cached runs).
status=0
timeout 330 "$PY" -m benchmarks.speed --quick --device cuda --repeats 3 \
    --json "$OUT/speed-cuda.json" > "$OUT/speed-cuda.md" 2> "$OUT/speed-cuda.log" \
    || { status=$?; echo "speed benchmark failed or timed out (exit $status); see $OUT/speed-cuda.log" >&2; }
# Quality does not depend on the device, but PIQE and any cached backbone run on it: a quick check.
timeout 120 "$PY" -m benchmarks.ranking --quick --device cuda \
    --json "$OUT/ranking-cuda.json" > "$OUT/ranking-cuda.md" 2> "$OUT/ranking-cuda.log" \
    || { status=$?; echo "ranking benchmark failed or timed out (exit $status); see $OUT/ranking-cuda.log" >&2; }
cat "$OUT/speed-cuda.md" "$OUT/ranking-cuda.md"
echo "done in $(( $(date +%s) - started )) s; results in $OUT"
exit "$status"
