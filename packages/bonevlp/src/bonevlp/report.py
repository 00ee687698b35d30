"""`bonevlp report RUN --out report.html`: one self-contained HTML page about a training run.

    write_report("runs/demo", "report.html")                        # RUN/eval/*.json
    write_report("runs/demo", "report.html", ["evals/", "zs.json"])  # folders of results, or files

The page holds the training curves drawn from RUN/metrics.jsonl (loss, learning rate, logit scale and
temperature, throughput; PNG rendered with matplotlib's Agg renderer), the run's settings
(RUN/config.json) and summary (RUN/summary.json), every evaluation result found (the JSON written by
`bonevlp eval ... --out`, shown as `format_table` prints it) and the figures those results list (the PNG
of `eval analyse`). It reads offline: no external style sheet, script or font, every image embedded as
a base64 `data:` URI, every string HTML-escaped.
"""

from __future__ import annotations

import base64
import io
import json
import math
from collections.abc import Sequence
from html import escape
from pathlib import Path

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
CURVES = (  # (title, metrics.jsonl field(s), y label)
    ("Loss", ("loss",), "loss"),
    ("Learning rate", ("lr",), "lr"),
    ("Logit scale (1 / temperature)", ("logit_scale",), "logit scale"),
    ("Temperature", ("temperature",), "temperature"),
    ("Throughput", ("samples_per_s",), "samples / s"),
)
STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; padding: 0 1em; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 2em; }
table { border-collapse: collapse; font-size: .9em; } td, th { border: 1px solid #ddd; padding: .25em .6em;
text-align: left; vertical-align: top; } pre { background: #f6f6f6; padding: .8em; overflow-x: auto; }
.figures { display: flex; flex-wrap: wrap; gap: 1em; } figure { margin: 0; } figcaption { font-size: .8em; }
img { max-width: 520px; height: auto; border: 1px solid #eee; } .note { color: #777; }
"""


def read_metrics(run: str | Path) -> list[dict]:
    """The records of RUN/metrics.jsonl, in order (unreadable lines skipped); [] when there is none.
    A `temperature` (1 / logit scale) is added to the records that have a positive logit scale."""
    path = Path(run) / "metrics.jsonl"
    if not path.is_file():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict) and "step" in record:
            scale = record.get("logit_scale")
            if isinstance(scale, int | float) and scale > 0 and "temperature" not in record:
                record["temperature"] = 1.0 / scale
            records.append(record)
    return records


def curve_png(records: Sequence[dict], field: str, title: str, ylabel: str) -> bytes | None:
    """A PNG line plot of `field` against `step` (None when no record has a finite value)."""
    points = [(r["step"], r[field]) for r in records
              if isinstance(r.get(field), int | float) and math.isfinite(r[field])]
    if not points:
        return None
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(5.2, 3.4), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    steps, values = zip(*points, strict=True)
    axes.plot(steps, values, marker="." if len(points) < 50 else None, linewidth=1.2)
    if field == "lr" and min(values) > 0 and max(values) / min(values) > 100:
        axes.set_yscale("log")
    axes.set_title(title)
    axes.set_xlabel("step")
    axes.set_ylabel(ylabel)
    axes.grid(alpha=0.3)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def find_results(run: str | Path, sources: Sequence[str | Path] | None = None) -> list[tuple[Path, dict]]:
    """Evaluation results: the JSON files given (a folder: its *.json, sorted), default RUN/eval/*.json.
    Only JSON objects with a `task` are kept (other JSON files of a folder are skipped; a file named
    explicitly that is not a result raises ValueError). A missing file or folder raises FileNotFoundError."""
    if sources is None:
        folder = Path(run) / "eval"
        sources = [folder] if folder.is_dir() else []
    found: list[tuple[Path, dict]] = []
    for source in map(Path, sources):
        if source.is_dir():
            for path in sorted(source.glob("*.json")):
                result = _read_json(path)
                if isinstance(result, dict) and "task" in result:
                    found.append((path, result))
        elif source.is_file():
            result = _read_json(source)
            if not isinstance(result, dict) or "task" not in result:
                raise ValueError(f"{source} is not an evaluation result (a JSON object with a `task`)")
            found.append((source, result))
        else:
            raise FileNotFoundError(f"no evaluation result at {source}")
    return found


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{path} is not valid JSON: {error}") from error


def resolve_figure(reference: str, result_path: Path) -> Path | None:
    """A figure listed by a result: the path as written, else relative to the result's folder, else
    `<result stem>-figures/<name>` next to it (a moved folder); None when none is a file."""
    path = Path(reference)
    candidates = [path]
    if not path.is_absolute():
        candidates.append(result_path.parent / path)
    candidates.append(result_path.parent / f"{result_path.stem}-figures" / path.name)
    return next((c for c in candidates if c.is_file()), None)


def png_data_uri(data: bytes) -> str:
    """`data:image/png;base64,...` of PNG bytes (ValueError for anything that is not a PNG)."""
    if not data.startswith(PNG_MAGIC):
        raise ValueError("not a PNG image")
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def _img(data: bytes, caption: str) -> str:
    return (f'<figure><img src="{png_data_uri(data)}" alt="{escape(caption)}">'
            f"<figcaption>{escape(caption)}</figcaption></figure>")


def _value(value) -> str:
    if isinstance(value, dict | list):
        return escape(json.dumps(value, ensure_ascii=False))
    if isinstance(value, float):
        return escape(f"{value:.6g}")
    return escape("" if value is None else str(value))


def _key_values(data: dict) -> str:
    rows = "".join(f"<tr><th>{escape(str(k))}</th><td>{_value(v)}</td></tr>" for k, v in data.items())
    return f"<table>{rows}</table>"


def _json_file(path: Path) -> dict | None:
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _training_section(records: list[dict]) -> str:
    if not records:
        return '<p class="note">No metrics.jsonl in the run (nothing logged yet).</p>'
    last = records[-1]
    parts = [f"<p>{len(records)} logged steps, last step {_value(last.get('step'))}"
             f", last loss {_value(last.get('loss'))}.</p>", '<div class="figures">']
    for title, fields, ylabel in CURVES:
        for field in fields:
            png = curve_png(records, field, title, ylabel)
            if png is not None:
                parts.append(_img(png, title))
    parts.append("</div>")
    return "".join(parts)


def _result_section(path: Path, result: dict) -> str:
    from .eval.results import format_table

    task = str(result.get("task", "result"))
    try:
        table = format_table(result)
    except (KeyError, TypeError, ValueError, AttributeError, StopIteration) as error:
        table = f"(this result could not be tabulated: {error})\n" + json.dumps(result, indent=1, ensure_ascii=False)
    parts = [f"<h3>{escape(task)} &mdash; {escape(path.name)}</h3>", f'<p class="note">{escape(str(path))}</p>',
             f"<pre>{escape(table)}</pre>"]
    figures = result.get("figures") or []
    images, missing = [], []
    for reference in figures if isinstance(figures, list) else []:
        found = resolve_figure(str(reference), path)
        data = found.read_bytes() if found is not None else b""
        if data.startswith(PNG_MAGIC):
            images.append(_img(data, found.name))
        else:
            missing.append(str(reference))
    if images:
        parts += ['<div class="figures">', *images, "</div>"]
    if missing:
        parts.append(f'<p class="note">Figures not found: {escape(", ".join(missing))}</p>')
    return "".join(parts)


def build_report(run: str | Path, sources: Sequence[str | Path] | None = None) -> str:
    """The HTML page of run `run` (see the module docstring); `sources` as in `find_results`."""
    run = Path(run)
    if not run.is_dir():
        raise FileNotFoundError(f"no run directory at {run}")
    config = _json_file(run / "config.json")
    records = read_metrics(run)
    if config is None and not records:
        raise FileNotFoundError(f"{run} is not a training run (no config.json, no metrics.jsonl)")
    results = find_results(run, sources)
    name = run.resolve().name
    body = [f"<h1>bonevlp run {escape(name)}</h1>", f'<p class="note">{escape(str(run.resolve()))}</p>',
            "<h2>Training</h2>", _training_section(records)]
    summary = _json_file(run / "summary.json")
    if summary:
        body += ["<h3>Summary</h3>", _key_values(summary)]
    body += ["<h2>Evaluations</h2>"]
    if results:
        body += [_result_section(path, result) for path, result in results]
    else:
        body.append('<p class="note">No evaluation result found (pass JSON files or folders with --eval; '
                    "default RUN/eval/*.json).</p>")
    body += ["<h2>Configuration</h2>", _key_values(config) if config else '<p class="note">No config.json.</p>']
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>bonevlp run {escape(name)}</title><style>{STYLE}</style></head>\n<body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def write_report(run: str | Path, out: str | Path, sources: Sequence[str | Path] | None = None) -> Path:
    """Write the page of `build_report` to `out` (UTF-8, parent folders made); returns the path."""
    html = build_report(run, sources)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    return out
