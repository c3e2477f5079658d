"""Standoff labels and the labelled dataset.

Labels never copy corpus text. A label record points into a corpus document::

    {"doc_id": "fz-yantai-2024", "start": 0, "end": 96, "sha1": "3f2a…", "label": "outcome",
     "annotator": "ann-A", "guideline": "labels.md@1a2b3c4d5e6f"}

``sha1`` (first 12 hex digits of the span's SHA-1) lets us detect a corpus or segmenter change.
Gold lives in ``data/annotations/`` (one file per annotation pass, plus ``adjudication.jsonl``);
silver in ``data/silver/``. The gold label of a unit is the adjudicated label where passes
disagreed, else the label the passes agree on.

The *interchange* format is for gold data from outside: JSONL, one unit per line,
``{"doc_id": str, "index": int, "text": str, "label": str}``, documents in reading order.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from .corpus import SOURCE_ROOT, Document
from .errors import GovtagError, where
from .labels import LABELS
from .segment import Unit, segment, sections_from_texts

GOLD_DIR = SOURCE_ROOT / "data" / "annotations"
SILVER_DIR = SOURCE_ROOT / "data" / "silver"
ADJUDICATION = "adjudication"  # stem of the file that settles disagreements between passes


def span_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


@dataclass(frozen=True)
class LabelRecord:
    doc_id: str
    start: int
    end: int
    label: str
    annotator: str
    source: str  # file:line the record came from, for error messages
    sha1: str | None = None
    guideline: str | None = None
    note: str | None = None

    @property
    def key(self) -> tuple[str, int, int]:
        return (self.doc_id, self.start, self.end)


def _require(record: dict, name: str, kind: type, path: Path, line: int):
    if name not in record:
        raise GovtagError(f"{where(path, line, name)} is missing")
    value = record[name]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise GovtagError(f"{where(path, line, name)} must be {kind.__name__}, got {value!r}")
    return value


def _read_jsonl(path: Path) -> Iterable[tuple[int, dict]]:
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise GovtagError(f"{path}: cannot read as UTF-8 JSONL ({e})") from None
    for line_no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            raise GovtagError(f"{where(path, line_no)}: invalid JSON ({e.msg})") from None
        if not isinstance(record, dict):
            raise GovtagError(f"{where(path, line_no)}: expected a JSON object")
        yield line_no, record


def read_label_file(path: str | Path, docs: dict[str, Document] | None = None) -> list[LabelRecord]:
    """Read and validate a standoff label file; with ``docs``, also check spans against the text."""
    path = Path(path)
    records = []
    for line_no, r in _read_jsonl(path):
        doc_id = _require(r, "doc_id", str, path, line_no)
        start = _require(r, "start", int, path, line_no)
        end = _require(r, "end", int, path, line_no)
        label = _require(r, "label", str, path, line_no)
        annotator = _require(r, "annotator", str, path, line_no)
        if label not in LABELS:
            raise GovtagError(f"{where(path, line_no, 'label')}: unknown label {label!r} (expected one of {', '.join(LABELS)})")
        if docs is not None:
            doc = docs.get(doc_id)
            if doc is None:
                raise GovtagError(f"{where(path, line_no, 'doc_id')}: no document {doc_id!r} in the corpus")
            if not 0 <= start < end <= len(doc.text):
                raise GovtagError(f"{where(path, line_no, 'end' if end > len(doc.text) else 'start')}: span {start}:{end} is outside {doc_id} (length {len(doc.text)})")
            if "sha1" in r and r["sha1"] != span_hash(doc.text[start:end]):
                raise GovtagError(f"{where(path, line_no, 'sha1')}: text at {doc_id}[{start}:{end}] no longer matches the annotation (corpus changed?)")
        records.append(LabelRecord(doc_id, start, end, label, annotator, f"{path}:{line_no}",
                                   r.get("sha1"), r.get("guideline"), r.get("note")))
    return records


def read_label_dir(directory: Path, docs: dict[str, Document] | None = None) -> dict[str, list[LabelRecord]]:
    """Every ``*.jsonl`` in a folder, by file stem (one stem per annotation pass)."""
    return {p.stem: read_label_file(p, docs) for p in sorted(directory.glob("*.jsonl"))}


def passes_by_unit(files: dict[str, list[LabelRecord]]) -> dict[tuple[str, int, int], list[LabelRecord]]:
    """Each unit's records from the annotation passes (file order), adjudication left out."""
    by_unit: dict[tuple, list[LabelRecord]] = defaultdict(list)
    for name, records in sorted(files.items()):
        if name != ADJUDICATION:
            for r in records:
                by_unit[r.key].append(r)
    return by_unit


def resolve_gold(files: dict[str, list[LabelRecord]]) -> dict[tuple[str, int, int], LabelRecord]:
    """One gold record per unit: the adjudication where there is one, else the agreed label.

    Disagreeing passes without an adjudication are an error: gold must be decided, not averaged.
    """
    adjudicated = {r.key: r for r in files.get(ADJUDICATION, [])}
    gold = {}
    for key, records in passes_by_unit(files).items():
        if key in adjudicated:
            gold[key] = adjudicated[key]
        elif len({r.label for r in records}) == 1:
            gold[key] = records[0]
        else:
            sources = ", ".join(f"{r.label} ({r.source})" for r in records)
            raise GovtagError(f"unit {key[0]}[{key[1]}:{key[2]}] has disagreeing labels and no adjudication: {sources}")
    return gold


def load_gold(docs: dict[str, Document], directory: Path = GOLD_DIR) -> dict[tuple[str, int, int], LabelRecord]:
    return resolve_gold(read_label_dir(directory, docs))


def load_silver(docs: dict[str, Document], directory: Path = SILVER_DIR) -> dict[tuple[str, int, int], LabelRecord]:
    return {r.key: r for records in read_label_dir(directory, docs).values() for r in records}


def unit_rows(doc: Document, units: list[Unit], labels: dict[tuple, LabelRecord], source: str) -> list[dict]:
    """Dataset rows of one document; units without a label keep ``label=None`` as context."""
    rows = []
    for u in units:
        record = labels.get((doc.doc_id, u.start, u.end))
        rows.append({
            "doc_id": doc.doc_id, "genre": doc.genre, "year": doc.year, "index": u.index,
            "start": u.start, "end": u.end, "text": u.text, "kind": u.kind, "section": list(u.section),
            "prev_text": units[u.index - 1].text if u.index > 0 else "",
            "next_text": units[u.index + 1].text if u.index + 1 < len(units) else "",
            "label": record.label if record else None,
            "label_source": source if record else None,
            "annotator": record.annotator if record else None,
        })
    return rows


def build_rows(docs: dict[str, Document], labels: dict[tuple, LabelRecord], source: str) -> list[dict]:
    """Rows for every document that has at least one label, checking each label hits a unit."""
    by_doc: dict[str, set] = defaultdict(set)
    for key in labels:
        by_doc[key[0]].add(key)
    rows = []
    for doc_id in sorted(by_doc):
        doc = docs[doc_id]
        units = segment(doc.text, doc_id)
        unit_keys = {(doc_id, u.start, u.end) for u in units}
        stray = sorted(by_doc[doc_id] - unit_keys)
        if stray:
            r = labels[stray[0]]
            raise GovtagError(f"{r.source}: span {r.start}:{r.end} of {doc_id} is not a unit of the current segmenter "
                              f"({len(stray)} such labels; re-align the annotations)")
        rows.extend(unit_rows(doc, units, labels, source))
    return rows


def to_dataset(rows: list[dict]):
    """A ``datasets.Dataset`` with one row per unit (imported lazily: it is slow to import)."""
    import datasets

    return datasets.Dataset.from_list(rows)


def read_interchange(path: str | Path) -> list[dict]:
    """Load gold units in the interchange format into dataset rows (sections recovered from headings)."""
    path = Path(path)
    by_doc: dict[str, list[tuple[int, str, str | None]]] = {}
    for line_no, r in _read_jsonl(path):
        doc_id = _require(r, "doc_id", str, path, line_no)
        index = _require(r, "index", int, path, line_no)
        text = _require(r, "text", str, path, line_no)
        label = r.get("label")
        if label is not None and label not in LABELS:
            raise GovtagError(f"{where(path, line_no, 'label')}: unknown label {label!r} (expected one of {', '.join(LABELS)})")
        units = by_doc.setdefault(doc_id, [])
        if units and index <= units[-1][0]:
            raise GovtagError(f"{where(path, line_no, 'index')}: index {index} is not after {units[-1][0]}; lines of a document must be in reading order")
        units.append((index, text, label))
    if not by_doc:
        raise GovtagError(f"{path}: no units (empty file)")
    rows = []
    for doc_id, units in by_doc.items():
        texts = [t for _, t, _ in units]
        for i, ((index, text, label), (kind, section)) in enumerate(zip(units, sections_from_texts(texts))):
            rows.append({
                "doc_id": doc_id, "genre": "unknown", "year": None, "index": index, "start": None, "end": None,
                "text": text, "kind": kind, "section": list(section),
                "prev_text": texts[i - 1] if i > 0 else "", "next_text": texts[i + 1] if i + 1 < len(texts) else "",
                "label": label, "label_source": "gold" if label else None, "annotator": None,
            })
    return rows


def write_interchange(rows: Iterable[dict], path: str | Path) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            if r["label"] is not None:
                f.write(json.dumps({"doc_id": r["doc_id"], "index": r["index"], "text": r["text"], "label": r["label"]},
                                   ensure_ascii=False) + "\n")
