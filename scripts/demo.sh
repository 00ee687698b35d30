#!/usr/bin/env bash
# The main job on the embedded synthetic hospital export: generate it, then summarise it.
# Later stages (de-identification, shards, training, evaluation) join here as they land.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-demo-output}"
BIN=".venv/bin"

rm -rf "$OUT"
mkdir -p "$OUT"
echo "== 1/2 generating the synthetic hospital export (100 patients, 1024 px)"
"$BIN/boneds" synth "$OUT/export" --patients 100 --seed 0 --image-size 1024
echo "== 2/2 summary"
"$BIN/python" -m json.tool "$OUT/export/truth/summary.json"
echo
echo "outputs:"
echo "  export (DICOM tree, reports.csv, patients.csv): $OUT/export"
echo "  ground truth (never read by the pipeline):     $OUT/export/truth"
