#!/usr/bin/env bash
# The main job on the embedded synthetic hospital export: generate it, summarise it, de-identify its
# reports and score the text de-identification, build the paired, de-identified shards and audit
# them, then pretrain the tiny-resnet model on the shards, export it, evaluate it (zero-shot, retrieval,
# latent-space analysis) and write the run's HTML report.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-demo-output}"
BIN=".venv/bin"

rm -rf "$OUT"
mkdir -p "$OUT"
PATIENTS="${DEMO_PATIENTS:-300}"
echo "== 1/8 generating the synthetic hospital export ($PATIENTS patients, 512 px)"
"$BIN/boneds" synth "$OUT/export" --patients "$PATIENTS" --seed 0 --image-size 512 --workers 2
echo "== 2/8 summary"
"$BIN/python" -m json.tool "$OUT/export/truth/summary.json"
# Everything that links back to patients (key, detected spans) stays in private/.
mkdir -p "$OUT/private" "$OUT/deid"
"$BIN/frdeid" keygen "$OUT/private/site.key"
echo "== 3/8 de-identifying the reports (frdeid text; input: the export's documents with their patients)"
"$BIN/frdeid" text "$OUT/export/truth/phi.jsonl" "$OUT/deid/reports.jsonl" --key "$OUT/private/site.key" \
    --spans "$OUT/private/spans.jsonl" --workers 2
echo "== 4/8 scoring the detected spans against the synthetic truth (frdeid eval)"
"$BIN/frdeid" eval "$OUT/export/truth/phi.jsonl" "$OUT/private/spans.jsonl" --json "$OUT/private/text-eval.json"
echo "== 5/8 building de-identified, paired WebDataset shards (boneds build)"
"$BIN/boneds" build "$OUT/export" "$OUT/shards" --key "$OUT/private/site.key" --private "$OUT/private/build" \
    --workers 2 --samples-per-shard 100 --image-size 256
"$BIN/python" -m json.tool "$OUT/shards/stats.json"
echo "== 6/8 independent leak scan of everything that would leave the hospital (boneds audit)"
"$BIN/boneds" audit "$OUT/shards" --export "$OUT/export" --private "$OUT/private/build" --quiet
echo "== 7/8 off-site: CLIP-style pretraining of the tiny-resnet model on the shards, on CPU (bonevlp train)"
"$BIN/bonevlp" train --data "$OUT/shards" --out "$OUT/runs/tiny" --model tiny-resnet --batch-size 32 --workers 2 \
    --epoch-samples 4096 --val-fraction 0.2 --epochs 7 --time-budget "${DEMO_TRAIN_SECONDS:-480}" --lr 5e-4 --log-every 20 --quiet
"$BIN/bonevlp" export "$OUT/runs/tiny" --out "$OUT/models/tiny"
echo "== 8/8 evaluation: zero-shot fracture detection on a synthetic FracAtlas-layout set; retrieval and latent-space analysis on the validation split; the HTML report"
"$BIN/boneds" synth-downstream "$OUT/downstream/fracatlas" --task fracture --size 200 --image-size 256
"$BIN/bonevlp" eval zeroshot --model "$OUT/models/tiny" --dataset "fracatlas:$OUT/downstream/fracatlas" \
    --out "$OUT/eval/zeroshot-fracatlas.json" --quiet
"$BIN/bonevlp" eval retrieval --model "$OUT/runs/tiny" --data "$OUT/shards" --split val \
    --out "$OUT/eval/retrieval.json" --quiet
"$BIN/bonevlp" eval analyse --model "$OUT/runs/tiny" --data "$OUT/shards" --split val \
    --dataset "fracatlas:$OUT/downstream/fracatlas" --out "$OUT/eval/analyse.json" --quiet
echo "== text tower: SapBERT-style self-alignment on the bundled French MSK synonym table, scored on held-out concepts"
"$BIN/bonevlp" sap --model "$OUT/runs/tiny" --out "$OUT/models/tiny-sap" --quiet
"$BIN/bonevlp" eval synonyms --model "$OUT/runs/tiny" --held-out-only "$OUT/models/tiny-sap/sap.json" \
    --out "$OUT/eval/synonyms-before-sap.json"
"$BIN/bonevlp" eval synonyms --model "$OUT/models/tiny-sap" --held-out-only "$OUT/models/tiny-sap/sap.json" \
    --out "$OUT/eval/synonyms-after-sap.json"
"$BIN/bonevlp" report "$OUT/runs/tiny" --eval "$OUT/eval" --out "$OUT/report.html"
echo
echo "outputs:"
echo "  export (DICOM tree, reports.csv, patients.csv): $OUT/export"
echo "  ground truth (never read by the pipeline):     $OUT/export/truth"
echo "  de-identified reports:                         $OUT/deid/reports.jsonl"
echo "  shards, sizes.json, manifest, stats (leave):  $OUT/shards"
echo "  training run (metrics.jsonl, checkpoints):     $OUT/runs/tiny"
echo "  exported open_clip model (local-dir:):         $OUT/models/tiny"
echo "  its text tower self-aligned (bonevlp sap):     $OUT/models/tiny-sap"
echo "  evaluation results (JSON) and figures (PNG):   $OUT/eval"
echo "  the run's report (HTML, reads offline):        $OUT/report.html"
echo "  key, spans, scores, build report (stay inside): $OUT/private"
