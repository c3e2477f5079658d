"""The harness on small hand-made documents: what it scores, what it refuses, what it writes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from govtag.errors import GovtagError
from govtag.eval.metrics import apply_temperature
from govtag.eval.report import evaluate, format_summary, write_report
from govtag.labels import LABELS


def make_rows(labels_by_doc: dict[str, list[str | None]]) -> list[dict]:
    """Rows shaped like ``govtag.annotations.unit_rows`` output, with made-up text."""
    rows = []
    for doc_id, labels in labels_by_doc.items():
        for i, label in enumerate(labels):
            rows.append({
                "doc_id": doc_id, "genre": "fazhi", "year": 2024, "index": i, "start": 10 * i, "end": 10 * i + 9,
                "text": f"{doc_id}第{i}句。", "kind": "text", "section": ["一、主要举措", f"（{i}）小节"],
                "prev_text": f"{doc_id}第{i - 1}句。" if i else "", "next_text": f"{doc_id}第{i + 1}句。",
                "label": label, "label_source": "gold" if label else None, "annotator": "ann-A" if label else None,
            })
    return rows


def one_hot(labels: list[str], confidence: float = 0.9) -> np.ndarray:
    probs = np.full((len(labels), len(LABELS)), (1 - confidence) / (len(LABELS) - 1))
    probs[np.arange(len(labels)), [LABELS.index(label) for label in labels]] = confidence
    return probs


@pytest.fixture
def scored():
    """Three reports, one unlabelled context row, and two known mistakes at different confidence."""
    rows = make_rows({
        "doc-a": ["measure", "outcome", None, "plan", "plan"],
        "doc-b": ["shortcoming", "plan", "other", "measure"],
        "doc-c": ["outcome", "outcome", "measure"],
    })
    predicted = [r["label"] or "other" for r in rows]
    predicted[3] = "measure"   # doc-a #3: gold plan
    predicted[9] = "plan"      # doc-c #0: gold outcome
    probs = one_hot(predicted)
    probs[9] = one_hot(["plan"], 0.99)[0]
    return rows, probs


def test_evaluate_scores_only_labelled_rows(scored):
    rows, probs = scored
    result = evaluate(rows, probs, LABELS)
    assert (result["n_rows"], result["n_units"], result["n_reports"]) == (12, 11, 3)
    assert result["scores"]["accuracy"] == pytest.approx(9 / 11)
    assert result["scores"]["confusion"]["matrix"][LABELS.index("plan")][LABELS.index("measure")] == 1
    b = result["bootstrap"]
    assert b["low"] <= b["macro_f1"] == result["scores"]["macro_f1"] <= b["high"]
    assert [g["group"] for g in result["per_report"]] == ["doc-a", "doc-b", "doc-c"]
    assert result["per_report"][1]["accuracy"] == 1.0
    json.dumps(result)  # plain JSON types only


def test_mistakes_are_most_confident_first_with_context(scored):
    rows, probs = scored
    mistakes = evaluate(rows, probs, LABELS)["mistakes"]
    assert [(m["doc_id"], m["index"], m["gold"], m["predicted"]) for m in mistakes] == [
        ("doc-c", 0, "outcome", "plan"), ("doc-a", 3, "plan", "measure")]
    first = mistakes[0]
    assert first["confidence"] == pytest.approx(0.99)
    assert first["section"] == ["一、主要举措", "（0）小节"]
    assert (first["prev_text"], first["text"]) == ("", "doc-c第0句。")


def test_mistakes_are_capped_at_twenty():
    rows = make_rows({"doc": ["plan"] * 30})
    assert len(evaluate(rows, one_hot(["measure"] * 30), LABELS)["mistakes"]) == 20


def test_temperature_adds_scaled_calibration(scored):
    rows, probs = scored
    logits = np.log(probs) + 3.0  # any per-row shift of log-probs is a valid set of logits
    with_logits = evaluate(rows, probs, LABELS, logits=logits, temperature=2.0)["calibration"]
    from_probs = evaluate(rows, probs, LABELS, temperature=2.0)["calibration"]
    assert with_logits["temperature"] == 2.0
    assert with_logits["scaled"]["ece"] == pytest.approx(from_probs["scaled"]["ece"])
    assert with_logits["scaled"]["ece"] != with_logits["ece"]
    keep = [i for i, r in enumerate(rows) if r["label"]]
    confidence = apply_temperature(logits[keep], 2.0).max(axis=1)
    bins = with_logits["scaled"]["bins"]
    assert sum(b["count"] * b["confidence"] for b in bins if b["count"]) == pytest.approx(confidence.sum())
    assert "scaled" not in evaluate(rows, probs, LABELS)["calibration"]


def test_unknown_gold_label_names_label_and_count():
    rows = make_rows({"doc": ["plan", "target", "target", "measure"]})
    with pytest.raises(GovtagError, match=r"'target' \(2 units\)"):
        evaluate(rows, one_hot(["plan"] * 4), LABELS)


def test_gold_label_outside_a_smaller_model_label_set():
    labels = ("measure", "plan")
    rows = make_rows({"doc": ["plan", "outcome", "measure"]})
    with pytest.raises(GovtagError, match=r"'outcome' \(1 unit\).*measure, plan"):
        evaluate(rows, np.full((3, 2), 0.5), labels)


def test_no_labelled_rows():
    rows = make_rows({"doc": [None, None]})
    with pytest.raises(GovtagError, match="no gold labels in the 2 rows of 1 documents"):
        evaluate(rows, one_hot(["plan", "plan"]), LABELS)


def test_probability_shape_must_match_rows(scored):
    rows, probs = scored
    with pytest.raises(ValueError, match="shape"):
        evaluate(rows, probs[:, :3], LABELS)


def test_write_report_creates_all_files(scored, tmp_path):
    rows, probs = scored
    result = evaluate(rows, probs, LABELS, temperature=1.5)
    paths = write_report(result, tmp_path / "out")
    assert sorted(p.name for p in paths) == ["confusion.png", "metrics.json", "reliability.png", "report.md"]
    assert all(p.stat().st_size > 0 for p in paths)
    assert json.loads((tmp_path / "out" / "metrics.json").read_text(encoding="utf-8")) == result
    for png in ("confusion.png", "reliability.png"):
        assert (tmp_path / "out" / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    md = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    for heading in ("## Summary", "## Per class", "## Confusion", "## Per report", "## Confidence interval",
                    "## Calibration", "most confident mistakes", "After temperature scaling"):
        assert heading in md
    assert "doc-c第0句。" in md


def test_format_summary_lists_every_label_and_macro_f1(scored):
    rows, probs = scored
    result = evaluate(rows, probs, LABELS)
    summary = format_summary(result)
    assert all(label in summary for label in LABELS)
    assert f"macro-F1 {result['scores']['macro_f1']:.3f}" in summary
    assert "95% CI" in summary and "accuracy" in summary
