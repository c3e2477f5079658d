"""govtag.stats: inter-annotator agreement and the data card numbers."""

from __future__ import annotations

import pytest
from sklearn.metrics import cohen_kappa_score

from govtag.annotations import LabelRecord
from govtag.labels import LABELS
from govtag.stats import agreement, format_stats


def rec(doc: str, i: int, label: str, annotator: str) -> LabelRecord:
    return LabelRecord(doc, i, i + 1, label, annotator, f"{annotator}.jsonl:{i + 1}")


def test_agreement_on_double_annotated_units():
    a = ["plan", "plan", "measure", "outcome", "other", "shortcoming"]
    b = ["plan", "plan", "outcome", "outcome", "other", "plan"]
    files = {
        "ann-A": [rec("fz-x", i, lab, "A") for i, lab in enumerate(a)] + [rec("gwr-y", 0, "plan", "A")],
        "ann-B": [rec("fz-x", i, lab, "B") for i, lab in enumerate(b)],
        "ann-C": [rec("gwr-y", 0, "plan", "C"), rec("gwr-z", 0, "other", "C")],  # gwr-z: single pass
        "adjudication": [rec("fz-x", 2, "outcome", "lead"), rec("fz-x", 5, "shortcoming", "lead")],
    }
    s = agreement(files)
    first = a + ["plan"]
    second = b + ["plan"]
    assert s["units"] == 7
    assert s["reports"] == 2
    assert s["genres"] == ["fz", "gwr"]
    assert s["raw_agreement"] == pytest.approx(5 / 7)
    assert s["kappa"] == pytest.approx(cohen_kappa_score(first, second, labels=list(LABELS)))
    assert s["confusion"] == {"measure→outcome": 1, "shortcoming→plan": 1}
    assert s["adjudicated"] == 2


def test_agreement_without_double_annotation():
    assert agreement({"ann-A": [rec("d", 0, "plan", "A")], "adjudication": [rec("d", 0, "plan", "lead")]}) == {"units": 0}


def test_project_gold_is_double_annotated_enough_with_high_kappa(gold_files):
    s = agreement(gold_files)
    assert s["units"] >= 600
    assert s["reports"] >= 2 and "fz" in s["genres"]
    assert 0.0 <= s["raw_agreement"] <= 1.0
    assert s["kappa"] >= 0.8
    assert s["adjudicated"] == len(gold_files["adjudication"])


def test_format_stats_shows_counts_and_agreement():
    stats = {
        "documents": {"fazhi": 5}, "units": 420, "gold_units": 12, "gold_reports": 2,
        "gold_labels": dict.fromkeys(LABELS, 0) | {"plan": 12},
        "gold_by_genre_split": {"fazhi/fazhi": {"reports": 2, **dict.fromkeys(LABELS, 0), "plan": 12}},
        "gold_annotators": {"ann-A": 12}, "guidelines": ["labels.md@x"],
        "agreement": {"units": 10, "reports": 1, "genres": ["fz"], "raw_agreement": 0.9, "kappa": 0.85,
                      "confusion": {"plan→other": 1}, "adjudicated": 1},
        "silver_units": 0, "silver_coverage": 0.0, "silver_labels": {}, "silver_annotators": [],
    }
    text = format_stats(stats)
    assert "gold units: 12 in 2 reports" in text
    assert "Cohen's kappa 0.850" in text and "raw agreement 0.900" in text
    assert "fazhi/fazhi" in text and "nobody yet" in text
    stats["agreement"] = {"units": 0}
    assert "kappa" not in format_stats(stats)
