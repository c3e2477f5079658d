"""The label set. `../shared/spec/labels.md` is the single source of truth; a test checks that
this tuple matches the table there, and `spec_labels()` reads it when the spec is present."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from .errors import GovtagError

LABELS: tuple[str, ...] = ("measure", "outcome", "shortcoming", "plan", "other")
LABEL2ID = {label: i for i, label in enumerate(LABELS)}
ID2LABEL = dict(enumerate(LABELS))

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SPEC = PROJECT_ROOT.parent / "shared" / "spec" / "labels.md"


def spec_labels(spec: Path = DEFAULT_SPEC) -> tuple[str, ...]:
    """Labels named in the spec's table (rows like ``| `measure` | 举措 | ... |``), in order."""
    try:
        text = spec.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise GovtagError(f"{spec}: label spec not found") from None
    labels = tuple(re.findall(r"^\|\s*`(\w+)`\s*\|", text, flags=re.M))
    if not labels:
        raise GovtagError(f"{spec}: no label table found")
    return labels


def guideline_version(spec: Path = DEFAULT_SPEC) -> str:
    """A short content hash that names the guideline version a label was made under."""
    return "labels.md@" + hashlib.sha256(spec.read_bytes()).hexdigest()[:12]
