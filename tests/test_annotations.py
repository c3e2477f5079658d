"""govtag.annotations: standoff label files, gold resolution, dataset rows and the interchange format."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from govtag.annotations import (GOLD_DIR, LabelRecord, build_rows, load_gold, read_interchange, read_label_dir,
                                read_label_file, resolve_gold, span_hash, unit_rows, write_interchange)
from govtag.corpus import Document
from govtag.errors import GovtagError
from govtag.labels import LABELS
from govtag.segment import segment

TEXT = "一、工作回顾\n全年增长5%。开展培训20次。\n二、存在问题\n宣传不够。\n"
DOC = Document("doc-a", TEXT, genre="fazhi", year=2024)
OTHER = Document("doc-b", "下一步，我们将继续努力。\n", genre="gwr", year=2023)
DOCS = {DOC.doc_id: DOC, OTHER.doc_id: OTHER}
UNITS = segment(TEXT, "doc-a")


def record(unit_index: int = 1, label: str = "outcome", annotator: str = "ann-A", doc: Document = DOC, **extra) -> dict:
    u = segment(doc.text, doc.doc_id)[unit_index]
    r = {"doc_id": doc.doc_id, "start": u.start, "end": u.end, "sha1": span_hash(doc.text[u.start:u.end]),
         "label": label, "annotator": annotator, "guideline": "labels.md@test"}
    return {**r, **extra}


def write_jsonl(path: Path, lines: list) -> Path:
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x, ensure_ascii=False)) + "\n" for x in lines),
                    encoding="utf-8")
    return path


def label_record(key, label, annotator="ann-A", source="f:1") -> LabelRecord:
    return LabelRecord(key[0], key[1], key[2], label, annotator, source)


def test_the_synthetic_document_has_the_units_the_tests_assume():
    assert [u.text for u in UNITS] == ["一、工作回顾", "全年增长5%。", "开展培训20次。", "二、存在问题", "宣传不够。"]


# --- standoff label files -------------------------------------------------------------------------

def test_read_label_file(tmp_path):
    path = write_jsonl(tmp_path / "ann-A.jsonl", [record(1, "outcome", note="达 5%"), "", record(2, "measure")])
    records = read_label_file(path, DOCS)
    assert [(r.key, r.label, r.annotator) for r in records] == [
        (("doc-a", UNITS[1].start, UNITS[1].end), "outcome", "ann-A"),
        (("doc-a", UNITS[2].start, UNITS[2].end), "measure", "ann-A"),
    ]
    assert records[0].source == f"{path}:1" and records[1].source == f"{path}:3"  # blank line skipped, still counted
    assert (records[0].sha1, records[0].guideline, records[0].note) == (span_hash("全年增长5%。"), "labels.md@test", "达 5%")


def test_read_label_file_accepts_a_bom_and_no_docs(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text("\ufeff" + json.dumps({"doc_id": "anything", "start": 0, "end": 99999, "label": "plan",
                                            "annotator": "me"}) + "\n", encoding="utf-8")
    (r,) = read_label_file(path)  # without docs nothing is checked against a text
    assert (r.doc_id, r.end, r.sha1, r.guideline) == ("anything", 99999, None, None)


@pytest.mark.parametrize("bad,message", [
    ("{not json", r":2: invalid JSON"),
    ("[1, 2]", r":2: expected a JSON object"),
    ({k: v for k, v in record().items() if k != "label"}, r":2: field 'label' is missing"),
    ({k: v for k, v in record().items() if k != "annotator"}, r":2: field 'annotator' is missing"),
    (record(start="7"), r":2: field 'start' must be int, got '7'"),
    (record(end=14.0), r":2: field 'end' must be int"),
    (record(start=True), r":2: field 'start' must be int, got True"),
    (record(doc_id=5), r":2: field 'doc_id' must be str"),
    (record(label="result"), r":2: field 'label': unknown label 'result'"),
    (record(doc_id="doc-zzz"), r":2: field 'doc_id': no document 'doc-zzz' in the corpus"),
    (record(end=len(TEXT) + 1), r":2: field 'end': span \d+:\d+ is outside doc-a"),
    (record(start=-1), r":2: field 'start': span -1:\d+ is outside doc-a"),
    (record(start=14, end=14), r":2: field 'start': span 14:14 is outside doc-a"),
    (record(sha1="000000000000"), r":2: field 'sha1': text at doc-a\[7:14\] no longer matches"),
])
def test_read_label_file_errors_name_file_line_and_field(tmp_path, bad, message):
    path = write_jsonl(tmp_path / "ann-B.jsonl", [record(1), bad])
    with pytest.raises(GovtagError, match=message) as e:
        read_label_file(path, DOCS)
    assert str(e.value).startswith(f"{path}:2")


def test_unreadable_label_file_is_an_error(tmp_path):
    path = tmp_path / "bin.jsonl"
    path.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(GovtagError, match="cannot read as UTF-8 JSONL"):
        read_label_file(path)


def test_read_label_dir_reads_every_jsonl_by_stem(tmp_path):
    write_jsonl(tmp_path / "ann-A.jsonl", [record(1)])
    write_jsonl(tmp_path / "ann-B.jsonl", [record(1), record(2)])
    (tmp_path / "notes.txt").write_text("not labels")
    files = read_label_dir(tmp_path, DOCS)
    assert {k: len(v) for k, v in files.items()} == {"ann-A": 1, "ann-B": 2}


# --- gold resolution ------------------------------------------------------------------------------

K1, K2, K3 = ("d", 0, 5), ("d", 5, 9), ("d", 9, 12)


def test_resolve_gold_takes_agreed_labels_and_single_passes():
    gold = resolve_gold({"ann-A": [label_record(K1, "plan"), label_record(K2, "other")],
                         "ann-B": [label_record(K1, "plan", "ann-B")]})
    assert {k: r.label for k, r in gold.items()} == {K1: "plan", K2: "other"}


def test_resolve_gold_prefers_the_adjudication():
    gold = resolve_gold({"ann-A": [label_record(K1, "measure"), label_record(K2, "plan")],
                         "ann-B": [label_record(K1, "outcome", "ann-B"), label_record(K2, "plan", "ann-B")],
                         "adjudication": [label_record(K1, "outcome", "lead")]})
    assert gold[K1].label == "outcome" and gold[K1].annotator == "lead"
    assert gold[K2].label == "plan"


def test_resolve_gold_refuses_disagreement_without_adjudication():
    files = {"ann-A": [label_record(K3, "measure", source="a.jsonl:3")],
             "ann-B": [label_record(K3, "outcome", "ann-B", source="b.jsonl:7")],
             "adjudication": [label_record(K1, "plan")]}
    with pytest.raises(GovtagError, match=r"unit d\[9:12\] has disagreeing labels and no adjudication") as e:
        resolve_gold(files)
    assert "measure (a.jsonl:3)" in str(e.value) and "outcome (b.jsonl:7)" in str(e.value)


def test_load_gold_from_a_folder(tmp_path):
    write_jsonl(tmp_path / "ann-A.jsonl", [record(1, "measure"), record(2, "measure")])
    write_jsonl(tmp_path / "ann-B.jsonl", [record(1, "outcome", "ann-B")])
    write_jsonl(tmp_path / "adjudication.jsonl", [record(1, "outcome", "lead")])
    gold = load_gold(DOCS, tmp_path)
    assert sorted(r.label for r in gold.values()) == ["measure", "outcome"]


# --- dataset rows ---------------------------------------------------------------------------------

def test_build_rows_covers_labelled_documents_with_context():
    gold = {(r["doc_id"], r["start"], r["end"]): label_record((r["doc_id"], r["start"], r["end"]), r["label"])
            for r in [record(1, "outcome"), record(4, "shortcoming")]}
    rows = build_rows(DOCS, gold, "gold")
    assert [r["doc_id"] for r in rows] == ["doc-a"] * 5  # doc-b has no labels, so no rows
    assert [r["label"] for r in rows] == [None, "outcome", None, None, "shortcoming"]
    assert [r["label_source"] for r in rows] == [None, "gold", None, None, "gold"]
    r1 = rows[1]
    assert (r1["text"], r1["prev_text"], r1["next_text"]) == ("全年增长5%。", "一、工作回顾", "开展培训20次。")
    assert (r1["genre"], r1["year"], r1["kind"], r1["section"], r1["annotator"]) == ("fazhi", 2024, "text", ["一、工作回顾"], "ann-A")
    assert rows[0]["prev_text"] == "" and rows[-1]["next_text"] == ""
    assert rows[4]["section"] == ["二、存在问题"]
    assert [(r["start"], r["end"]) for r in rows] == [(u.start, u.end) for u in UNITS]


def test_build_rows_refuses_a_label_that_is_not_a_unit():
    stray = ("doc-a", UNITS[1].start, UNITS[2].end)  # two units glued together
    gold = {stray: label_record(stray, "outcome", source="ann-A.jsonl:4")}
    with pytest.raises(GovtagError, match=r"ann-A.jsonl:4: span 7:22 of doc-a is not a unit of the current segmenter"):
        build_rows(DOCS, gold, "gold")


def test_unit_rows_with_no_labels_keep_every_unit_as_context():
    rows = unit_rows(OTHER, segment(OTHER.text, OTHER.doc_id), {}, "silver")
    assert [(r["text"], r["label"], r["label_source"]) for r in rows] == [("下一步，我们将继续努力。", None, None)]


def test_to_dataset_keeps_rows():
    from govtag.annotations import to_dataset

    gold = {(DOC.doc_id, u.start, u.end): label_record((DOC.doc_id, u.start, u.end), "other") for u in UNITS}
    rows = build_rows(DOCS, gold, "gold")
    ds = to_dataset(rows)
    assert len(ds) == len(UNITS)
    assert ds[1]["text"] == "全年增长5%。" and ds[1]["section"] == ["一、工作回顾"]


# --- interchange format ---------------------------------------------------------------------------

INTERCHANGE = [
    {"doc_id": "x", "index": 0, "text": "一、主要举措", "label": "other"},
    {"doc_id": "x", "index": 1, "text": "开展培训20次。", "label": "measure"},
    {"doc_id": "x", "index": 3, "text": "二、存在的不足", "label": "other"},
    {"doc_id": "x", "index": 4, "text": "宣传不够。", "label": "shortcoming"},
    {"doc_id": "y", "index": 0, "text": "下一步将继续努力。"},
]


def test_read_interchange_recovers_sections_and_neighbours(tmp_path):
    rows = read_interchange(write_jsonl(tmp_path / "gold.jsonl", INTERCHANGE))
    assert [(r["doc_id"], r["index"], r["kind"], r["section"], r["label"]) for r in rows] == [
        ("x", 0, "heading", [], "other"),
        ("x", 1, "text", ["一、主要举措"], "measure"),
        ("x", 3, "heading", [], "other"),
        ("x", 4, "text", ["二、存在的不足"], "shortcoming"),
        ("y", 0, "text", [], None),
    ]
    assert [(r["prev_text"], r["next_text"]) for r in rows[:2]] == [("", "开展培训20次。"), ("一、主要举措", "二、存在的不足")]
    assert (rows[3]["next_text"], rows[4]["prev_text"]) == ("", "")  # neighbours stay within a document
    assert [r["label_source"] for r in rows] == ["gold"] * 4 + [None]
    assert all(r["start"] is None and r["genre"] == "unknown" for r in rows)


@pytest.mark.parametrize("bad,message", [
    ("{\"doc_id\": \"x\",", r":3: invalid JSON"),
    ({"doc_id": "x", "index": 2}, r":3: field 'text' is missing"),
    ({"doc_id": "x", "text": "甲。"}, r":3: field 'index' is missing"),
    ({"doc_id": "x", "index": "2", "text": "甲。"}, r":3: field 'index' must be int"),
    ({"doc_id": "x", "index": 2, "text": "甲。", "label": "todo"}, r":3: field 'label': unknown label 'todo'"),
    ({"doc_id": "x", "index": 1, "text": "甲。"}, r":3: field 'index': index 1 is not after 1"),
    ({"doc_id": "x", "index": 0, "text": "甲。"}, r":3: field 'index': index 0 is not after 1"),
])
def test_read_interchange_errors_name_the_line(tmp_path, bad, message):
    path = write_jsonl(tmp_path / "gold.jsonl", INTERCHANGE[:2] + [bad])
    with pytest.raises(GovtagError, match=message) as e:
        read_interchange(path)
    assert str(e.value).startswith(f"{path}:3")


def test_read_interchange_index_order_is_per_document(tmp_path):
    lines = [{"doc_id": "x", "index": 5, "text": "甲。"}, {"doc_id": "y", "index": 0, "text": "乙。"},
             {"doc_id": "x", "index": 6, "text": "丙。"}]
    rows = read_interchange(write_jsonl(tmp_path / "g.jsonl", lines))
    assert [(r["doc_id"], r["index"]) for r in rows] == [("x", 5), ("x", 6), ("y", 0)]


@pytest.mark.parametrize("content", ["", "\n\n  \n"])
def test_read_interchange_refuses_an_empty_file(tmp_path, content):
    path = tmp_path / "empty.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(GovtagError, match=r"empty.jsonl: no units \(empty file\)"):
        read_interchange(path)


def test_write_then_read_interchange_round_trips(tmp_path):
    rows = read_interchange(write_jsonl(tmp_path / "in.jsonl", INTERCHANGE[:4]))
    write_interchange(rows, tmp_path / "out.jsonl")
    assert read_interchange(tmp_path / "out.jsonl") == rows
    assert [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()] == INTERCHANGE[:4]


def test_write_interchange_of_built_rows_keeps_labelled_units_only(tmp_path):
    gold = {(DOC.doc_id, UNITS[i].start, UNITS[i].end): label_record((DOC.doc_id, UNITS[i].start, UNITS[i].end), lab)
            for i, lab in [(0, "other"), (1, "outcome"), (3, "other"), (4, "shortcoming")]}
    rows = build_rows(DOCS, gold, "gold")
    write_interchange(rows, tmp_path / "gold.jsonl")
    back = read_interchange(tmp_path / "gold.jsonl")
    assert [(r["index"], r["text"], r["label"], r["kind"], r["section"]) for r in back] == [
        (r["index"], r["text"], r["label"], r["kind"], r["section"]) for r in rows if r["label"] is not None]


# --- the project's gold ---------------------------------------------------------------------------

def test_project_gold_loads_and_is_large_enough(corpus_docs):
    gold = load_gold(corpus_docs)
    counts = Counter(r.label for r in gold.values())
    assert len(gold) >= 4000
    assert counts["shortcoming"] >= 250
    assert set(counts) <= set(LABELS)
    assert len({k[0] for k in gold}) >= 50
    assert {d for d, _, _ in gold if corpus_docs[d].genre == "fazhi"} == {
        d for d, doc in corpus_docs.items() if doc.genre == "fazhi"}


def test_every_project_label_record_names_annotator_and_guideline(gold_files):
    records = [r for rs in gold_files.values() for r in rs]
    assert records
    assert all(r.label in LABELS for r in records)
    assert all(r.annotator and r.annotator.strip() for r in records)
    assert all(r.guideline and r.guideline.startswith("labels.md@") for r in records)
    assert all(r.sha1 for r in records)
    assert "adjudication" in gold_files and len(gold_files) >= 3


def test_every_project_gold_label_is_a_unit_of_the_current_segmenter(gold_labels, corpus_units):
    unit_keys = {(d, u.start, u.end) for d, units in corpus_units.items() for u in units}
    stray = [r.source for k, r in gold_labels.items() if k not in unit_keys]
    assert not stray, f"{len(stray)} gold labels are not units, e.g. {stray[:3]}"


def test_project_gold_files_are_in_the_gold_dir():
    assert GOLD_DIR.is_dir()
    assert (GOLD_DIR / "adjudication.jsonl").is_file()
