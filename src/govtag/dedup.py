"""Near-duplicate reports and repeated units across the corpus.

Two reports are near-duplicates when most text of the shorter one also occurs in the longer one
(the same report collected twice, or a re-issued draft). They must fall on the same side of any
split; and no training unit may repeat a dev/test unit verbatim (shared opening paragraphs).
"""

from __future__ import annotations

import re
import zlib
from collections import Counter, defaultdict
from itertools import combinations

from .corpus import Document

MIN_UNIT_CHARS = 12  # shorter units (「各位代表：」) are boilerplate shared by every report
DUPLICATE_CONTAINMENT = 0.5
SHINGLE = 12


def unit_keys(texts) -> set[str]:
    """Comparable forms of units: normalised text without spaces and punctuation differences."""
    return {t.replace(" ", "").rstrip("。；;!！?？") for t in texts if len(t) >= MIN_UNIT_CHARS}


def _shingles(text: str) -> set[int]:
    """A 1-in-8 sample of the 12-character shingles of a text's Chinese characters and digits.

    Sampling by hash value keeps the same shingles in both copies of a text, so containment is
    still estimated without bias, at an eighth of the memory."""
    core = re.sub(r"[^\u4e00-\u9fff0-9]", "", text)
    hashes = (zlib.crc32(core[i:i + SHINGLE].encode()) for i in range(len(core) - SHINGLE + 1))
    return {h for h in hashes if h % 8 == 0}


def near_duplicate_pairs(docs: list[Document], threshold: float = DUPLICATE_CONTAINMENT) -> list[tuple[str, str, float]]:
    """(doc_a, doc_b, containment) for document pairs sharing at least ``threshold`` of the
    shorter document's shingles, sorted by containment, highest first."""
    shingles = {d.doc_id: _shingles(d.text) for d in docs}
    index: dict[int, list[str]] = defaultdict(list)
    for doc_id, hs in shingles.items():
        for h in hs:
            index[h].append(doc_id)
    shared: Counter = Counter()
    for doc_ids in index.values():
        shared.update(combinations(sorted(doc_ids), 2))
    pairs = []
    for (a, b), n in shared.items():
        containment = n / max(1, min(len(shingles[a]), len(shingles[b])))
        if containment >= threshold:
            pairs.append((a, b, round(containment, 3)))
    return sorted(pairs, key=lambda p: (-p[2], p[0], p[1]))


def duplicate_clusters(doc_ids: list[str], pairs: list[tuple[str, str, float]]) -> dict[str, str]:
    """Map each document to its cluster's representative (the smallest doc_id in the cluster)."""
    parent = {d: d for d in doc_ids}

    def find(d: str) -> str:
        while parent[d] != d:
            parent[d] = parent[parent[d]]
            d = parent[d]
        return d

    for a, b, _ in pairs:
        ra, rb = find(a), find(b)
        parent[max(ra, rb)] = min(ra, rb)
    return {d: find(d) for d in doc_ids}
