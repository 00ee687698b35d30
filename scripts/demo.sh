#!/usr/bin/env bash
# The main job on the embedded synthetic hospital export: generate it, summarise it, de-identify its
# reports and DICOM files and score the text de-identification. Later stages (shards, training,
# evaluation) join here.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-demo-output}"
BIN=".venv/bin"

rm -rf "$OUT"
mkdir -p "$OUT"
echo "== 1/5 generating the synthetic hospital export (100 patients, 1024 px)"
"$BIN/boneds" synth "$OUT/export" --patients 100 --seed 0 --image-size 1024
echo "== 2/5 summary"
"$BIN/python" -m json.tool "$OUT/export/truth/summary.json"
# Everything that links back to patients (key, detected spans) stays in private/.
mkdir -p "$OUT/private" "$OUT/deid"
"$BIN/frdeid" keygen "$OUT/private/site.key"
echo "== 3/5 de-identifying the reports (frdeid text; input: the export's documents with their patients)"
"$BIN/frdeid" text "$OUT/export/truth/phi.jsonl" "$OUT/deid/reports.jsonl" --key "$OUT/private/site.key" \
    --spans "$OUT/private/spans.jsonl" --workers 2
echo "== 4/5 scoring the detected spans against the synthetic truth (frdeid eval)"
"$BIN/frdeid" eval "$OUT/export/truth/phi.jsonl" "$OUT/private/spans.jsonl" --json "$OUT/private/text-eval.json"
echo "== 5/5 de-identifying the DICOM files (frdeid dicom: PS3.15 profile, burned-in text screening)"
# Exit code 3 means some files were quarantined or failed: expected here (burned-in documents, broken files).
status=0
"$BIN/frdeid" dicom "$OUT/export/dicom" "$OUT/deid/dicom" --key "$OUT/private/site.key" \
    --report "$OUT/private/dicom-report.csv" --workers 2 || status=$?
[ "$status" = 0 ] || [ "$status" = 3 ] || exit "$status"
"$BIN/python" - "$OUT/private/dicom-report.csv" <<'PY'
import csv, collections, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
print("dicom files:", dict(collections.Counter(r["status"] for r in rows)))
print("reasons:", dict(collections.Counter(r["reason"] for r in rows if r["status"] != "written")))
PY
echo
echo "outputs:"
echo "  export (DICOM tree, reports.csv, patients.csv): $OUT/export"
echo "  ground truth (never read by the pipeline):     $OUT/export/truth"
echo "  de-identified reports:                         $OUT/deid/reports.jsonl"
echo "  de-identified DICOM (pseudonymous paths):      $OUT/deid/dicom"
echo "  key, spans, scores, DICOM report (stay inside): $OUT/private"
