"""The evaluation harness: score a predictor's output on gold rows and write it up.

:func:`evaluate` turns rows plus a probability matrix into one JSON-ready dict; :func:`write_report`
renders that dict as ``metrics.json``, ``report.md``, ``confusion.png`` and ``reliability.png``;
:func:`format_summary` is the short table for the terminal. Only rows with a gold ``label`` are
scored; unlabelled rows are context the predictor saw, nothing more.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..errors import GovtagError
from .metrics import (apply_temperature, bootstrap_macro_f1, classification_scores, expected_calibration_error,
                      per_group_scores, reliability_bins)

N_MISTAKES = 20
N_BINS = 15
# Floor for log(probs) when no logits are given: one-hot predictors have exact zeros.
_LOG_FLOOR = 1e-12


def _check_matrix(name: str, matrix: np.ndarray, n_rows: int, labels: Sequence[str]) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=float)
    if matrix.shape != (n_rows, len(labels)):
        raise ValueError(f"{name} has shape {matrix.shape}, expected ({n_rows}, {len(labels)}) for {n_rows} rows and labels {list(labels)}")
    return matrix


def labelled_indices(rows: list[dict], labels: Sequence[str], what: str = "rows") -> np.ndarray:
    """Indices of the rows with gold labels, after checking the model knows every one of them.

    Shared by evaluation and baseline training so both refuse bad gold with the same message.
    """
    keep = np.array([i for i, r in enumerate(rows) if r["label"] is not None], dtype=np.int64)
    if not len(keep):
        n_docs = len({r["doc_id"] for r in rows})
        raise GovtagError(f"no gold labels in the {len(rows)} {what} of {n_docs} documents; labelled units are needed")
    unknown = Counter(rows[i]["label"] for i in keep if rows[i]["label"] not in labels)
    if unknown:
        named = ", ".join(f"{label!r} ({n} unit{'' if n == 1 else 's'})" for label, n in sorted(unknown.items()))
        raise GovtagError(f"gold labels the model does not know: {named}; the model's labels are {', '.join(labels)}")
    return keep


def _calibration(probs: np.ndarray, y_idx: np.ndarray) -> dict:
    return {"ece": expected_calibration_error(probs, y_idx, N_BINS), "bins": reliability_bins(probs, y_idx, N_BINS)}


def _mistakes(rows: list[dict], probs: np.ndarray, y_idx: np.ndarray, labels: Sequence[str]) -> list[dict]:
    """The most confident wrong predictions, with the context an annotator needs to judge them."""
    pred = probs.argmax(axis=1)
    confidence = probs.max(axis=1)
    wrong = np.flatnonzero(pred != y_idx)
    worst = wrong[np.argsort(-confidence[wrong], kind="stable")][:N_MISTAKES]
    return [{
        "doc_id": rows[i]["doc_id"], "index": rows[i]["index"], "section": list(rows[i]["section"]),
        "prev_text": rows[i]["prev_text"], "text": rows[i]["text"], "next_text": rows[i]["next_text"],
        "gold": labels[y_idx[i]], "predicted": labels[pred[i]], "confidence": float(confidence[i]),
    } for i in worst]


def evaluate(rows: list[dict], probs: np.ndarray, labels: Sequence[str], logits: np.ndarray | None = None,
             temperature: float | None = None) -> dict:
    """Score ``probs`` (one row per entry of ``rows``, columns in ``labels`` order) on the gold rows.

    ``temperature`` (fitted on *other* data, e.g. dev, never on the rows scored here) adds the
    calibration after temperature scaling. It rescales ``logits`` when given, else ``log(probs)``,
    which is the same thing up to a per-row constant that softmax ignores.
    """
    labels = tuple(labels)
    probs = _check_matrix("probs", probs, len(rows), labels)
    keep = labelled_indices(rows, labels)
    gold_rows = [rows[i] for i in keep]
    p = probs[keep]
    label_index = {label: i for i, label in enumerate(labels)}
    y_idx = np.array([label_index[r["label"]] for r in gold_rows])
    y_true = [r["label"] for r in gold_rows]
    y_pred = [labels[i] for i in p.argmax(axis=1)]
    groups = [r["doc_id"] for r in gold_rows]

    calibration = _calibration(p, y_idx)
    if temperature is not None:
        source = _check_matrix("logits", logits, len(rows), labels)[keep] if logits is not None \
            else np.log(np.maximum(p, _LOG_FLOOR))
        calibration["temperature"] = float(temperature)
        calibration["scaled"] = _calibration(apply_temperature(source, temperature), y_idx)

    return {
        "labels": list(labels),
        "n_rows": len(rows),
        "n_units": len(gold_rows),
        "n_reports": len(set(groups)),
        "scores": classification_scores(y_true, y_pred, labels),
        "bootstrap": bootstrap_macro_f1(y_true, y_pred, groups, labels),
        "per_report": per_group_scores(y_true, y_pred, groups, labels),
        "calibration": calibration,
        "mistakes": _mistakes(gold_rows, p, y_idx, labels),
    }


def _ci(result: dict) -> str:
    b = result["bootstrap"]
    return f"{b['level']:.0%} CI {b['low']:.3f}–{b['high']:.3f}, {b['n_groups']} reports"


def _f1_text(f1: float | None) -> str:
    return "n/a" if f1 is None else f"{f1:.3f}"


def format_summary(result: dict) -> str:
    """A compact terminal table: per-label P/R/F1/support, then macro-F1 with its CI and accuracy."""
    scores = result["scores"]
    lines = [f"{'label':<12} {'precision':>9} {'recall':>7} {'f1':>7} {'support':>8}"]
    for label, s in scores["per_class"].items():
        lines.append(f"{label:<12} {s['precision']:>9.3f} {s['recall']:>7.3f} {_f1_text(s['f1']):>7} {s['support']:>8}")
    lines.append(f"macro-F1 {scores['macro_f1']:.3f} ({_ci(result)})  accuracy {scores['accuracy']:.3f}  "
                 f"units {result['n_units']}")
    return "\n".join(lines)


def _md_table(header: Sequence[str], body: list[Sequence]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell).replace("|", "\\|") for cell in row) + " |" for row in body]
    return lines + [""]


def _md_calibration(name: str, calibration: dict) -> list[str]:
    body = [(f"{b['lower']:.2f}–{b['upper']:.2f}", b["count"], f"{b['confidence']:.3f}", f"{b['accuracy']:.3f}")
            for b in calibration["bins"] if b["count"]]
    return [f"{name}: ECE {calibration['ece']:.4f} ({N_BINS} equal-width bins of top-1 confidence).", ""] + \
        _md_table(("confidence bin", "units", "mean confidence", "accuracy"), body)


def _markdown(result: dict) -> str:
    scores, labels = result["scores"], result["labels"]
    lines = ["# Evaluation report", "", "## Summary", "",
             f"- units scored: {result['n_units']} (of {result['n_rows']} rows) in {result['n_reports']} reports",
             f"- accuracy: {scores['accuracy']:.3f}",
             f"- macro-F1: {scores['macro_f1']:.3f} ({_ci(result)}), over {', '.join(scores['macro_f1_labels'])}",
             f"- ECE: {result['calibration']['ece']:.4f}", "", "## Per class", ""]
    lines += _md_table(("label", "precision", "recall", "F1", "support", "predicted"),
                       [(label, f"{s['precision']:.3f}", f"{s['recall']:.3f}", _f1_text(s["f1"]), s["support"], s["predicted"])
                        for label, s in scores["per_class"].items()])
    lines += ["## Confusion (rows = gold, columns = predicted)", ""]
    lines += _md_table(["gold \\ predicted", *labels],
                       [(label, *row) for label, row in zip(labels, scores["confusion"]["matrix"])])
    lines += ["## Per report", "", "Macro-F1 here averages over the labels in each report's gold.", ""]
    lines += _md_table(("report", "units", "accuracy", "macro-F1", "gold labels"),
                       [(g["group"], g["n"], f"{g['accuracy']:.3f}", f"{g['macro_f1']:.3f}", ", ".join(g["labels_present"]))
                        for g in result["per_report"]])
    b = result["bootstrap"]
    lines += ["## Confidence interval", "",
              f"Macro-F1 {b['macro_f1']:.3f}, {b['level']:.0%} percentile bootstrap interval {b['low']:.3f}–{b['high']:.3f} "
              f"from {b['n_resamples']} resamples of the {b['n_groups']} reports (seed {b['seed']}).", "",
              "## Calibration", ""]
    calibration = result["calibration"]
    lines += _md_calibration("As predicted", calibration)
    if "scaled" in calibration:
        lines += _md_calibration(f"After temperature scaling (T = {calibration['temperature']:.3f})", calibration["scaled"])
    lines += [f"## {len(result['mistakes'])} most confident mistakes", ""]
    for m in result["mistakes"]:
        lines += [f"### {m['doc_id']} #{m['index']}: gold `{m['gold']}`, predicted `{m['predicted']}` ({m['confidence']:.3f})", "",
                  f"- section: {' > '.join(m['section']) or '(none)'}",
                  f"- before: {m['prev_text']}", f"- **unit: {m['text']}**", f"- after: {m['next_text']}", ""]
    return "\n".join(lines)


def _plot_confusion(result: dict, path: Path) -> None:
    """Cells coloured by row share (recall), annotated with counts, so rare labels stay readable."""
    from matplotlib.figure import Figure  # no pyplot: no global backend state, renders with Agg

    labels = result["labels"]
    matrix = np.array(result["scores"]["confusion"]["matrix"])
    share = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    fig = Figure(figsize=(1.2 * len(labels) + 2, 1.1 * len(labels) + 1.5))
    ax = fig.add_subplot()
    image = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    for (i, j), count in np.ndenumerate(matrix):
        ax.text(j, i, str(count), ha="center", va="center", color="white" if share[i, j] > 0.5 else "black")
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    ax.set_title(f"macro-F1 {result['scores']['macro_f1']:.3f}")
    fig.colorbar(image, ax=ax, label="share of gold row")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def _plot_reliability(result: dict, path: Path) -> None:
    from matplotlib.figure import Figure

    calibration = result["calibration"]
    fig = Figure(figsize=(5, 5))
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], linestyle=":", color="grey", label="perfect calibration")
    curves = [("as predicted", calibration)]
    if "scaled" in calibration:
        curves.append((f"T = {calibration['temperature']:.2f}", calibration["scaled"]))
    for name, c in curves:
        filled = [b for b in c["bins"] if b["count"]]
        ax.plot([b["confidence"] for b in filled], [b["accuracy"] for b in filled], marker="o",
                label=f"{name} (ECE {c['ece']:.3f})")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("confidence (top-1 probability)")
    ax.set_ylabel("accuracy")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def write_report(result: dict, out_dir: str | Path) -> list[Path]:
    """Write metrics.json, report.md, confusion.png and reliability.png into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "metrics.json", out / "report.md", out / "confusion.png", out / "reliability.png"]
    paths[0].write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    paths[1].write_text(_markdown(result), encoding="utf-8")
    _plot_confusion(result, paths[2])
    _plot_reliability(result, paths[3])
    return paths
