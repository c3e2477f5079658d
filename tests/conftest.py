"""Shared, session-scoped views of the real project data: the corpus, its segmentation and the gold.

Each is computed once per test session (segmenting the whole corpus takes a few seconds).
Fixture names are prefixed (``corpus_``, ``gold_``) so that they do not shadow fixtures of the
test folders beside this one (tests/model, tests/training, tests/eval).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from govtag.annotations import GOLD_DIR, read_label_dir, resolve_gold
from govtag.corpus import Document, load_corpus
from govtag.dedup import near_duplicate_pairs
from govtag.segment import Unit, segment


@pytest.fixture(scope="session")
def corpus_docs() -> dict[str, Document]:
    """The shared corpus as ``doc_id → Document``, in metadata order."""
    return {d.doc_id: d for d in load_corpus()}


@pytest.fixture(scope="session")
def corpus_units(corpus_docs) -> dict[str, list[Unit]]:
    """``doc_id → segment(text)`` for every corpus document."""
    return {doc_id: segment(doc.text, doc_id) for doc_id, doc in corpus_docs.items()}


@pytest.fixture(scope="session")
def gold_files(corpus_docs) -> dict:
    """The gold annotation passes (``data/annotations/*.jsonl``) by file stem, checked against the corpus."""
    return read_label_dir(GOLD_DIR, corpus_docs)


@pytest.fixture(scope="session")
def gold_labels(gold_files) -> dict:
    """One resolved gold record per unit key ``(doc_id, start, end)``."""
    return resolve_gold(gold_files)


@pytest.fixture(scope="session")
def corpus_dup_pairs(corpus_docs) -> list[tuple[str, str, float]]:
    """Near-duplicate report pairs of the whole corpus at the default threshold."""
    return near_duplicate_pairs(list(corpus_docs.values()))


def _load_tiny_fixtures():
    """``tests/fixtures_tiny.py`` (a tiny real BERT and synthetic reports for tests/model and
    tests/training), loaded by path: under ``--import-mode=importlib`` tests/ is not a package."""
    name = "govtag_tests_fixtures_tiny"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("fixtures_tiny.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


_tiny = _load_tiny_fixtures()
tiny_base = _tiny.tiny_base
synthetic_rows = _tiny.synthetic_rows
make_synthetic = _tiny.make_synthetic
tiny_tagger = _tiny.tiny_tagger
_few_threads = _tiny._few_threads
_keep_torch_threads = _tiny._keep_torch_threads
