"""Text de-identification: speed and quality, next to spaCy's fr_core_news_md default pipeline.

Prints, on the same texts in the same run:
- docs/s and tokens/s of frdeid's full default pipeline (detection + replacement) with 1 and 2
  worker processes, and of spaCy `fr_core_news_md`'s default pipeline (one process);
- per-label precision / recall / F1 (overlap-based; exact-match F1 beside it) and character recall
  on the synthetic export's truth and on the EDS-Pseudo templates (when `../shared/text` is there);
- identifiers left verbatim in the output (gold names, IDs, phones, e-mails and dates).

    .venv/bin/python benchmarks/text_deid.py [--patients 80] [--gold truth/phi.jsonl] [--eds PATH]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import tempfile
import time
from pathlib import Path

from frdeid.corpora import GoldDocument, read_gold_jsonl, read_markup_corpus
from frdeid.evaluate import format_table, score
from frdeid.keys import generate_key
from frdeid.text.deidentify import TextDeidentifier

ROOT = Path(__file__).resolve().parents[1]
EDS = ROOT.parent / "shared" / "text" / "eds_pseudo_templates.txt"
_WORKER: TextDeidentifier | None = None


def _init_worker(key: bytes) -> None:
    global _WORKER
    _WORKER = TextDeidentifier(key)


def _deid_one(doc: tuple[str, object]) -> str:
    return _WORKER.deidentify(doc[0], doc[1]).text


def words(texts: list[str]) -> int:
    """Whitespace-separated tokens, the unit of tokens/s for every system here."""
    return sum(len(t.split()) for t in texts)


def time_frdeid(docs: list[GoldDocument], workers: int, key: bytes) -> tuple[float, list[str]]:
    """Seconds to de-identify all documents (models loaded beforehand), and the outputs."""
    items = [(d.text, d.patient) for d in docs]
    if workers == 1:
        _init_worker(key)
        _deid_one(items[0])  # warm-up: models loaded
        start = time.perf_counter()
        outputs = [_deid_one(item) for item in items]
        return time.perf_counter() - start, outputs
    with multiprocessing.get_context("fork").Pool(workers, initializer=_init_worker, initargs=(key,)) as pool:
        pool.map(_deid_one, items[:workers * 2], chunksize=1)  # warm-up in every worker
        start = time.perf_counter()
        outputs = pool.map(_deid_one, items, chunksize=8)
        return time.perf_counter() - start, outputs


def time_spacy_default(texts: list[str]) -> float:
    """Seconds for spaCy fr_core_news_md's full default pipeline over the texts (one process)."""
    import spacy

    nlp = spacy.load("fr_core_news_md")
    list(nlp.pipe(texts[:5]))
    start = time.perf_counter()
    for _ in nlp.pipe(texts, batch_size=32):
        pass
    return time.perf_counter() - start


def quality(name: str, docs: list[GoldDocument], key: bytes) -> None:
    """Per-label scores of the detection pipeline on one corpus."""
    deid = TextDeidentifier(key)
    gold, predicted, outputs = [], [], []
    for doc in docs:
        result = deid.deidentify(doc.text, doc.patient)
        gold.append({"id": doc.id, "text": doc.text, "spans": [{"start": a, "end": b, "label": c} for a, b, c in doc.spans]})
        predicted.append({"id": doc.id, "spans": [s.as_dict() for s in result.spans]})
        outputs.append(result.text)
    result = score(gold, predicted)
    print(f"\n{name}: {len(docs)} documents, {sum(len(d.spans) for d in docs)} gold spans")
    print(format_table(result))
    leaks = verbatim_leaks(docs, outputs)
    print(f"  identifiers left verbatim in the output: {len(leaks)}")
    for label, surface_length in leaks[:10]:
        print(f"    {label} ({surface_length} characters)")


def verbatim_leaks(docs: list[GoldDocument], outputs: list[str]) -> list[tuple[str, int]]:
    """Gold names, IDs, phones, e-mails/URLs and dates (>= 4 characters) found verbatim in the output
    of their own document (reported by label and length only)."""
    leaks = []
    for doc, out in zip(docs, outputs, strict=True):
        for start, end, label in doc.spans:
            surface = doc.text[start:end]
            if label in ("PATIENT", "PERSON", "ID", "PHONE", "EMAIL_URL", "DATE") and len(surface) >= 4 \
                    and surface in out:
                leaks.append((label, len(surface)))
    return leaks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=80, help="size of the synthetic export to generate")
    parser.add_argument("--gold", type=Path, default=None, help="gold JSONL instead of a generated export")
    parser.add_argument("--eds", type=Path, default=EDS)
    args = parser.parse_args()
    key = generate_key()
    with tempfile.TemporaryDirectory() as tmp:
        gold_path = args.gold
        if gold_path is None:
            from boneds.synth.export import generate_export

            generate_export(Path(tmp) / "export", args.patients, 2024, image_size=32, workers=2, progress=False)
            gold_path = Path(tmp) / "export" / "truth" / "phi.jsonl"
        docs = list(read_gold_jsonl(gold_path))
    texts = [d.text for d in docs]
    n_words = words(texts)
    print(f"speed on {len(docs)} synthetic documents, {n_words} tokens (whitespace), 2 cores:")
    for workers in (1, 2):
        seconds, _ = time_frdeid(docs, workers, key)
        print(f"  frdeid full pipeline, {workers} worker(s): {len(docs) / seconds:7.1f} docs/s "
              f"{n_words / seconds:8.0f} tokens/s ({n_words / seconds / workers:.0f} tokens/s per core)")
    seconds = time_spacy_default(texts)
    print(f"  spaCy fr_core_news_md default pipeline, 1 process: {len(docs) / seconds:7.1f} docs/s "
          f"{n_words / seconds:8.0f} tokens/s")
    quality("synthetic export truth", docs, key)
    if args.eds.exists():
        quality("EDS-Pseudo templates (France, not radiology; names scored as one class)",
                read_markup_corpus(args.eds), key)
    print(json.dumps({"documents": len(docs), "tokens": n_words}))


if __name__ == "__main__":
    main()
