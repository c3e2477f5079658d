"""Baselines follow the predictor protocol and learn what they should on toy data."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from govtag.errors import GovtagError
from govtag.eval.baselines import MajorityBaseline, RulesBaseline, TfidfBaseline
from govtag.labels import LABELS

REVIEW = ["一、2024年工作回顾"]
PLAN = ["二、2025年工作安排"]


def row(text: str, label: str | None = None, section: list[str] = REVIEW, doc_id: str = "doc") -> dict:
    return {"doc_id": doc_id, "genre": "gwr", "year": 2024, "index": 0, "start": 0, "end": len(text), "text": text,
            "kind": "text", "section": list(section), "prev_text": "", "next_text": "",
            "label": label, "label_source": "gold" if label else None, "annotator": None}


def assert_protocol(model, rows: list[dict]) -> np.ndarray:
    probs = model.predict_proba(rows)
    assert model.labels == LABELS
    assert probs.shape == (len(rows), len(LABELS))
    assert np.allclose(probs.sum(axis=1), 1)
    return probs


def test_majority_learns_the_most_frequent_gold_label():
    rows = [row("甲", "plan"), row("乙", "plan"), row("丙", "measure"), row("丁"), row("戊"), row("己")]
    model = MajorityBaseline().fit(rows)
    assert model.majority == "plan"  # unlabelled rows do not count
    probs = assert_protocol(model, [row("新")] * 3)
    assert np.allclose(probs[0], [1 / 3, 0, 0, 2 / 3, 0])


def test_majority_refuses_rows_without_gold():
    with pytest.raises(GovtagError, match="no gold labels"):
        MajorityBaseline().fit([row("甲")])
    with pytest.raises(GovtagError, match="not fitted"):
        MajorityBaseline().predict_proba([row("甲")])


TOY = {
    "plan": ["下一步将继续推进{}。", "明年将加快{}建设。", "我们将着力完善{}。"],
    "shortcoming": ["{}仍然存在不足。", "{}工作还有差距。", "{}依然薄弱。"],
    "outcome": ["{}增长百分之五。", "{}满意率达到九成。", "{}获评全国先进。"],
}
TOPICS = ["政务公开", "营商环境", "法治政府", "城市更新", "乡村振兴", "社会保障"]


def toy_rows(topics: list[str]) -> list[dict]:
    return [row(template.format(topic), label) for label, templates in TOY.items()
            for template in templates for topic in topics]


def test_tfidf_learns_a_separable_task():
    model = TfidfBaseline().fit(toy_rows(TOPICS[:4]))
    test = toy_rows(TOPICS[4:])
    probs = assert_protocol(model, test)
    predicted = [LABELS[i] for i in probs.argmax(axis=1)]
    assert predicted == [r["label"] for r in test]
    # Labels absent from training keep their columns, with zero probability.
    assert np.all(probs[:, [LABELS.index("measure"), LABELS.index("other")]] == 0)


def test_tfidf_with_section_tells_measure_from_plan_by_heading():
    # The spec's example: the same bare imperative is a measure under a review heading and a plan
    # under a plan heading. Only the section can decide it.
    texts = ["持续加强依申请公开答复工作。", "深化放管服改革。", "推进数字政府建设。", "完善公共法律服务体系。"]
    train = [row(t, "measure", REVIEW) for t in texts] + [row(t, "plan", PLAN) for t in texts]
    probe = [row("优化营商环境。", section=REVIEW), row("优化营商环境。", section=PLAN)]
    with_section = TfidfBaseline(with_section=True).fit(train)
    assert [LABELS[i] for i in assert_protocol(with_section, probe).argmax(axis=1)] == ["measure", "plan"]
    text_only = TfidfBaseline(with_section=False).fit(train).predict_proba(probe)
    assert np.allclose(text_only[0], text_only[1])


def test_tfidf_refuses_unknown_labels_and_single_class():
    with pytest.raises(GovtagError, match=r"'target' \(1 unit\)"):
        TfidfBaseline().fit([row("甲", "plan"), row("乙", "target")])
    with pytest.raises(GovtagError, match="at least two labels"):
        TfidfBaseline().fit([row("甲", "plan"), row("乙", "plan")])


def test_rules_baseline_returns_one_hot_from_the_labeller():
    def stand_in(rows):
        return ["plan" if "将" in r["text"] else "measure" for r in rows]

    rows = [row("我们将继续推进。"), row("开展专项整治。")]
    probs = assert_protocol(RulesBaseline(stand_in).fit([]), rows)
    assert probs.tolist() == [[0, 0, 0, 1, 0], [1, 0, 0, 0, 0]]


def test_rules_baseline_checks_the_labeller_output():
    with pytest.raises(GovtagError, match="1 labels for 2 rows"):
        RulesBaseline(lambda rows: ["plan"]).predict_proba([row("甲"), row("乙")])
    with pytest.raises(GovtagError, match="'target'"):
        RulesBaseline(lambda rows: ["target"] * len(rows)).predict_proba([row("甲")])


def test_rules_baseline_without_silver_labeller(monkeypatch):
    monkeypatch.setitem(sys.modules, "govtag.training.silver", None)  # makes the import fail
    with pytest.raises(GovtagError, match="govtag.training.silver.label_rows is not available"):
        RulesBaseline().predict_proba([row("甲")])
