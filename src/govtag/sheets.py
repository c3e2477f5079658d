"""Annotation sheets: how people (or annotator sessions) label units without touching offsets.

``govtag data sheet`` writes a TSV per document (index, kind, section, text); the annotator
returns ``index<TAB>label`` lines (or ``doc_id<TAB>index<TAB>label`` for a multi-document sheet);
``govtag data import-labels`` turns those into standoff records under ``data/annotations/``.
"""

from __future__ import annotations

import json
from pathlib import Path

from .annotations import span_hash
from .corpus import Document
from .errors import GovtagError, where
from .labels import LABELS, guideline_version
from .segment import Unit, segment


def write_sheet(path: Path, doc_units: list[tuple[str, list[Unit]]]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write("doc_id\tindex\tkind\tsection\ttext\n")
        for doc_id, units in doc_units:
            for u in units:
                section = " > ".join(s[:30] for s in u.section[-2:])
                f.write(f"{doc_id}\t{u.index}\t{u.kind}\t{section}\t{u.text}\n")


def read_label_sheet(path: Path, doc_id: str | None = None) -> list[tuple[str, int, str, int]]:
    """(doc_id, index, label, line) from a returned sheet; ``doc_id`` names the document of a
    two-column sheet (default: the file name without suffix)."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()  # -sig: sheets saved by Excel/Notepad
    except (OSError, UnicodeDecodeError) as e:
        raise GovtagError(f"{path}: cannot read as a UTF-8 sheet ({e})") from None
    rows = []
    for line_no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        cells = line.rstrip("\n").split("\t")
        if len(cells) == 2:
            cells = [doc_id or path.stem, *cells]
        if len(cells) != 3:
            raise GovtagError(f"{where(path, line_no)}: expected 'index<TAB>label' or 'doc_id<TAB>index<TAB>label'")
        d, index, label = (c.strip() for c in cells)
        if not index.isdecimal():  # isdigit() accepts '²', which int() rejects
            raise GovtagError(f"{where(path, line_no, 'index')}: not a number: {index!r}")
        if label not in LABELS:
            raise GovtagError(f"{where(path, line_no, 'label')}: unknown label {label!r} (expected one of {', '.join(LABELS)})")
        rows.append((d, int(index), label, line_no))
    return rows


def sheet_to_records(path: Path, docs: dict[str, Document], annotator: str, doc_id: str | None = None) -> list[dict]:
    """Standoff records for a returned sheet, checked against the current segmentation."""
    guideline = guideline_version()
    units_of: dict[str, list[Unit]] = {}
    records, seen = [], set()
    for d, index, label, line_no in read_label_sheet(path, doc_id):
        if d not in docs:
            raise GovtagError(f"{where(path, line_no, 'doc_id')}: no document {d!r} in the corpus")
        if d not in units_of:  # segment each document once, not once per sheet line
            units_of[d] = segment(docs[d].text, d)
        units = units_of[d]
        if index >= len(units):
            raise GovtagError(f"{where(path, line_no, 'index')}: {d} has only {len(units)} units")
        if (d, index) in seen:
            raise GovtagError(f"{where(path, line_no, 'index')}: unit {d}#{index} labelled twice")
        seen.add((d, index))
        u = units[index]
        records.append({"doc_id": d, "start": u.start, "end": u.end, "sha1": span_hash(docs[d].text[u.start:u.end]),
                        "label": label, "annotator": annotator, "guideline": guideline})
    return records


def write_records(records: list[dict], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    records = sorted(records, key=lambda r: (r["doc_id"], r["start"]))
    with open(path, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
