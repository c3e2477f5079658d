"""govtag.corpus: reading report files in their encodings, and the corpus with its metadata."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from govtag.corpus import Document, default_corpus_dir, load_corpus, load_document, read_text, shared_dir
from govtag.errors import GovtagError

REPORT = "一、2024年工作回顾\n全年地区生产总值增长５％，規模以上工业增加值增长6.1%。\n"


def write_corpus(root: Path, docs: dict[str, tuple[str, str]], year: str = "2024") -> Path:
    """A small corpus folder: ``doc_id → (genre, text)``."""
    (root / "docs").mkdir(parents=True)
    with open(root / "metadata.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["doc_id", "genre", "title", "region", "level", "year", "chars", "source"])
        for doc_id, (genre, text) in docs.items():
            w.writerow([doc_id, genre, f"{doc_id}报告", "某市", "municipal", year, len(text), "test"])
            (root / "docs" / f"{doc_id}.txt").write_text(text, encoding="utf-8")
    return root


# --- encodings ------------------------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_read_text_decodes_utf8_bom_and_gbk(tmp_path, encoding):
    text = REPORT if encoding != "gbk" else REPORT.replace("規", "规")  # 規 is not in GBK
    path = tmp_path / "report.txt"
    path.write_bytes(text.encode(encoding))
    assert read_text(path) == text


def test_gb18030_only_characters_are_decoded(tmp_path):
    text = "报告中有扩展字符：𠀀，以及欧元符号€。"
    path = tmp_path / "r.txt"
    path.write_bytes(text.encode("gb18030"))
    assert read_text(path) == text


def test_line_endings_are_normalised(tmp_path):
    path = tmp_path / "crlf.txt"
    path.write_bytes("第一行。\r\n第二行。\r第三行。".encode("utf-8"))
    assert read_text(path) == "第一行。\n第二行。\n第三行。"


def test_empty_file_is_empty_text(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    assert read_text(path) == ""
    assert load_document(path) == Document(doc_id="empty", text="", path=str(path))


def test_binary_file_is_an_error_naming_the_file(tmp_path):
    path = tmp_path / "scan.pdf"
    path.write_bytes(b"%PDF-1.4\n\x00\x01\x02\x03" + bytes(range(256)))
    with pytest.raises(GovtagError, match="binary") as e:
        read_text(path)
    assert str(path) in str(e.value)


@pytest.mark.parametrize("raw", [
    b"\xff\xfe\xfd\xfc" * 50,  # neither UTF-8 nor GB18030
    b"\x01\x02\x03\x04\x05\x06\x07\x08" * 40,  # decodes, but is all control characters
])
def test_undecodable_file_is_an_error_naming_the_file(tmp_path, raw):
    path = tmp_path / "garbage.txt"
    path.write_bytes(raw)
    with pytest.raises(GovtagError, match="not valid UTF-8 or GBK") as e:
        read_text(path)
    assert str(path) in str(e.value)


def test_missing_file_is_an_error_naming_the_file(tmp_path):
    with pytest.raises(GovtagError, match="cannot read file") as e:
        read_text(tmp_path / "nope.txt")
    assert "nope.txt" in str(e.value)


def test_load_document_uses_the_file_stem_or_a_given_id(tmp_path):
    path = tmp_path / "my-report.txt"
    path.write_bytes(REPORT.encode("gb18030"))
    assert load_document(path).doc_id == "my-report"
    assert load_document(path, doc_id="x").doc_id == "x"
    assert load_document(path).text == REPORT


# --- corpus folders -------------------------------------------------------------------------------

def test_load_corpus_reads_metadata_in_file_order(tmp_path):
    root = write_corpus(tmp_path / "c", {"b-doc": ("gwr", "乙。"), "a-doc": ("fazhi", "甲。")})
    docs = load_corpus(root)
    assert [d.doc_id for d in docs] == ["b-doc", "a-doc"]
    a = docs[1]
    assert (a.text, a.genre, a.title, a.level, a.year) == ("甲。", "fazhi", "a-doc报告", "municipal", 2024)
    assert a.path == str(root / "docs" / "a-doc.txt")


def test_load_corpus_filters_genres(tmp_path):
    root = write_corpus(tmp_path / "c", {"g1": ("gwr", "乙。"), "f1": ("fazhi", "甲。"), "f2": ("fazhi", "丙。")})
    assert [d.doc_id for d in load_corpus(root, genres={"fazhi"})] == ["f1", "f2"]
    assert load_corpus(root, genres={"none"}) == []


def test_non_numeric_year_is_none(tmp_path):
    root = write_corpus(tmp_path / "c", {"x": ("gwr", "甲。")}, year="unknown")
    assert load_corpus(root)[0].year is None


def test_missing_metadata_is_a_clear_error(tmp_path):
    with pytest.raises(GovtagError, match="metadata.csv: corpus metadata not found"):
        load_corpus(tmp_path)


def test_metadata_row_without_doc_id_names_its_line(tmp_path):
    root = write_corpus(tmp_path / "c", {"x": ("gwr", "甲。")})
    with open(root / "metadata.csv", "a", encoding="utf-8") as f:
        f.write(",gwr,t,r,l,2024,1,s\n")
    with pytest.raises(GovtagError, match=r"metadata.csv:3: field 'doc_id' is empty"):
        load_corpus(root)


def test_metadata_row_without_its_file_is_an_error_naming_the_file(tmp_path):
    root = write_corpus(tmp_path / "c", {"x": ("gwr", "甲。")})
    (root / "docs" / "x.txt").unlink()
    with pytest.raises(GovtagError, match=r"x\.txt"):
        load_corpus(root)


def test_shared_dir_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("GOVTAG_SHARED", str(tmp_path))
    assert shared_dir() == tmp_path
    assert default_corpus_dir() == tmp_path / "corpus"


# --- the shared corpus ----------------------------------------------------------------------------

def test_shared_corpus_is_found_and_complete(corpus_docs):
    assert len(corpus_docs) == 204
    genres = {d.genre for d in corpus_docs.values()}
    assert genres == {"fazhi", "gwr"}
    assert sum(d.genre == "fazhi" for d in corpus_docs.values()) == 5
    assert all(d.text.strip() for d in corpus_docs.values())
    assert all(d.year is None or 1950 <= d.year <= 2030 for d in corpus_docs.values())


def test_shared_corpus_genre_filter(corpus_docs):
    fazhi = load_corpus(genres={"fazhi"})
    assert [d.doc_id for d in fazhi] == [d for d, doc in corpus_docs.items() if doc.genre == "fazhi"]
    assert all(d.doc_id.startswith("fz-") for d in fazhi)
