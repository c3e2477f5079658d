"""govtag.dedup: near-duplicate reports and comparable unit keys."""

from __future__ import annotations

from govtag.corpus import Document
from govtag.dedup import MIN_UNIT_CHARS, duplicate_clusters, near_duplicate_pairs, unit_keys


def half_copy_with_other_punctuation(text: str) -> str:
    half = text[: len(text) // 2]
    return half.translate(str.maketrans({"。": "；", "，": ",", "、": " ", "“": "\"", "”": "\"", "\n": "\n\n"}))


def test_a_half_copy_with_changed_punctuation_is_a_near_duplicate(corpus_docs):
    original = corpus_docs["fz-siping-2023"]
    copy = Document("zz-copy", half_copy_with_other_punctuation(original.text))
    assert copy.text != original.text[: len(copy.text)]
    unrelated = corpus_docs["gwr-national-1954"]
    pairs = near_duplicate_pairs([original, copy, unrelated])
    assert [(a, b) for a, b, _ in pairs] == [("fz-siping-2023", "zz-copy")]
    assert pairs[0][2] >= 0.9  # nearly all of the shorter report is in the longer one


def test_unrelated_reports_are_not_near_duplicates(corpus_docs):
    docs = [corpus_docs[d] for d in ("fz-yantai-2024", "fz-siping-2023", "gwr-national-1954", "gwr-national-2013")]
    assert near_duplicate_pairs(docs) == []


def test_threshold_and_order():
    base = "全市地区生产总值增长百分之五点二规模以上工业增加值增长百分之六点一社会消费品零售总额增长百分之七"
    a = Document("a", base * 3)
    b = Document("b", base * 3 + "完全不同的另外一段很长的内容用来稀释共同的部分" * 6)
    c = Document("c", "毫无关系的文字内容" * 20)
    pairs = near_duplicate_pairs([c, b, a])
    assert [(x, y) for x, y, _ in pairs] == [("a", "b")]
    assert pairs[0][2] == 1.0
    assert near_duplicate_pairs([a, b], threshold=1.01) == []


def test_short_and_empty_documents_do_not_pair():
    assert near_duplicate_pairs([Document("a", ""), Document("b", ""), Document("c", "短文。")]) == []


def test_duplicate_clusters_merge_transitively_to_the_smallest_id():
    ids = ["d", "b", "a", "c", "e", "f"]
    clusters = duplicate_clusters(ids, [("c", "d", 0.9), ("b", "d", 0.8), ("e", "f", 0.6)])
    assert clusters == {"a": "a", "b": "b", "c": "b", "d": "b", "e": "e", "f": "e"}
    chain = duplicate_clusters(list("wxyz"), [("y", "z", 1.0), ("x", "y", 1.0), ("w", "z", 1.0)])
    assert set(chain.values()) == {"w"}
    assert duplicate_clusters(["a", "b"], []) == {"a": "a", "b": "b"}


def test_unit_keys_ignore_spaces_final_punctuation_and_boilerplate():
    long = "全年完成固定资产投资一千亿元"
    assert len(long) >= MIN_UNIT_CHARS
    assert unit_keys([long + "。", long.replace("一千", "一 千") + "；", "各位代表：", "短句。"]) == {long}
    assert unit_keys([long + "！"]) & unit_keys([long + "?"])
    assert not unit_keys([long + "。"]) & unit_keys(["全年完成固定资产投资两千亿元。"])


def test_the_corpus_near_duplicates_are_consistent(corpus_dup_pairs, corpus_docs):
    for a, b, c in corpus_dup_pairs:
        assert a < b and a in corpus_docs and b in corpus_docs and 0.5 <= c <= 1.0
    assert corpus_dup_pairs == sorted(corpus_dup_pairs, key=lambda p: (-p[2], p[0], p[1]))
