"""Scores, confidence intervals and calibration as pure functions on arrays and lists (no I/O).

Conventions, chosen so that a score never depends on which labels a subset happens to miss:

- A label's F1 is ``2·TP / (gold + predicted)``; it is *defined* when the label occurs in the gold
  or the predictions. Macro-F1 averages the defined F1s (as scikit-learn does without ``labels=``),
  so a bootstrap resample that draws no report with a rare label is not scored as a 0 on it.
- Per report, macro-F1 averages over the labels in that report's gold only: in a short report one
  stray prediction of a label the report lacks would otherwise cost a whole class. The stray unit
  still counts, as a recall miss of its gold label.

Everything returned is built from plain ``int``/``float``/``list``/``dict`` so it serialises to JSON.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

CI_LEVEL = 0.95


def _indices(values: Sequence[str], labels: Sequence[str], what: str) -> np.ndarray:
    index = {label: i for i, label in enumerate(labels)}
    unknown = sorted({v for v in values if v not in index})
    if unknown:
        raise ValueError(f"{what} has labels outside {list(labels)}: {unknown}")
    return np.array([index[v] for v in values], dtype=np.int64)


def _confusion(true_idx: np.ndarray, pred_idx: np.ndarray, n_labels: int) -> np.ndarray:
    """Counts with rows = gold, columns = predicted."""
    return np.bincount(true_idx * n_labels + pred_idx, minlength=n_labels * n_labels).reshape(n_labels, n_labels)


def _f1_per_label(confusion: np.ndarray) -> np.ndarray:
    """F1 of each label from confusion matrices of shape [..., L, L]; NaN where undefined."""
    tp = np.diagonal(confusion, axis1=-2, axis2=-1)
    denominator = confusion.sum(axis=-1) + confusion.sum(axis=-2)  # gold + predicted
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, 2 * tp / denominator, np.nan)


def _macro(f1: np.ndarray) -> np.ndarray | float:
    """Mean over the defined (non-NaN) labels of the last axis; 0.0 when none is defined."""
    defined = ~np.isnan(f1)
    total = np.where(defined, f1, 0.0).sum(axis=-1)
    count = defined.sum(axis=-1)
    return np.where(count > 0, total / np.maximum(count, 1), 0.0)


def classification_scores(y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str]) -> dict:
    """Accuracy, per-label precision/recall/F1/support, macro-F1 and the confusion matrix."""
    if len(y_true) != len(y_pred):
        raise ValueError(f"{len(y_true)} gold labels but {len(y_pred)} predictions")
    true_idx = _indices(y_true, labels, "y_true")
    pred_idx = _indices(y_pred, labels, "y_pred")
    confusion = _confusion(true_idx, pred_idx, len(labels))
    tp = np.diagonal(confusion)
    support = confusion.sum(axis=1)
    predicted = confusion.sum(axis=0)
    f1 = _f1_per_label(confusion)
    per_class = {
        label: {
            "precision": float(tp[i] / predicted[i]) if predicted[i] else 0.0,
            "recall": float(tp[i] / support[i]) if support[i] else 0.0,
            "f1": None if np.isnan(f1[i]) else float(f1[i]),
            "support": int(support[i]),
            "predicted": int(predicted[i]),
        }
        for i, label in enumerate(labels)
    }
    return {
        "n": len(y_true),
        "accuracy": float(tp.sum() / len(y_true)) if len(y_true) else 0.0,
        "macro_f1": float(_macro(f1)),
        "macro_f1_labels": [label for i, label in enumerate(labels) if not np.isnan(f1[i])],
        "per_class": per_class,
        "confusion": {"labels": list(labels), "matrix": confusion.tolist()},
    }


def bootstrap_macro_f1(y_true: Sequence[str], y_pred: Sequence[str], groups: Sequence[str],
                       labels: Sequence[str], n: int = 1000, seed: int = 0) -> dict:
    """Percentile 95% CI of macro-F1, resampling whole reports (``groups``) with replacement.

    Units of one report are not independent (same writer, same section layout), so resampling
    units would give too narrow an interval. Each resample's confusion matrix is the
    count-weighted sum of per-report matrices, which keeps 1000 resamples cheap.
    """
    if not len(y_true) == len(y_pred) == len(groups):
        raise ValueError(f"lengths differ: {len(y_true)} gold, {len(y_pred)} predicted, {len(groups)} groups")
    true_idx = _indices(y_true, labels, "y_true")
    pred_idx = _indices(y_pred, labels, "y_pred")
    group_names, group_idx = np.unique(np.asarray(groups, dtype=object), return_inverse=True)
    n_labels, n_groups = len(labels), len(group_names)
    cell = true_idx * n_labels + pred_idx
    per_group = np.zeros((n_groups, n_labels * n_labels), dtype=np.int64)
    np.add.at(per_group, (group_idx, cell), 1)
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(n_groups, np.full(n_groups, 1 / n_groups), size=n)  # [n, groups]: times drawn
    confusions = (draws @ per_group).reshape(n, n_labels, n_labels)
    samples = _macro(_f1_per_label(confusions))
    tail = (1 - CI_LEVEL) / 2 * 100
    low, high = np.percentile(samples, [tail, 100 - tail])
    point = _macro(_f1_per_label(per_group.sum(axis=0).reshape(n_labels, n_labels)))
    return {"macro_f1": float(point), "low": float(low), "high": float(high), "level": CI_LEVEL,
            "n_resamples": n, "n_groups": n_groups, "seed": seed}


def per_group_scores(y_true: Sequence[str], y_pred: Sequence[str], groups: Sequence[str],
                     labels: Sequence[str]) -> list[dict]:
    """One entry per report (sorted by name): units, accuracy, macro-F1 over the labels in its gold."""
    true_idx = _indices(y_true, labels, "y_true")
    pred_idx = _indices(y_pred, labels, "y_pred")
    groups_arr = np.asarray(groups, dtype=object)
    table = []
    for name in sorted(set(groups)):
        mask = groups_arr == name
        confusion = _confusion(true_idx[mask], pred_idx[mask], len(labels))
        present = confusion.sum(axis=1) > 0
        f1 = np.where(present, _f1_per_label(confusion), np.nan)
        table.append({
            "group": name,
            "n": int(mask.sum()),
            "accuracy": float(np.trace(confusion) / mask.sum()),
            "macro_f1": float(_macro(f1)),
            "labels_present": [label for label, p in zip(labels, present) if p],
        })
    return table


def reliability_bins(probs: np.ndarray, y_true_idx: Sequence[int], n_bins: int = 15) -> list[dict]:
    """Equal-width bins of top-1 confidence: mean confidence, accuracy and count in each.

    Bin ``i`` holds confidences in ``(i/n, (i+1)/n]`` (a confidence of 0 falls in the first);
    empty bins have ``None`` confidence and accuracy.
    """
    probs = np.asarray(probs, dtype=float)
    y = np.asarray(y_true_idx)
    if probs.ndim != 2 or len(probs) != len(y):
        raise ValueError(f"probs must be [n, labels] with n = {len(y)}, got shape {probs.shape}")
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == y
    which = np.clip(np.ceil(confidence * n_bins).astype(int) - 1, 0, n_bins - 1)
    bins = []
    for i in range(n_bins):
        mask = which == i
        count = int(mask.sum())
        bins.append({
            "lower": i / n_bins, "upper": (i + 1) / n_bins, "count": count,
            "confidence": float(confidence[mask].mean()) if count else None,
            "accuracy": float(correct[mask].mean()) if count else None,
        })
    return bins


def expected_calibration_error(probs: np.ndarray, y_true_idx: Sequence[int], n_bins: int = 15) -> float:
    """Count-weighted mean gap between accuracy and confidence over :func:`reliability_bins`."""
    bins = reliability_bins(probs, y_true_idx, n_bins)
    total = sum(b["count"] for b in bins)
    if not total:
        return 0.0
    return float(sum(b["count"] * abs(b["accuracy"] - b["confidence"]) for b in bins if b["count"]) / total)


def apply_temperature(logits: np.ndarray, temperature: float) -> np.ndarray:
    """``softmax(logits / T)`` row-wise, computed stably."""
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    z = np.asarray(logits, dtype=float) / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _nll(logits: np.ndarray, y: np.ndarray, temperature: float) -> float:
    z = logits / temperature
    m = z.max(axis=1, keepdims=True)
    log_norm = (m + np.log(np.exp(z - m).sum(axis=1, keepdims=True)))[:, 0]
    return float((log_norm - z[np.arange(len(y)), y]).mean())


def fit_temperature(logits: np.ndarray, y_true_idx: Sequence[int], bounds: tuple[float, float] = (0.05, 20.0)) -> float:
    """The temperature that minimises the NLL of ``softmax(logits / T)`` on held-out data.

    One scalar keeps the argmax (so accuracy and F1 are unchanged) and only fixes over- or
    under-confidence. The search is a bounded 1-D minimisation over ``log T``, where the NLL is
    smooth and well scaled. Log-probabilities work as logits too: softmax ignores the row shift.
    """
    from scipy.optimize import minimize_scalar  # scipy ships with scikit-learn; import only when used

    logits = np.asarray(logits, dtype=float)
    y = np.asarray(y_true_idx)
    if logits.ndim != 2 or len(logits) != len(y) or not len(y):
        raise ValueError(f"logits must be a non-empty [n, labels] array with n = {len(y)}, got shape {logits.shape}")
    result = minimize_scalar(lambda log_t: _nll(logits, y, float(np.exp(log_t))),
                             bounds=(np.log(bounds[0]), np.log(bounds[1])), method="bounded",
                             options={"xatol": 1e-4})
    return float(np.exp(result.x))
