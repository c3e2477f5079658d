"""govtag.sheets: annotation sheets out, returned labels in, as standoff records."""

from __future__ import annotations

import csv
import json

import pytest

from govtag import sheets
from govtag.annotations import read_label_file, span_hash
from govtag.corpus import Document
from govtag.errors import GovtagError
from govtag.labels import guideline_version
from govtag.segment import segment
from govtag.sheets import read_label_sheet, sheet_to_records, write_records, write_sheet

TEXT = "一、工作回顾\n（一）依法行政\n全年增长５％。开展培训20次；举办讲座3场。\n二、存在问题\n宣传不够。"
DOC = Document("doc-a", TEXT)
DOC2 = Document("doc-b", "下一步，我们将继续努力。\n请予审议。")
DOCS = {d.doc_id: d for d in (DOC, DOC2)}


def test_write_sheet_reads_back_as_the_units(tmp_path):
    units = {d: segment(doc.text, d) for d, doc in DOCS.items()}
    path = tmp_path / "sheet.tsv"
    write_sheet(path, list(units.items()))
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    assert rows[0] == ["doc_id", "index", "kind", "section", "text"]
    expected = [[d, str(u.index), u.kind, " > ".join(u.section[-2:]), u.text] for d, us in units.items() for u in us]
    assert rows[1:] == expected
    assert ["doc-a", "3", "text", "一、工作回顾 > （一）依法行政", "开展培训20次；"] in rows


def test_write_sheet_shows_the_last_two_headings_shortened(tmp_path):
    long = "1." + "全面推进依法行政" * 5  # a bare numbered line: a heading up to 60 characters
    units = segment(f"一、回顾\n（一）依法行政\n{long}\n正文。", "d")
    assert units[3].section == ("一、回顾", "（一）依法行政", long)
    path = tmp_path / "sheet.tsv"
    write_sheet(path, [("d", units)])
    last = path.read_text(encoding="utf-8").splitlines()[-1].split("\t")
    assert last == ["d", "3", "text", "（一）依法行政 > " + long[:30], "正文。"]


def test_read_label_sheet_two_and_three_columns(tmp_path):
    two = tmp_path / "doc-a.tsv"
    two.write_text("0\tother\n\n2\toutcome \n", encoding="utf-8")
    assert read_label_sheet(two) == [("doc-a", 0, "other", 1), ("doc-a", 2, "outcome", 3)]
    assert read_label_sheet(two, doc_id="doc-b")[0][0] == "doc-b"
    three = tmp_path / "multi.tsv"
    three.write_text("doc-a\t1\tmeasure\ndoc-b\t0\tplan\n", encoding="utf-8")
    assert read_label_sheet(three) == [("doc-a", 1, "measure", 1), ("doc-b", 0, "plan", 2)]


def test_read_label_sheet_accepts_a_bom(tmp_path):
    """Regression: sheets saved by Excel/Notepad start with a BOM, which made line 1 'not a number'."""
    path = tmp_path / "doc-a.tsv"
    path.write_bytes("0\tother\n1\toutcome\n".encode("utf-8-sig"))
    assert [r[:3] for r in read_label_sheet(path)] == [("doc-a", 0, "other"), ("doc-a", 1, "outcome")]


@pytest.mark.parametrize("line,message", [
    ("3\tresult", r":2: field 'label': unknown label 'result'"),
    ("x\tplan", r":2: field 'index': not a number: 'x'"),
    ("-1\tplan", r":2: field 'index': not a number"),
    ("²\tplan", r":2: field 'index': not a number"),  # regression: isdigit() let it through to int()
    ("3", r":2: expected 'index<TAB>label' or 'doc_id<TAB>index<TAB>label'"),
    ("doc-a\t3\tplan\textra", r":2: expected"),
])
def test_read_label_sheet_errors_name_the_line(tmp_path, line, message):
    path = tmp_path / "doc-a.tsv"
    path.write_text(f"0\tother\n{line}\n", encoding="utf-8")
    with pytest.raises(GovtagError, match=message) as e:
        read_label_sheet(path)
    assert str(e.value).startswith(f"{path}:2")


def test_unreadable_sheet_is_an_error_not_a_traceback(tmp_path):
    with pytest.raises(GovtagError, match="missing.tsv"):
        read_label_sheet(tmp_path / "missing.tsv")
    bad = tmp_path / "gbk.tsv"
    bad.write_bytes("0\t其他\n".encode("gbk"))
    with pytest.raises(GovtagError, match="gbk.tsv"):
        read_label_sheet(bad)


def test_sheet_to_records_makes_valid_standoff(tmp_path):
    units = segment(TEXT, "doc-a")
    sheet = tmp_path / "doc-a.tsv"
    sheet.write_text("0\tother\n2\toutcome\n3\tmeasure\n5\tshortcoming\n", encoding="utf-8")
    records = sheet_to_records(sheet, DOCS, "person:wang")
    assert [(r["start"], r["end"], r["label"]) for r in records] == [
        (units[i].start, units[i].end, lab) for i, lab in [(0, "other"), (2, "outcome"), (3, "measure"), (5, "shortcoming")]]
    assert records[1]["sha1"] == span_hash("全年增长５％。")
    assert all(r["annotator"] == "person:wang" and r["guideline"] == guideline_version() for r in records)
    out = tmp_path / "annotations" / "person-wang.jsonl"
    write_records(list(reversed(records)), out)
    assert [json.loads(x)["start"] for x in out.read_text(encoding="utf-8").splitlines()] == sorted(r["start"] for r in records)
    back = read_label_file(out, DOCS)
    assert [(r.start, r.end, r.label) for r in back] == [(r["start"], r["end"], r["label"]) for r in records]


def test_sheet_to_records_segments_each_document_once(tmp_path, monkeypatch):
    """Regression: the segmentation was recomputed for every sheet line (minutes for a whole report)."""
    calls = []

    def counting_segment(text, doc_id="doc"):
        calls.append(doc_id)
        return segment(text, doc_id)

    monkeypatch.setattr(sheets, "segment", counting_segment)
    sheet = tmp_path / "multi.tsv"
    sheet.write_text("doc-a\t0\tother\ndoc-a\t1\tother\ndoc-b\t0\tplan\ndoc-a\t2\toutcome\ndoc-b\t1\tother\n",
                     encoding="utf-8")
    assert len(sheet_to_records(sheet, DOCS, "me")) == 5
    assert sorted(calls) == ["doc-a", "doc-b"]


@pytest.mark.parametrize("lines,message", [
    ("0\tother\n1\tresult\n", r"doc-a.tsv:2: field 'label': unknown label"),
    ("0\tother\n7\tplan\n", r"doc-a.tsv:2: field 'index': doc-a has only 7 units"),
    ("0\tother\n\n0\tplan\n", r"doc-a.tsv:3: field 'index': unit doc-a#0 labelled twice"),
])
def test_sheet_to_records_errors_name_the_line(tmp_path, lines, message):
    sheet = tmp_path / "doc-a.tsv"
    sheet.write_text(lines, encoding="utf-8")
    with pytest.raises(GovtagError, match=message):
        sheet_to_records(sheet, DOCS, "me")


def test_sheet_to_records_refuses_an_unknown_document(tmp_path):
    sheet = tmp_path / "multi.tsv"
    sheet.write_text("doc-a\t0\tother\ndoc-zzz\t0\tplan\n", encoding="utf-8")
    with pytest.raises(GovtagError, match=r"multi.tsv:2: field 'doc_id': no document 'doc-zzz' in the corpus"):
        sheet_to_records(sheet, DOCS, "me")
    two = tmp_path / "doc-zzz.tsv"  # a two-column sheet names its document by file name
    two.write_text("0\tother\n", encoding="utf-8")
    with pytest.raises(GovtagError, match=r"doc-zzz.tsv:1: field 'doc_id': no document 'doc-zzz'"):
        sheet_to_records(two, DOCS, "me")
