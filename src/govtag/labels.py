"""The label set. `../shared/spec/labels.md` is the single source of truth; a test checks that
this tuple matches the table there, and `spec_labels()` reads it when the spec is present."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from .corpus import shared_dir
from .errors import GovtagError

LABELS: tuple[str, ...] = ("measure", "outcome", "shortcoming", "plan", "other")
LABEL2ID = {label: i for i, label in enumerate(LABELS)}
ID2LABEL = dict(enumerate(LABELS))



def default_spec() -> Path:
    return shared_dir() / "spec" / "labels.md"


def spec_labels(spec: Path | None = None) -> tuple[str, ...]:
    """Labels named in the spec's table (rows like ``| `measure` | 举措 | ... |``), in order."""
    spec = spec or default_spec()
    try:
        text = spec.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise GovtagError(f"{spec}: label spec not found") from None
    labels = tuple(re.findall(r"^\|\s*`(\w+)`\s*\|", text, flags=re.M))
    if not labels:
        raise GovtagError(f"{spec}: no label table found")
    return labels


def guideline_version(spec: Path | None = None) -> str:
    """A short content hash that names the guideline version a label was made under."""
    spec = spec or default_spec()
    return "labels.md@" + hashlib.sha256(spec.read_bytes()).hexdigest()[:12]
