"""Rows for training, early stopping and testing, assembled by report from the recorded splits.

Training rows carry gold labels where there are some and, optionally, silver labels elsewhere
(on sampled silver-only reports and on the unlabelled units of gold reports). Held-out rows carry
gold labels only. No training unit repeats the text of a held-out unit.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field

from ..annotations import SILVER_DIR, load_gold, load_silver, unit_rows
from ..corpus import Document, load_corpus
from ..dedup import unit_keys
from ..errors import GovtagError
from ..segment import segment
from ..splits import load_splits
from .config import TrainConfig

logger = logging.getLogger(__name__)


@dataclass
class TrainingData:
    train: list[dict]
    dev: list[dict]
    test: dict[str, list[dict]]  # name → rows
    notes: dict = field(default_factory=dict)  # counts for the log and the model card


CONTEXT_AROUND_GOLD = 8  # units kept on each side of a gold unit in partially labelled reports


def _rows(doc: Document, gold: dict, silver: dict | None, whole: bool = False) -> list[dict]:
    """Rows of a report. Of a partially labelled report only the neighbourhood of its gold units
    is kept (unless ``whole``); silver labels then fill the unlabelled units."""
    units = segment(doc.text, doc.doc_id)
    rows = unit_rows(doc, units, gold, "gold")
    if not whole:
        gold_at = [i for i, r in enumerate(rows) if r["label"] is not None]
        near = {j for i in gold_at for j in range(i - CONTEXT_AROUND_GOLD, i + CONTEXT_AROUND_GOLD + 1)}
        rows = [r for i, r in enumerate(rows) if i in near]
    if silver:
        for row in rows:
            record = silver.get((doc.doc_id, row["start"], row["end"]))
            if row["label"] is None and record is not None:
                row.update(label=record.label, label_source="silver", annotator=record.annotator)
    return rows


def load_training_data(cfg: TrainConfig, docs: dict[str, Document] | None = None) -> TrainingData:
    docs = docs or {d.doc_id: d for d in load_corpus()}
    splits = load_splits()
    gold = load_gold(docs)
    gold_docs = sorted({k[0] for k in gold})
    test_docs = set(cfg.test_docs or ())
    unknown = sorted(test_docs - set(gold_docs))
    if unknown:
        raise GovtagError(f"test_docs: no gold labels for {', '.join(unknown)}")

    def held_out(doc_id: str) -> bool:
        return doc_id in test_docs or splits.get(doc_id) not in cfg.train_splits

    silver = None
    silver_only: list[str] = []
    if cfg.silver_weight > 0 and (cfg.silver_docs != 0 or any(not held_out(d) for d in gold_docs)):
        if not any(SILVER_DIR.glob("*.jsonl")):
            raise GovtagError(f"{SILVER_DIR}: no silver labels (run `govtag data silver`, or set silver_weight=0)")
        silver = load_silver(docs)
        candidates = sorted({k[0] for k in silver} - set(gold_docs))
        candidates = [d for d in candidates if not held_out(d) and (docs[d].year or 0) >= cfg.silver_min_year]
        random.Random(cfg.seed).shuffle(candidates)
        silver_only = candidates if cfg.silver_docs < 0 else candidates[: cfg.silver_docs]

    def gold_rows_of(doc_ids) -> list[dict]:
        return [r for d in doc_ids for r in _rows(docs[d], gold, None)]

    def split_docs(split: str) -> list[str]:
        return [d for d in gold_docs if splits.get(d) == split and d not in test_docs]

    train_ids = [d for d in gold_docs if not held_out(d)] + sorted(silver_only)
    dev = gold_rows_of(split_docs(cfg.dev_split))
    test = {name: gold_rows_of(split_docs(name)) for name in cfg.test_splits}
    test.update({d: gold_rows_of([d]) for d in sorted(test_docs)})

    held_out_keys = unit_keys(r["text"] for rows in [dev, *test.values()] for r in rows)
    train, leaked = [], 0
    for d in train_ids:
        for r in _rows(docs[d], gold, silver, whole=d in silver_only):
            r["split"] = splits.get(d)  # for split_weights
            if r["label"] is not None and unit_keys([r["text"]]) & held_out_keys:
                r.update(label=None, label_source=None, annotator=None)  # kept as context, not learned
                leaked += 1
            train.append(r)
    if leaked:
        logger.info("%d training unit(s) repeat a held-out unit's text and were left unlabelled", leaked)
    notes = {
        "train_reports": len(train_ids), "silver_only_reports": len(silver_only),
        "train_gold_units": sum(r["label_source"] == "gold" for r in train),
        "train_silver_units": sum(r["label_source"] == "silver" for r in train),
        "dev_reports": len({r["doc_id"] for r in dev}), "dev_gold_units": sum(r["label"] is not None for r in dev),
        "units_unlabelled_for_leakage": leaked,
    }
    return TrainingData(train, dev, test, notes)
