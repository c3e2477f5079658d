"""Metrics against hand-computed values, scikit-learn, and synthetic data with a known answer."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import f1_score

from govtag.eval.metrics import (apply_temperature, bootstrap_macro_f1, classification_scores,
                                 expected_calibration_error, fit_temperature, per_group_scores, reliability_bins)
from govtag.labels import LABELS

L3 = ("a", "b", "c")


def test_perfect_predictions_score_one():
    y = ["measure", "plan", "plan", "outcome", "shortcoming", "other"]
    s = classification_scores(y, y, LABELS)
    assert s["macro_f1"] == 1.0
    assert s["accuracy"] == 1.0
    assert all(c["f1"] == 1.0 for c in s["per_class"].values())


def test_known_confusion_matrix_and_scores():
    y_true = ["a", "a", "a", "b", "b", "c"]
    y_pred = ["a", "a", "b", "b", "c", "c"]
    s = classification_scores(y_true, y_pred, L3)
    assert s["confusion"]["matrix"] == [[2, 1, 0], [0, 1, 1], [0, 0, 1]]
    assert s["accuracy"] == pytest.approx(4 / 6)
    a, b, c = (s["per_class"][k] for k in L3)
    assert (a["precision"], a["recall"], a["support"]) == (1.0, pytest.approx(2 / 3), 3)
    assert (b["precision"], b["recall"], b["f1"]) == (0.5, 0.5, 0.5)
    assert c["f1"] == pytest.approx(2 / 3)
    assert s["macro_f1"] == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)


def test_macro_f1_matches_scikit_learn_on_random_labels():
    rng = np.random.default_rng(3)
    y_true = list(rng.choice(LABELS, 300))
    y_pred = list(rng.choice(LABELS, 300))
    assert classification_scores(y_true, y_pred, LABELS)["macro_f1"] == pytest.approx(f1_score(y_true, y_pred, average="macro"))


def test_label_absent_from_gold_and_predictions_is_left_out_of_macro_f1():
    s = classification_scores(["a", "b"], ["a", "b"], L3)
    assert s["per_class"]["c"]["f1"] is None
    assert s["macro_f1"] == 1.0 and s["macro_f1_labels"] == ["a", "b"]


def test_unknown_label_is_rejected():
    with pytest.raises(ValueError, match="'z'"):
        classification_scores(["a", "z"], ["a", "a"], L3)


def _grouped_predictions(seed: int = 0, n_groups: int = 12):
    rng = np.random.default_rng(seed)
    y_true, y_pred, groups = [], [], []
    for g in range(n_groups):
        gold = rng.choice(L3, 30)
        noisy = rng.random(30) < 0.3
        y_true += list(gold)
        y_pred += [rng.choice(L3) if n else t for t, n in zip(gold, noisy)]
        groups += [f"doc{g}"] * 30
    return y_true, y_pred, groups


def test_bootstrap_ci_contains_point_and_is_deterministic():
    y_true, y_pred, groups = _grouped_predictions()
    ci = bootstrap_macro_f1(y_true, y_pred, groups, L3, n=500, seed=7)
    assert ci["macro_f1"] == pytest.approx(classification_scores(y_true, y_pred, L3)["macro_f1"])
    assert ci["low"] < ci["macro_f1"] < ci["high"]
    assert ci["n_groups"] == 12
    assert bootstrap_macro_f1(y_true, y_pred, groups, L3, n=500, seed=7) == ci
    assert bootstrap_macro_f1(y_true, y_pred, groups, L3, n=500, seed=8) != ci


def test_bootstrap_resamples_whole_groups():
    # Each report is all-right or all-wrong: resampling reports must spread the CI wide, and a
    # single report gives no spread at all.
    y_true = ["a", "b"] * 10
    y_pred = y_true[:10] + ["b", "a"] * 5
    groups = ["good"] * 10 + ["bad"] * 10
    ci = bootstrap_macro_f1(y_true, y_pred, groups, L3, n=400)
    assert ci["low"] == 0.0 and ci["high"] == 1.0
    one = bootstrap_macro_f1(y_true[:10], y_pred[:10], groups[:10], L3, n=50)
    assert one["low"] == one["high"] == 1.0


def test_per_group_scores_use_labels_present_in_gold():
    y_true = ["a", "a", "a", "a", "b", "c"]
    y_pred = ["a", "a", "a", "b", "b", "b"]
    table = per_group_scores(y_true, y_pred, ["r1"] * 4 + ["r2"] * 2, L3)
    assert [g["group"] for g in table] == ["r1", "r2"]
    r1, r2 = table
    assert r1["n"] == 4 and r1["accuracy"] == 0.75 and r1["labels_present"] == ["a"]
    assert r1["macro_f1"] == pytest.approx(2 * 3 / (4 + 3))  # only "a": the stray "b" costs recall
    assert r2["labels_present"] == ["b", "c"]
    assert r2["macro_f1"] == pytest.approx((2 / 3 + 0.0) / 2)


def _calibrated(n: int, k: int = 5, seed: int = 0):
    """Probabilities whose top-1 confidence is exactly the chance that the top class is right."""
    rng = np.random.default_rng(seed)
    confidence = rng.uniform(1 / k + 0.01, 1.0, n)
    top = rng.integers(0, k, n)
    probs = np.repeat(((1 - confidence) / (k - 1))[:, None], k, axis=1)
    probs[np.arange(n), top] = confidence
    right = rng.random(n) < confidence
    other = (top + rng.integers(1, k, n)) % k
    return probs, np.where(right, top, other)


def test_ece_of_calibrated_data_is_near_zero():
    probs, y = _calibrated(100_000)
    assert expected_calibration_error(probs, y) < 0.01


def test_ece_of_overconfident_predictions():
    probs = np.tile([1.0, 0.0, 0.0], (10, 1))
    y = np.array([0] * 5 + [1] * 5)
    assert expected_calibration_error(probs, y) == pytest.approx(0.5)
    bins = reliability_bins(probs, y, n_bins=10)
    assert len(bins) == 10 and sum(b["count"] for b in bins) == 10
    assert bins[-1] == {"lower": 0.9, "upper": 1.0, "count": 10, "confidence": 1.0, "accuracy": 0.5}
    assert bins[0]["confidence"] is None


def test_apply_temperature():
    logits = np.array([[2.0, 1.0, 0.0], [0.0, 0.0, 0.0]])
    p = apply_temperature(logits, 1.0)
    assert np.allclose(p.sum(axis=1), 1)
    assert np.allclose(p[0], np.exp([2, 1, 0]) / np.exp([2, 1, 0]).sum())
    assert np.allclose(apply_temperature(logits, 1e6)[0], 1 / 3, atol=1e-5)
    assert np.allclose(apply_temperature(1000 * logits, 1.0)[0], [1, 0, 0])  # no overflow
    with pytest.raises(ValueError):
        apply_temperature(logits, 0.0)


@pytest.mark.parametrize("true_t", [0.5, 2.0, 3.0])
def test_fit_temperature_recovers_known_temperature(true_t):
    rng = np.random.default_rng(1)
    logits = rng.normal(0, 3, (20_000, 5))
    p = apply_temperature(logits, true_t)
    y = (p.cumsum(axis=1) > rng.random((len(p), 1))).argmax(axis=1)  # y ~ softmax(logits / T)
    assert fit_temperature(logits, y) == pytest.approx(true_t, rel=0.1)
