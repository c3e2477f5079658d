"""The tagging library: ``from govtag import Tagger``.

    tagger = Tagger.from_pretrained("runs/default/model")   # or an ONNX export
    report = tagger.tag(text)                                # segment, find sections, tag
    for unit in report.units:
        print(unit.label, unit.score, unit.text)
    tagger.summarize(report)                                 # counts, shortcomings, plans

A model folder holding ``model.safetensors`` runs on PyTorch; one written by ``govtag export``
(``model.onnx``) runs on ONNX Runtime. Both give label names, never indices.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from .corpus import Document, load_document
from .segment import Unit, normalize, sections_from_texts, segment

logger = logging.getLogger(__name__)

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
READ_FIRST = ("shortcoming", "plan")  # what a policy researcher reads first


@dataclass
class TaggedUnit:
    """One unit: where it is (``text[start:end]`` of the input), what it says, and its label."""

    index: int
    start: int
    end: int
    text: str
    kind: str  # "text", "heading" or "chrome" (page residue)
    section: list[str]
    label: str
    score: float  # calibrated probability of ``label``
    probs: dict[str, float]  # every label's probability

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class TaggedReport:
    """A tagged report: its text and its units in reading order."""

    doc_id: str
    text: str
    units: list[TaggedUnit]
    path: str = ""  # the file it was read from, if any

    def to_dict(self) -> dict:
        return {"doc_id": self.doc_id, "path": self.path, "text": self.text, "units": [u.to_dict() for u in self.units]}


class Tagger:
    """Tags the units of reports with a trained model folder (PyTorch or ONNX).

    Outputs are deterministic, and one Tagger may be shared by several threads."""

    def __init__(self, model, batch_size: int = 32, units_per_chunk: int = 2048):
        self.model = model  # a govtag.model.modeling.WindowedTagger
        self.batch_size = batch_size
        self.units_per_chunk = units_per_chunk  # tag_documents holds at most about this many units

    @classmethod
    def from_pretrained(cls, path: str | Path, device: str | None = None, threads: int | None = None,
                        batch_size: int = 32) -> "Tagger":
        """Load a model folder. ``device``: "cpu", "cuda" or None (CUDA when present, else CPU);
        ``threads``: CPU threads for inference (for PyTorch this sets the process-wide count)."""
        import torch

        from .model.modeling import load_tagger

        device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        return cls(load_tagger(path, device, threads), batch_size)

    @property
    def labels(self) -> tuple[str, ...]:
        return self.model.labels

    def tag(self, text: str, doc_id: str = "doc") -> TaggedReport:
        """Segment a whole report, find its sections and tag every unit. Empty text → no units."""
        return self._tag_many([(doc_id, "", text)])[0]

    def tag_units(self, texts: list[str], doc_id: str = "doc") -> list[TaggedUnit]:
        """Tag units that are already split (one document, in reading order). Headings among them
        open sections as they would in a report; offsets are positions in ``"".join(texts)``."""
        units, offset = [], 0
        for i, (raw, (kind, section)) in enumerate(zip(texts, sections_from_texts(texts))):
            units.append(Unit(doc_id, i, offset, offset + len(raw), normalize(raw), kind, section=section))
            offset += len(raw)
        self._warn_if_not_chinese(doc_id, "".join(texts))
        return self._label(units)

    def tag_documents(self, documents: Iterable[str | Path | Document]) -> Iterator[TaggedReport]:
        """Tag many reports (file paths or Documents) lazily, in order: files are read as they are
        needed and units are batched across reports, so memory stays bounded for any number."""
        pending: list[tuple[str, str, str]] = []
        size = 0
        for item in documents:
            doc = item if isinstance(item, Document) else load_document(item)
            pending.append((doc.doc_id, doc.path, doc.text))
            size += len(doc.text) // 40 + 1  # about 40 characters a unit; exact counts come from segmenting
            if size >= self.units_per_chunk:
                yield from self._tag_many(pending)
                pending, size = [], 0
        if pending:
            yield from self._tag_many(pending)

    def summarize(self, report: TaggedReport) -> dict:
        """Counts per label and every shortcoming and plan with its section, in reading order."""
        counts = Counter(u.label for u in report.units)
        summary = {"doc_id": report.doc_id, "units": len(report.units),
                   "counts": {label: counts.get(label, 0) for label in self.labels}}
        for label in READ_FIRST:
            summary[f"{label}s"] = [{"index": u.index, "text": u.text, "section": u.section, "score": u.score}
                                    for u in report.units if u.label == label]
        return summary

    def _tag_many(self, docs: list[tuple[str, str, str]]) -> list[TaggedReport]:
        """(doc_id, path, text) → reports, all units of all docs tagged in one pass."""
        units = []
        for doc_id, path, text in docs:
            self._warn_if_not_chinese(path or doc_id, text)
            units.append(segment(text, doc_id))
        tagged = iter(self._label([u for doc_units in units for u in doc_units]))
        return [TaggedReport(doc_id, text, [next(tagged) for _ in doc_units], path)
                for (doc_id, path, text), doc_units in zip(docs, units)]

    def _label(self, units: list[Unit]) -> list[TaggedUnit]:
        if not units:
            return []
        rows = [{"doc_id": u.doc_id, "index": u.index, "text": u.text, "section": list(u.section)} for u in units]
        probs = self.model.predict_proba(rows, self.batch_size)
        best = probs.argmax(axis=1)
        return [TaggedUnit(u.index, u.start, u.end, u.text, u.kind, list(u.section), self.labels[k], float(p[k]),
                           {label: float(v) for label, v in zip(self.labels, p)})
                for u, p, k in zip(units, probs.astype(np.float64).round(4), best)]

    @staticmethod
    def _warn_if_not_chinese(where: str, text: str) -> None:
        if text.strip() and not _CJK.search(text):
            logger.warning("%s: no Chinese characters; the tagger was trained on Chinese reports, "
                           "so its labels here mean little", where)
