"""Report-level splits: whole documents go to train, dev or test, never single units.

- ``fazhi`` reports (the target genre, five of them) form their own group: they are scored by
  leave-one-report-out and as a cross-genre test of models trained on work reports.
- Gold ``gwr`` reports are dealt into test/dev/train, stratified by how they were annotated
  (whole report vs. problem paragraphs) and by level, with a seeded shuffle.
- Every other ``gwr`` report is silver-only training material.
- Near-duplicate reports follow their cluster's representative, so no copy of a test report
  lands in training.
- Gold reports annotated after the splits were fixed (``later_gold`` in the file) train: adding
  gold never moves a report into or out of dev and test.
- Held-out reports whose targeted gold was completed later (``completed_later``) are dealt as the
  targeted reports they were when the splits were fixed, so completing them moves no report.

The assignment is recorded in ``data/splits.json`` before any model is tuned; a test checks that
the recorded file is what this code produces.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from pathlib import Path
from typing import Iterable, Iterator

from .corpus import SOURCE_ROOT, Document
from .errors import GovtagError

SPLITS_FILE = SOURCE_ROOT / "data" / "splits.json"
SPLITS = ("train", "dev", "test", "fazhi")
# Dealing order for each stratum: 2 test, 1 dev, 3 train in every 6 reports.
_PATTERN = ("test", "train", "dev", "train", "test", "train")
DEFAULT_SEED = 13


def make_splits(docs: list[Document], gold_kind: dict[str, str], clusters: dict[str, str] | None = None,
                seed: int = DEFAULT_SEED, later_gold: Iterable[str] = (),
                completed_later: Iterable[str] = ()) -> dict[str, str]:
    """doc_id → split. ``gold_kind`` maps gold documents to "full" or "targeted"; ``later_gold``
    names gold reports annotated after the splits were fixed, which go to train;
    ``completed_later`` names targeted reports whose gold was completed after that."""
    rng = random.Random(seed)
    later_gold = set(later_gold)
    gold_kind = gold_kind | {d: "targeted" for d in completed_later}
    strata: dict[tuple, list[Document]] = defaultdict(list)
    split: dict[str, str] = {}
    for d in docs:
        if d.genre == "fazhi":
            split[d.doc_id] = "fazhi"
        elif d.doc_id in gold_kind and d.doc_id not in later_gold:
            strata[(gold_kind[d.doc_id], d.level)].append(d)
        else:
            split[d.doc_id] = "train"
    dealt = 0
    for key in sorted(strata):
        members = sorted(strata[key], key=lambda d: d.doc_id)
        rng.shuffle(members)
        for d in members:
            split[d.doc_id] = _PATTERN[dealt % len(_PATTERN)]
            dealt += 1
    if clusters:
        # A document shares the split of its cluster's held-out member, if any.
        held_out = {clusters[d]: s for d, s in split.items() if s in ("test", "dev", "fazhi")}
        for d in split:
            if split[d] == "train" and clusters.get(d, d) in held_out:
                split[d] = held_out[clusters[d]]
    return dict(sorted(split.items()))


def save_splits(split: dict[str, str], path: Path = SPLITS_FILE, **info) -> None:
    """Write ``split`` and the fields in ``info``; other fields of an existing file (hand-written
    notes such as ``decided``) are kept."""
    try:
        kept = {k: v for k, v in _read_splits_file(path).items() if k != "splits"}
    except GovtagError:  # no file yet, or one that cannot be read: nothing to keep
        kept = {}
    data = {**kept, **info, "splits": split}
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def load_splits(path: Path = SPLITS_FILE) -> dict[str, str]:
    return _read_splits_file(path)["splits"]


def load_later_gold(path: Path = SPLITS_FILE) -> list[str]:
    """The gold reports annotated after the splits were fixed (they train)."""
    return _read_splits_file(path).get("later_gold", [])


def load_completed_later(path: Path = SPLITS_FILE) -> list[str]:
    """The targeted gold reports completed after the splits were fixed (they keep their split)."""
    return _read_splits_file(path).get("completed_later", [])


def _read_splits_file(path: Path) -> dict:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GovtagError(f"{path}: splits file not found (run `govtag data splits`)") from None
    except json.JSONDecodeError as e:
        raise GovtagError(f"{path}: invalid JSON ({e.msg})") from None
    if not isinstance(data, dict) or not isinstance(data.get("splits"), dict):
        raise GovtagError(f"{path}: field 'splits' is missing or not an object of doc_id → split")
    bad = {s for s in data["splits"].values() if s not in SPLITS}
    if bad:
        raise GovtagError(f"{path}: field 'splits' has unknown split names {sorted(bad)} (expected {SPLITS})")
    for name in ("later_gold", "completed_later"):
        ids = data.get(name, [])
        if not isinstance(ids, list) or not all(isinstance(d, str) for d in ids):
            raise GovtagError(f"{path}: field {name!r} must be a list of doc_ids")
    return data


def held_out_moves(recorded: dict[str, str], split: dict[str, str]) -> list[str]:
    """The reports that ``split`` would move into or out of dev, test or fazhi compared with the
    ``recorded`` splits, as "doc_id: old → new"."""
    held_out = ("dev", "test", "fazhi")
    return [f"{d}: {recorded[d]} → {s}" for d, s in sorted(split.items())
            if d in recorded and recorded[d] != s and (recorded[d] in held_out or s in held_out)]


def leave_one_report_out(doc_ids: list[str]) -> Iterator[tuple[list[str], str]]:
    """(training reports, held-out report) for each report in turn."""
    for held_out in doc_ids:
        yield [d for d in doc_ids if d != held_out], held_out


def gold_kinds(gold_keys, unit_counts: dict[str, int]) -> dict[str, str]:
    """"full" for documents whose every unit has a gold label, else "targeted"."""
    labelled: dict[str, int] = defaultdict(int)
    for doc_id, _, _ in gold_keys:
        labelled[doc_id] += 1
    return {d: "full" if n == unit_counts[d] else "targeted" for d, n in sorted(labelled.items())}
