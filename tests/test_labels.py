"""govtag.labels: the label set matches the spec, which is the single source of truth."""

from __future__ import annotations

import re

import pytest

from govtag.errors import GovtagError
from govtag.labels import ID2LABEL, LABEL2ID, LABELS, default_spec, guideline_version, spec_labels


def test_labels_equal_the_spec_table():
    assert default_spec().is_file()
    assert LABELS == spec_labels()
    assert spec_labels(default_spec().parent.parent / "spec" / "labels.md") == LABELS


def test_label_ids_are_consistent():
    assert len(set(LABELS)) == len(LABELS) == 5
    assert all(ID2LABEL[LABEL2ID[label]] == label for label in LABELS)
    assert list(ID2LABEL) == list(range(len(LABELS)))


def test_spec_labels_reads_table_rows_in_order(tmp_path):
    spec = tmp_path / "labels.md"
    spec.write_text("# x\n\n| label | zh |\n|---|---|\n| `b_label` | 乙 |\n|`a`|甲|\nnot `c` a row\n", encoding="utf-8")
    assert spec_labels(spec) == ("b_label", "a")


def test_spec_errors(tmp_path):
    with pytest.raises(GovtagError, match="label spec not found"):
        spec_labels(tmp_path / "missing.md")
    empty = tmp_path / "empty.md"
    empty.write_text("# no table here\n", encoding="utf-8")
    with pytest.raises(GovtagError, match="no label table found"):
        spec_labels(empty)


def test_guideline_version_is_a_content_hash(tmp_path):
    assert re.fullmatch(r"labels\.md@[0-9a-f]{12}", guideline_version())
    a, b = tmp_path / "a.md", tmp_path / "b.md"
    a.write_text("one", encoding="utf-8")
    b.write_text("two", encoding="utf-8")
    assert guideline_version(a) != guideline_version(b)
    assert guideline_version(a) == guideline_version(a)
