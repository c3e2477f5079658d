"""The `govtag` command, run in-process: exit codes, output, and one-line errors without tracebacks."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from govtag.annotations import read_label_file
from govtag.cli import main
from govtag.corpus import load_corpus
from govtag.segment import segment

GBK_REPORT = "一、2024年工作回顾\n全年地区生产总值增长５％。开展培训20次；举办讲座3场。\n扫一扫在手机上查看当前页面\n"


def one_line_error(err: str, *needles: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got: {err!r}"
    assert lines[0].startswith("govtag: error: ")
    assert "Traceback" not in err
    for needle in needles:
        assert needle in lines[0]
    return lines[0]


def jsonl(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


# --- data segment ---------------------------------------------------------------------------------

def test_segment_a_gbk_file_prints_jsonl_units(tmp_path, capsys):
    path = tmp_path / "my-report.txt"
    path.write_bytes(GBK_REPORT.encode("gbk"))
    assert main(["data", "segment", str(path)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    units = jsonl(out)
    assert [u["text"] for u in units] == ["一、2024年工作回顾", "全年地区生产总值增长5%。", "开展培训20次；", "举办讲座3场。",
                                          "扫一扫在手机上查看当前页面"]
    assert [u["kind"] for u in units] == ["heading", "text", "text", "text", "chrome"]
    assert all(u["doc_id"] == "my-report" for u in units)
    assert units[1]["section"] == ["一、2024年工作回顾"]
    assert [u["index"] for u in units] == list(range(5))
    assert GBK_REPORT[units[1]["start"]:units[1]["end"]] == "全年地区生产总值增长５％。"  # offsets into the decoded text
    assert units == [u.to_dict() for u in segment(GBK_REPORT, "my-report")]


def test_segment_to_an_output_file_and_from_stdin(tmp_path, capsys, monkeypatch):
    path = tmp_path / "r.txt"
    path.write_text("甲。乙。", encoding="utf-8")
    out_file = tmp_path / "units.jsonl"
    assert main(["data", "segment", str(path), "-o", str(out_file)]) == 0
    assert capsys.readouterr().out == ""
    assert [u["text"] for u in jsonl(out_file.read_text(encoding="utf-8"))] == ["甲。", "乙。"]
    monkeypatch.setattr("sys.stdin", io.StringIO("丙；丁。"))
    assert main(["data", "segment", "-"]) == 0
    units = jsonl(capsys.readouterr().out)
    assert [(u["doc_id"], u["text"]) for u in units] == [("stdin", "丙；"), ("stdin", "丁。")]


def test_segment_an_empty_file_prints_nothing(tmp_path, capsys):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    assert main(["data", "segment", str(path)]) == 0
    assert capsys.readouterr() == ("", "")


def test_segment_a_binary_file_is_a_one_line_error(tmp_path, capsys):
    path = tmp_path / "scan.pdf"
    path.write_bytes(b"%PDF-1.7\n\x00\x00\x01\xff" * 100)
    assert main(["data", "segment", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    one_line_error(err, str(path), "binary")


def test_segment_a_missing_file_is_a_one_line_error(tmp_path, capsys):
    assert main(["data", "segment", str(tmp_path / "nope.txt")]) == 2
    one_line_error(capsys.readouterr().err, "nope.txt")


def test_no_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as e:
        main([])
    assert e.value.code == 2
    assert "usage: govtag" in capsys.readouterr().err


# --- data commands on the project's data ----------------------------------------------------------

def test_data_stats_prints_gold_counts_and_kappa(capsys):
    assert main(["data", "stats"]) == 0
    out, err = capsys.readouterr()
    m = re.search(r"gold units: (\d+) in (\d+) reports", out)
    assert m and int(m.group(1)) >= 4000
    m = re.search(r"double-annotated: (\d+) units .*Cohen's kappa (\d\.\d+)", out)
    assert m and int(m.group(1)) >= 600 and 0.8 <= float(m.group(2)) <= 1.0
    assert "shortcoming" in out and "fazhi/fazhi" in out
    assert "Traceback" not in err


def test_data_splits_matches_the_recorded_file(capsys):
    assert main(["data", "splits"]) == 0
    out, err = capsys.readouterr()
    assert "data/splits.json matches (seed 13)" in out
    assert "govtag: error" not in err


def test_data_splits_refuses_to_reshuffle_when_new_gold_is_not_later_gold(monkeypatch, capsys):
    # The mistake this guards against: gold added to train reports without listing them as later_gold.
    import govtag.splits

    recorded_later = govtag.splits.load_later_gold()
    monkeypatch.setattr(govtag.splits, "load_later_gold", lambda: recorded_later[:-5])
    monkeypatch.setattr(govtag.splits, "save_splits", lambda *a, **k: pytest.fail("the splits file was rewritten"))
    assert main(["data", "splits"]) == 2
    err = capsys.readouterr().err
    assert "into or out of dev/test/fazhi" in err and "later_gold" in err and "Traceback" not in err
    assert main(["data", "splits", "--write"]) == 2
    assert "refusing to rewrite data/splits.json" in capsys.readouterr().err


# --- sheets and labels on a small corpus of our own -----------------------------------------------

@pytest.fixture
def small_corpus(tmp_path):
    root = tmp_path / "corpus"
    (root / "docs").mkdir(parents=True)
    texts = {"fz-a": "一、主要举措\n开展培训20次。举办讲座3场。\n二、存在问题\n宣传不够。",
             "fz-b": "下一步，我们将继续努力。"}
    with open(root / "metadata.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["doc_id", "genre", "title", "level", "year"])
        for doc_id, text in texts.items():
            w.writerow([doc_id, "fazhi", doc_id, "municipal", "2024"])
            (root / "docs" / f"{doc_id}.txt").write_text(text, encoding="utf-8")
    return root


def test_sheet_then_import_labels_round_trip(small_corpus, tmp_path, capsys):
    sheet = tmp_path / "fz-a.tsv"
    assert main(["data", "sheet", "fz-a", "--out", str(sheet), "--corpus", str(small_corpus)]) == 0
    lines = sheet.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "doc_id\tindex\tkind\tsection\ttext" and len(lines) == 6
    returned = tmp_path / "returned" / "fz-a.tsv"
    returned.parent.mkdir()
    returned.write_text("0\tother\n1\tmeasure\n2\tmeasure\n4\tshortcoming\n", encoding="utf-8")
    out_file = tmp_path / "ann" / "person-wang.jsonl"
    assert main(["data", "import-labels", str(returned), "--annotator", "person:wang", "--out", str(out_file),
                 "--corpus", str(small_corpus)]) == 0
    assert "wrote 4 label records" in capsys.readouterr().out
    docs = {d.doc_id: d for d in load_corpus(small_corpus)}
    records = read_label_file(out_file, docs)
    assert [(docs["fz-a"].text[r.start:r.end], r.label) for r in records] == [
        ("一、主要举措", "other"), ("开展培训20次。", "measure"), ("举办讲座3场。", "measure"), ("宣传不够。", "shortcoming")]


def test_import_labels_errors_are_one_line(small_corpus, tmp_path, capsys):
    sheet = tmp_path / "fz-a.tsv"
    sheet.write_text("0\tother\n9\tplan\n", encoding="utf-8")
    args = ["--annotator", "me", "--out", str(tmp_path / "o.jsonl"), "--corpus", str(small_corpus)]
    assert main(["data", "import-labels", str(sheet), *args]) == 2
    one_line_error(capsys.readouterr().err, f"{sheet}:2", "has only 5 units")
    assert main(["data", "import-labels", str(tmp_path / "missing.tsv"), *args]) == 2
    one_line_error(capsys.readouterr().err, "missing.tsv")
    assert not (tmp_path / "o.jsonl").exists()


def test_sheet_for_an_unknown_document_is_an_error(small_corpus, tmp_path, capsys):
    assert main(["data", "sheet", "fz-a", "fz-zzz", "--out", str(tmp_path / "s.tsv"), "--corpus", str(small_corpus)]) == 2
    one_line_error(capsys.readouterr().err, "fz-zzz")
    assert not (tmp_path / "s.tsv").exists()


def test_dedup_lists_pairs(small_corpus, capsys):
    text = (small_corpus / "docs" / "fz-a.txt").read_text(encoding="utf-8") * 3
    (small_corpus / "docs" / "fz-a.txt").write_text(text, encoding="utf-8")
    (small_corpus / "docs" / "fz-b.txt").write_text(text.replace("。", "；"), encoding="utf-8")
    assert main(["data", "dedup", "--corpus", str(small_corpus)]) == 0
    out, err = capsys.readouterr()
    assert out == "fz-a\tfz-b\t1.000\n"
    assert "1 near-duplicate pair(s)" in err


def test_a_missing_corpus_is_a_one_line_error(tmp_path, capsys):
    assert main(["data", "dedup", "--corpus", str(tmp_path)]) == 2
    one_line_error(capsys.readouterr().err, "metadata.csv")


# --- train and eval refuse bad input before doing any work ----------------------------------------

def test_eval_with_a_missing_model_is_a_one_line_error(capsys):
    assert main(["eval", "--model", "/nonexistent", "--data", "test"]) == 2
    out, err = capsys.readouterr()
    one_line_error(err, "/nonexistent")


def test_train_with_a_missing_config_is_a_one_line_error(tmp_path, capsys):
    assert main(["train", "--config", str(tmp_path / "missing.yaml")]) == 2
    one_line_error(capsys.readouterr().err, "missing.yaml")


# --- tag and export ---------------------------------------------------------------------------------

fixtures_tiny = pytest.importorskip("govtag_tests_fixtures_tiny")


def test_tag_files_folders_and_stdin(tiny_tagger, tmp_path, capsys, monkeypatch):
    folder = tmp_path / "reports"
    (folder / "2024").mkdir(parents=True)
    for i in range(3):
        (folder / "2024" / f"r{i}.txt").write_text(fixtures_tiny.synthetic_report(seed=i)[0], encoding="utf-8")
    gbk = tmp_path / "gbk.txt"
    gbk.write_bytes(GBK_REPORT.encode("gbk"))
    monkeypatch.setattr("sys.stdin", io.StringIO("明年将继续推进法治政府建设。"))
    assert main(["tag", str(folder), str(gbk), "-", "--model", str(tiny_tagger)]) == 0
    out, err = capsys.readouterr()
    rows = jsonl(out)
    assert [r["doc_id"] for r in rows if r["index"] == 0] == ["r0", "r1", "r2", "gbk", "stdin"]
    assert all(r["label"] in ("measure", "outcome", "shortcoming", "plan", "other") for r in rows)
    assert "tagged" in err and "5 report(s)" in err


@pytest.mark.parametrize("fmt", ["csv", "md", "html"])
def test_tag_writes_an_output_file(tiny_tagger, tmp_path, capsys, fmt):
    report = tmp_path / "r.txt"
    report.write_text(fixtures_tiny.synthetic_report(seed=3)[0], encoding="utf-8")
    out = tmp_path / "out" / f"tagged.{fmt}"
    assert main(["tag", str(report), "--model", str(tiny_tagger), "--format", fmt, "-o", str(out)]) == 0
    assert capsys.readouterr().out == ""
    text = out.read_text(encoding="utf-8")
    assert {"csv": "doc_id,index,start", "md": "## r", "html": "<!DOCTYPE html>"}[fmt] in text
    assert [p.name for p in out.parent.iterdir()] == [out.name]  # no temporary file left


def test_tag_reports_an_unreadable_file_and_tags_the_rest(tiny_tagger, tmp_path, capsys, caplog):
    good = tmp_path / "good.txt"
    good.write_text(fixtures_tiny.synthetic_report(seed=4)[0], encoding="utf-8")
    bad = tmp_path / "scan.txt"
    bad.write_bytes(b"\x00\x01binary\x00")
    out = tmp_path / "out.jsonl"
    assert main(["tag", str(bad), str(good), "--model", str(tiny_tagger), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "govtag: error: 1 of 2 input(s) could not be read" in err and "Traceback" not in err
    assert "scan.txt: looks like a binary file" in caplog.text
    assert {r["doc_id"] for r in jsonl(out.read_text())} == {"good"}


@pytest.mark.parametrize("args,needle", [
    (["no-such-report.txt"], "no-such-report.txt: no such file or folder"),
    (["--model", "/no/model", "-"], "model folder not found"),
])
def test_tag_input_errors_are_one_line(tiny_tagger, tmp_path, capsys, args, needle):
    full = ["tag", *args] if "--model" in args else ["tag", *args, "--model", str(tiny_tagger)]
    assert main(full) == 2
    one_line_error(capsys.readouterr().err, needle)


def test_tag_an_empty_folder_is_an_error(tiny_tagger, tmp_path, capsys):
    assert main(["tag", str(tmp_path), "--model", str(tiny_tagger)]) == 2
    one_line_error(capsys.readouterr().err, "holds no .txt files")


def test_export_then_tag_with_the_export(tiny_tagger, tmp_path, capsys):
    out = tmp_path / "onnx"
    assert main(["export", "--model", str(tiny_tagger), "--out", str(out)]) == 0
    assert "int8 weights" in capsys.readouterr().out
    report = tmp_path / "r.txt"
    report.write_text(fixtures_tiny.synthetic_report(seed=5)[0], encoding="utf-8")
    assert main(["tag", str(report), "--model", str(out)]) == 0
    assert len(jsonl(capsys.readouterr().out)) > 10


def test_export_of_a_missing_model_is_a_one_line_error(tmp_path, capsys):
    assert main(["export", "--model", str(tmp_path / "none"), "--out", str(tmp_path / "x")]) == 2
    one_line_error(capsys.readouterr().err, "model folder not found")
