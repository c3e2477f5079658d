"""`govtag eval --model DIR --data SOURCE`: score a model folder on gold units read in context.

SOURCE is a split of the project's gold (``test``, ``dev``, ``fazhi``) or any gold file in the
interchange format, so a researcher needs nothing but that file and a model folder.
"""

from __future__ import annotations

from pathlib import Path

from ..annotations import build_rows, load_gold, read_interchange
from ..errors import GovtagError
from ..splits import SPLITS, load_splits
from .metrics import apply_temperature
from .report import evaluate, format_summary, write_report


def gold_rows(source: str, docs: dict | None = None) -> list[dict]:
    """Rows of an interchange file, or of the project's gold reports in one split."""
    path = Path(source)
    if path.is_file():
        return read_interchange(path)
    if source not in SPLITS:
        raise GovtagError(f"--data {source!r} is neither a file nor a split ({', '.join(SPLITS)})")
    from ..corpus import load_corpus

    docs = docs or {d.doc_id: d for d in load_corpus()}
    splits = load_splits()
    gold = {k: r for k, r in load_gold(docs).items() if splits.get(k[0]) == source}
    return build_rows(docs, gold, "gold")


def evaluate_model(model_dir: str | Path, source: str, out_dir: str | Path | None = None) -> dict:
    from ..model.modeling import load_tagger

    tagger = load_tagger(model_dir)
    rows = gold_rows(source)
    logits = tagger.logits(rows)
    result = evaluate(rows, apply_temperature(logits, 1.0), tagger.labels, logits=logits, temperature=tagger.temperature)
    out = Path(out_dir) if out_dir else Path(model_dir) / f"eval-{Path(source).stem}"
    write_report(result, out)
    print(format_summary(result))
    print(f"report written to {out}")
    return result
