"""The rules labeller reads a report's parts and cues as the guideline does; its silver file is valid
standoff that the annotation reader accepts."""

from __future__ import annotations

import json

from govtag.annotations import read_label_file, span_hash
from govtag.corpus import Document
from govtag.labels import LABELS, guideline_version
from govtag.segment import segment
from govtag.training.silver import ANNOTATOR, SILVER_VERSION, label_rows, label_units, write_silver

# A rule-of-law report in the target genre's shape, built from the guideline's own examples.
FAZHI = """某市2024年法治政府建设年度报告
来源：某市司法局
2024年，在市委市政府的坚强领导下，我市深入学习贯彻习近平法治思想，法治政府建设取得显著成效。现将有关情况报告如下：
一、推进法治政府建设的主要举措和成效
（一）全面深化“放管服”改革
持续加强依申请公开答复工作。开展政策解读258次，办理人大代表建议66件，发放宣传品20余万份。
推行“一件事一次办”，企业平均跑动次数由3.3次降至1次。开展专项整治，着力减轻企业负担。
（二）严格规范公正文明执法
评查出2宗不合格案卷，涉事单位已完成整改。组织领导干部专题培训，有效提升了干部运用法治思维的能力。
二、党政主要负责人履行推进法治建设第一责任人职责情况
市政府主要负责人召开常务会议专题研究法治政府建设工作4次。
三、存在的不足
但也存在一些问题和不足：一是法治宣传形式较为单一；二是执法人员专业能力有待提升。
四、2025年工作计划
（一）持续加强依申请公开答复工作。
下一步，我们将进一步规范行政执法行为，力争行政复议纠错率降至5%以下。
某市人民政府
2025年1月20日
扫一扫在手机上查看当前页面
"""

# A work report whose problem paragraph closes the review without a heading of its own.
WORK_REPORT = """各位代表：
现在，我代表区人民政府，向大会报告政府工作，请予审议。
一、2024年工作回顾
（一）经济运行稳中向好。
全年地区生产总值增长6.2%，排名全市第二。
出台促进民营经济发展若干措施。
各位代表，这些成绩的取得，是全区人民团结奋斗的结果。
在看到成绩的同时，我们也清醒地认识到，发展中还存在一些问题和不足：
一是产业结构不够优化；
二是公共服务供给仍有短板。
对此，我们将采取有力措施，切实加以解决。
二、2025年工作安排
（一）持续加强依申请公开答复工作。
推进城市更新。
各位代表！
让我们在区委的坚强领导下，为建设现代化城区而努力奋斗！
"""


def _labelled(text: str, doc_id: str = "doc") -> dict[str, str]:
    units = segment(text, doc_id)
    return {u.text: label for u, label in zip(units, label_units(units))}


def test_fazhi_report_follows_the_guideline_examples():
    got = _labelled(FAZHI)
    expected = {
        "某市2024年法治政府建设年度报告": "other",
        "来源：某市司法局": "other",
        "2024年，在市委市政府的坚强领导下，我市深入学习贯彻习近平法治思想，法治政府建设取得显著成效。": "outcome",
        "现将有关情况报告如下：": "other",
        "一、推进法治政府建设的主要举措和成效": "other",
        "（一）全面深化“放管服”改革": "measure",
        "持续加强依申请公开答复工作。": "measure",
        "开展政策解读258次，办理人大代表建议66件，发放宣传品20余万份。": "measure",
        "推行“一件事一次办”，企业平均跑动次数由3.3次降至1次。": "outcome",
        "开展专项整治，着力减轻企业负担。": "measure",
        "评查出2宗不合格案卷，涉事单位已完成整改。": "outcome",
        "组织领导干部专题培训，有效提升了干部运用法治思维的能力。": "outcome",
        "二、党政主要负责人履行推进法治建设第一责任人职责情况": "other",
        "市政府主要负责人召开常务会议专题研究法治政府建设工作4次。": "measure",
        "三、存在的不足": "other",
        "但也存在一些问题和不足：": "shortcoming",
        "一是法治宣传形式较为单一；": "shortcoming",
        "二是执法人员专业能力有待提升。": "shortcoming",
        "四、2025年工作计划": "other",
        "（一）持续加强依申请公开答复工作。": "plan",
        "下一步，我们将进一步规范行政执法行为，力争行政复议纠错率降至5%以下。": "plan",
        "某市人民政府": "other",
        "2025年1月20日": "other",
        "扫一扫在手机上查看当前页面": "other",
    }
    assert {text: got[text] for text in expected} == expected


def test_in_text_problem_run_opens_and_closes_inside_the_review():
    got = _labelled(WORK_REPORT)
    expected = {
        "各位代表：": "other",
        "现在，我代表区人民政府，向大会报告政府工作，请予审议。": "other",
        "一、2024年工作回顾": "other",
        "（一）经济运行稳中向好。": "outcome",
        "全年地区生产总值增长6.2%，排名全市第二。": "outcome",
        "出台促进民营经济发展若干措施。": "measure",
        "各位代表，这些成绩的取得，是全区人民团结奋斗的结果。": "other",
        "在看到成绩的同时，我们也清醒地认识到，发展中还存在一些问题和不足：": "shortcoming",
        "一是产业结构不够优化；": "shortcoming",
        "二是公共服务供给仍有短板。": "shortcoming",
        "对此，我们将采取有力措施，切实加以解决。": "plan",
        "二、2025年工作安排": "other",
        "推进城市更新。": "plan",
        "各位代表！": "other",
        "让我们在区委的坚强领导下，为建设现代化城区而努力奋斗！": "other",
    }
    assert {text: got[text] for text in expected} == expected


def test_a_bare_imperative_is_read_in_its_section():
    fazhi, work = _labelled(FAZHI), _labelled(WORK_REPORT)
    assert fazhi["持续加强依申请公开答复工作。"] == "measure"  # under 主要举措
    assert fazhi["（一）持续加强依申请公开答复工作。"] == "plan"  # under 工作计划
    assert work["（一）持续加强依申请公开答复工作。"] == "plan"  # under 工作安排


def test_every_unit_gets_a_label_and_chrome_is_other():
    text = "打印本页\n" + FAZHI + "【关闭窗口】\n"
    units = segment(text, "doc")
    labels = label_units(units)
    assert len(labels) == len(units)
    assert set(labels) <= set(LABELS)
    assert [label for u, label in zip(units, labels) if u.kind == "chrome"] == ["other"] * 4
    assert label_units([]) == []


def _rows(doc_id: str, text: str) -> list[dict]:
    return [{**u.to_dict(), "label": None} for u in segment(text, doc_id)]


def test_label_rows_groups_interleaved_documents_by_index():
    a, b = _rows("a", FAZHI), _rows("b", WORK_REPORT)
    shuffled = sorted(a + b, key=lambda r: (-r["index"], r["doc_id"]))  # backwards, documents interleaved
    by_key = {(r["doc_id"], r["index"]): label for r, label in zip(shuffled, label_rows(shuffled))}
    assert [by_key[("a", r["index"])] for r in a] == label_units(segment(FAZHI, "a"))
    assert [by_key[("b", r["index"])] for r in b] == label_units(segment(WORK_REPORT, "b"))


def test_label_rows_needs_no_offsets():
    rows = [{k: v for k, v in r.items() if k not in ("start", "end", "level")} for r in _rows("a", FAZHI)]
    assert label_rows(rows) == label_units(segment(FAZHI, "a"))


def test_write_silver_round_trips_through_the_annotation_reader(tmp_path):
    docs = {d.doc_id: d for d in (Document("zz-work", WORK_REPORT), Document("aa-fazhi", FAZHI))}
    path = tmp_path / "silver" / "silver-rules.jsonl"
    n = write_silver(docs.values(), path)

    records = read_label_file(path, docs)  # validates labels, spans and sha1 against the texts
    assert n == len(records) == len(segment(FAZHI)) + len(segment(WORK_REPORT))
    assert [(r.doc_id, r.start) for r in records] == sorted((r.doc_id, r.start) for r in records)
    assert {r.annotator for r in records} == {ANNOTATOR} == {f"rules:govtag.training.silver@{SILVER_VERSION}"}
    assert {r.guideline for r in records} == {guideline_version()}
    for doc_id, doc in docs.items():
        units = segment(doc.text, doc_id)
        assert [(r.start, r.end, r.label) for r in records if r.doc_id == doc_id] == [
            (u.start, u.end, label) for u, label in zip(units, label_units(units))]
    first = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    assert set(first) == {"doc_id", "start", "end", "sha1", "label", "annotator", "guideline"}
    assert first["sha1"] == span_hash(docs["aa-fazhi"].text[first["start"]:first["end"]])
