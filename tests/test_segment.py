"""govtag.segment: units, offsets, headings, section paths, page chrome and normalisation."""

from __future__ import annotations

import pytest

from govtag.segment import (MAX_HEADING_CHARS, SPACE, Unit, normalize, sections_from_texts, segment)


def coverage_problems(text: str, units: list[Unit]) -> list[str]:
    """Everything that breaks the module's promise about ``units`` of ``text`` (empty when kept)."""
    problems = []
    covered = bytearray(len(text))
    prev_end = 0
    for i, u in enumerate(units):
        span = text[u.start:u.end]
        if u.index != i:
            problems.append(f"unit {i} has index {u.index}")
        if not prev_end <= u.start < u.end <= len(text):
            problems.append(f"unit {i} span {u.start}:{u.end} is out of order, overlapping or empty (previous end {prev_end})")
            continue
        if span[0] in SPACE or span[-1] in SPACE:
            problems.append(f"unit {i} span {span!r} has leading/trailing space")
        if u.text != normalize(span):
            problems.append(f"unit {i} text {u.text!r} != normalize(span) {normalize(span)!r}")
        if u.kind not in ("text", "heading", "chrome"):
            problems.append(f"unit {i} has kind {u.kind!r}")
        covered[u.start:u.end] = b"\x01" * (u.end - u.start)
        prev_end = u.end
    for pos, ch in enumerate(text):
        if ch not in SPACE and not covered[pos]:
            problems.append(f"character {ch!r} at {pos} ({text[max(0, pos - 10):pos + 10]!r}) lies in no unit")
            break
    return problems


def spans(text: str) -> list[str]:
    return [text[u.start:u.end] for u in segment(text)]


def by_span(text: str) -> dict[str, Unit]:
    return {text[u.start:u.end]: u for u in segment(text)}


# --- the acceptance criterion, on every corpus document ------------------------------------------

def test_every_corpus_document_is_covered_in_order_by_its_units(corpus_docs, corpus_units):
    assert len(corpus_docs) >= 200
    failures = {}
    for doc_id, doc in corpus_docs.items():
        problems = coverage_problems(doc.text, corpus_units[doc_id])
        if problems:
            failures[doc_id] = problems[:3]
    assert not failures, f"{len(failures)} document(s) break the coverage property: {dict(list(failures.items())[:5])}"


def test_every_corpus_document_has_units_carrying_its_doc_id(corpus_docs, corpus_units):
    empty = [d for d, doc in corpus_docs.items() if doc.text.strip(SPACE) and not corpus_units[d]]
    assert not empty
    assert all(u.doc_id == d for d, units in corpus_units.items() for u in units)


def test_corpus_headings_have_known_levels_and_others_none(corpus_units):
    for units in corpus_units.values():
        for u in units:
            if u.kind == "heading":
                assert u.level in (None, 0, 1, 2, 3, 4, 5), u
            else:
                assert u.level is None, u


def test_the_helper_detects_a_gap():
    """The property checker itself can fail: drop a unit and it must complain."""
    text = "甲乙丙。丁戊己。"
    units = segment(text)
    assert coverage_problems(text, units) == []
    assert coverage_problems(text, units[:1]) != []
    shifted = [Unit("doc", 0, 0, 5, normalize(text[0:5]), "text")]
    assert any("no unit" in p or "space" in p for p in coverage_problems(text, shifted))


def test_segment_is_deterministic(corpus_docs, corpus_units):
    doc = corpus_docs["fz-yantai-2024"]
    assert segment(doc.text, doc.doc_id) == corpus_units["fz-yantai-2024"]


# --- sentences and clauses ------------------------------------------------------------------------

def test_sentences_end_after_full_stop_exclamation_and_question_marks():
    assert spans("今年完成任务！明年怎么办？继续努力。") == ["今年完成任务！", "明年怎么办？", "继续努力。"]


def test_a_run_of_end_marks_stays_together():
    assert spans("真的吗？！是的。。好") == ["真的吗？！", "是的。。", "好"]


def test_closing_quotes_and_brackets_stay_with_their_sentence():
    assert spans("他说：“好。”然后走了。") == ["他说：“好。”", "然后走了。"]
    assert spans("（详见附件。）下文如下。") == ["（详见附件。）", "下文如下。"]
    assert spans("《关于加强监管的通知。》已印发。") == ["《关于加强监管的通知。》", "已印发。"]


def test_semicolons_end_clauses():
    assert spans("加强监管；优化服务;提升效能。") == ["加强监管；", "优化服务;", "提升效能。"]


def test_a_colon_ends_a_unit_only_before_an_enumeration():
    text = "但也存在一些问题：一是法治宣传形式单一；二是能力有待提升。"
    assert spans(text) == ["但也存在一些问题：", "一是法治宣传形式单一；", "二是能力有待提升。"]
    assert spans("主要任务：加强监管。") == ["主要任务：加强监管。"]
    assert spans("重点抓好：（一）稳增长。") == ["重点抓好：", "（一）稳增长。"]
    assert spans("措施如下：①加强监管。") == ["措施如下：", "①加强监管。"]
    assert spans("时间：2024年。") == ["时间：2024年。"]  # a year is not an enumeration


def test_line_breaks_end_units_and_spaces_are_left_out():
    text = "\u3000\u3000第一句话\r\n\n  第二句话。  \n\t"
    units = segment(text)
    assert [text[u.start:u.end] for u in units] == ["第一句话", "第二句话。"]
    assert coverage_problems(text, units) == []


@pytest.mark.parametrize("text", ["", "   ", "\n\n\u3000\n", "\ufeff\u200b"])
def test_empty_or_space_only_text_has_no_units(text):
    assert segment(text) == []


# --- headings and levels --------------------------------------------------------------------------

@pytest.mark.parametrize("line,level", [
    ("一、工作回顾", 1),
    ("第一部分 工作回顾", 1),
    ("（一）经济运行", 2),
    ("(二)社会事业", 2),
    ("1.教育发展", 3),
    ("2、卫生事业", 3),
    ("３．文化事业", 3),
    ("（1）医疗改革", 4),
    ("一是加强监管", 5),
    ("①加强监管", 5),
])
def test_numbered_heading_levels(line, level):
    units = segment(f"正文。\n{line}\n正文。")
    assert (units[1].kind, units[1].level) == ("heading", level)
    assert units[1].text == normalize(line)


def test_unnumbered_short_line_is_a_heading_level_0_after_body_text_and_a_title_before():
    text = "某市2024年政府工作报告\n各位代表：\n现将情况报告如下。\n主要工作回顾\n全年增长。"
    units = by_span(text)
    assert (units["某市2024年政府工作报告"].kind, units["某市2024年政府工作报告"].level) == ("heading", None)
    assert (units["主要工作回顾"].kind, units["主要工作回顾"].level) == ("heading", 0)
    assert units["各位代表："].kind == "text"  # ends with a colon
    assert units["全年增长。"].section == ("主要工作回顾",)  # the title before body text is kept out of paths
    assert units["现将情况报告如下。"].section == ()


def test_lines_that_are_not_unnumbered_headings():
    text = "正文。\n2025年1月20日\nABC DEF\n" + "很" * 31 + "\n短句结尾有逗号，"
    assert [u.kind for u in segment(text)] == ["text"] * 5


def test_a_long_numbered_first_sentence_is_body_text_not_a_heading():
    long = "一、2024年，全市上下坚持以习近平新时代中国特色社会主义思想为指导，深入贯彻落实党的二十大精神，经济社会发展取得新成效。"
    assert len(normalize(long)) > MAX_HEADING_CHARS
    units = segment(long + "其他工作稳步推进。\n下一段。")
    assert [u.kind for u in units] == ["text", "text", "text"]
    assert all(u.section == () for u in units)


def test_a_short_numbered_first_sentence_heads_the_rest_of_its_line():
    units = segment("（一）加强监管。全年检查100次。")
    assert [(u.kind, u.level) for u in units] == [("heading", 2), ("text", None)]
    assert units[1].section == ("（一）加强监管。",)


def test_a_numbered_line_without_end_punctuation_is_a_heading_up_to_60_chars():
    bare = "（一）" + "推进" * 22  # 47 characters: longer than a heading sentence, but a bare line
    too_long = "（二）" + "推进" * 30
    units = segment(f"正文。\n{bare}\n{too_long}")
    assert [(u.kind, u.level) for u in units] == [("text", None), ("heading", 2), ("text", None)]


def test_label_colon_lead_of_a_numbered_first_line_is_split_off_as_heading():
    units = segment("1、主要经济指标：全年增长5%。")
    assert [(u.text, u.kind, u.level) for u in units] == [("1、主要经济指标：", "heading", 3), ("全年增长5%。", "text", None)]
    assert units[1].section == ("1、主要经济指标：",)


@pytest.mark.xfail(strict=True, reason="segment bug, reported, not fixed: _LABEL_COLON is anchored with ^ and "
                   "matched with a pos argument, so the lead is split off only on the document's first line; "
                   "fixing it moves 1,549 corpus spans (48 gold labels)")
def test_label_colon_lead_is_split_off_on_any_line():
    units = segment("正文。\n1、主要经济指标：全年增长5%。")
    assert [u.text for u in units] == ["正文。", "1、主要经济指标：", "全年增长5%。"]


@pytest.mark.xfail(strict=True, reason="segment bug, reported, not fixed: Unicode spaces outside SPACE (U+2002, "
                   "U+2003, ...) are stripped by normalize() but not by the span logic, so a line of them becomes "
                   "a unit with empty text; adding them to SPACE changes spans")
def test_a_line_of_em_spaces_is_not_a_unit():
    units = segment("正文。\n\u2003\u2003\n下一行。")
    assert [u.text for u in units] == ["正文。", "下一行。"]


# --- section paths --------------------------------------------------------------------------------

NESTED = """一、工作回顾
（一）经济运行
经济增长5%。
(二)社会事业
1.教育发展
教育投入增加。
1、卫生事业
（1）医疗改革
改革深化。
二、存在问题
问题不少。
"""


def test_section_paths_nest_and_pop_on_same_or_higher_level():
    got = [(u.text, u.section) for u in segment(NESTED)]
    assert got == [
        ("一、工作回顾", ()),
        ("（一）经济运行", ("一、工作回顾",)),
        ("经济增长5%。", ("一、工作回顾", "（一）经济运行")),
        ("(二)社会事业", ("一、工作回顾",)),  # same level pops （一）
        ("1.教育发展", ("一、工作回顾", "(二)社会事业")),
        ("教育投入增加。", ("一、工作回顾", "(二)社会事业", "1.教育发展")),
        ("1、卫生事业", ("一、工作回顾", "(二)社会事业")),
        ("（1）医疗改革", ("一、工作回顾", "(二)社会事业", "1、卫生事业")),
        ("改革深化。", ("一、工作回顾", "(二)社会事业", "1、卫生事业", "（1）医疗改革")),
        ("二、存在问题", ()),  # higher level pops everything below
        ("问题不少。", ("二、存在问题",)),
    ]


def test_item_headings_scope_to_their_paragraph():
    text = "一、问题\n存在问题：一是宣传不够，表现在X。原因是Y。二是能力不足。\n下一段文字。"
    got = [(u.text, u.kind, u.level, u.section) for u in segment(text)]
    assert got == [
        ("一、问题", "heading", 1, ()),
        ("存在问题：", "text", None, ("一、问题",)),
        ("一是宣传不够，表现在X。", "heading", 5, ("一、问题",)),
        ("原因是Y。", "text", None, ("一、问题", "一是宣传不够，表现在X。")),
        ("二是能力不足。", "heading", 5, ("一、问题",)),  # the next item replaces the previous one
        ("下一段文字。", "text", None, ("一、问题",)),  # a new paragraph closes the items
    ]


def test_an_item_marker_on_a_line_of_its_own_is_an_item_not_an_unnumbered_heading():
    """Regression: 「一是」 alone on a line (Wikisource layout of gwr-national-2000) was taken for an
    unnumbered level-0 heading, which closed every open section."""
    text = "二、扩大内需\n一是\n发行国债。\n二是\n增加收入。"
    got = [(u.text, u.kind, u.level, u.section) for u in segment(text)]
    assert got == [
        ("二、扩大内需", "heading", 1, ()),
        ("一是", "heading", 5, ("二、扩大内需",)),
        ("发行国债。", "text", None, ("二、扩大内需",)),
        ("二是", "heading", 5, ("二、扩大内需",)),
        ("增加收入。", "text", None, ("二、扩大内需",)),
    ]


def test_chrome_and_text_do_not_open_sections():
    units = segment("一、回顾\n打印\n全年增长。")
    assert [(u.kind, u.section) for u in units] == [("heading", ()), ("chrome", ("一、回顾",)), ("text", ("一、回顾",))]


# --- page chrome ----------------------------------------------------------------------------------

@pytest.mark.parametrize("line", [
    "扫一扫在手机上查看当前页面", "字号:大 中 小", "字号：", "打印", "【打印】", "【关闭窗口】",
    "来源：市政府办公室", "浏览次数:123", "发布时间：2024-01-02", "当前位置：首页 > 政务公开",
])
def test_page_chrome_lines(line):
    text = f"正文。\n{line}\n正文。"
    units = segment(text)
    assert [u.kind for u in units] == ["text", "chrome", "text"]
    assert text[units[1].start:units[1].end] == line


def test_long_lines_starting_like_chrome_are_not_chrome():
    line = "来源：" + "本市各部门积极推进依法行政，" * 5
    assert segment(line)[0].kind != "chrome"
    assert segment("打印机采购项目已完成。")[0].kind == "text"


# --- normalisation --------------------------------------------------------------------------------

def test_normalize_folds_full_width_and_removes_stray_spaces():
    assert normalize("增长５％，达到１２３亿元，ＡＢＣａｂｃ，３．５－１＋２") == "增长5%，达到123亿元，ABCabc，3.5-1+2"
    assert normalize("规模以上 工业\u3000增加值") == "规模以上工业增加值"
    assert normalize("  PM2.5 与 GDP  的\t\t关系 ") == "PM2.5 与 GDP 的关系"
    assert normalize("零\u200b宽\ufeff字符\xa0x") == "零宽字符 x"


def test_unit_text_is_normalised_but_offsets_point_into_the_original():
    text = "\u3000\u3000全年增长５％，规模以上 工业增加值１２３亿元。"
    (unit,) = segment(text)
    assert text[unit.start:unit.end] == "全年增长５％，规模以上 工业增加值１２３亿元。"
    assert unit.text == "全年增长5%，规模以上工业增加值123亿元。"


def test_full_width_numbers_in_markers_are_headings():
    units = segment("正文。\n（１）医疗改革")
    assert (units[1].kind, units[1].level, units[1].text) == ("heading", 4, "（1）医疗改革")  # brackets are not folded


def test_unit_to_dict():
    u = segment("一、回顾\n全年增长。", "doc-x")[1]
    assert u.to_dict() == {"doc_id": "doc-x", "index": 1, "start": 5, "end": 10, "text": "全年增长。",
                           "kind": "text", "level": None, "section": ["一、回顾"]}


# --- pre-split units ------------------------------------------------------------------------------

def test_sections_from_texts_recovers_kinds_and_paths():
    texts = ["一、工作回顾", "（一）经济", "增长５%。", "（二）社会", "一是教育", "投入增加。", "二、问题", "问题多。"]
    assert sections_from_texts(texts) == [
        ("heading", ()),
        ("heading", ("一、工作回顾",)),
        ("text", ("一、工作回顾", "（一）经济")),
        ("heading", ("一、工作回顾",)),
        ("heading", ("一、工作回顾", "（二）社会")),
        ("text", ("一、工作回顾", "（二）社会", "一是教育")),
        ("heading", ()),
        ("text", ("二、问题",)),
    ]


def test_sections_from_texts_headings_follow_the_segmenter_rules():
    long = "一、2024年，全市上下坚持以习近平新时代中国特色社会主义思想为指导，深入贯彻落实党的二十大精神，取得新成效。"
    got = sections_from_texts(["主要工作回顾", long, "下一步工作：", "2025年1月20日"])
    assert got == [("heading", ()), ("text", ("主要工作回顾",)), ("text", ("主要工作回顾",)), ("text", ("主要工作回顾",))]
    assert sections_from_texts([]) == []


def test_sections_from_texts_agrees_with_segment_on_a_plain_report():
    units = segment(NESTED)
    assert sections_from_texts([u.text for u in units]) == [(u.kind, u.section) for u in units]
