"""Reading reports: the shared corpus (``metadata.csv`` + ``docs/*.txt``) and users' own files."""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

from .errors import GovtagError

SOURCE_ROOT = Path(__file__).resolve().parents[2]


def shared_dir() -> Path:
    """The ``shared/`` folder beside the project: ``$GOVTAG_SHARED``, else ``../shared`` seen
    from the working directory, else from the source checkout."""
    if env := os.environ.get("GOVTAG_SHARED"):
        return Path(env)
    for root in (Path.cwd(), SOURCE_ROOT):
        if (root.parent / "shared" / "corpus").is_dir():
            return root.parent / "shared"
    return SOURCE_ROOT.parent / "shared"


def default_corpus_dir() -> Path:
    return shared_dir() / "corpus"


@dataclass(frozen=True)
class Document:
    doc_id: str
    text: str
    genre: str = "unknown"
    title: str = ""
    level: str = ""
    year: int | None = None
    path: str = ""


def read_text(path: str | Path) -> str:
    """Read a report file: UTF-8 (with or without BOM), else GB18030 (a superset of GBK/GB2312).

    Binary or undecodable files raise a GovtagError naming the file.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise GovtagError(f"{path}: cannot read file ({e.strerror})") from None
    if b"\x00" in raw[:4096]:
        raise GovtagError(f"{path}: looks like a binary file (NUL bytes), expected UTF-8 or GBK text")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _looks_like_text(text):
            return text.replace("\r\n", "\n").replace("\r", "\n")
    raise GovtagError(f"{path}: not valid UTF-8 or GBK/GB18030 text")


def _looks_like_text(text: str) -> bool:
    # GB18030 decodes almost any byte string; reject results full of control characters.
    if not text:
        return True
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\n\r\t\f")
    return controls / len(text) < 0.01


def load_corpus(corpus_dir: str | Path | None = None, genres: set[str] | None = None) -> list[Document]:
    """All documents listed in ``metadata.csv``, in file order (optionally only some genres)."""
    corpus_dir = Path(corpus_dir) if corpus_dir else default_corpus_dir()
    meta_path = corpus_dir / "metadata.csv"
    if not meta_path.is_file():
        raise GovtagError(f"{meta_path}: corpus metadata not found (set --corpus or $GOVTAG_SHARED)")
    docs = []
    with meta_path.open(encoding="utf-8-sig", newline="") as f:
        for line_no, row in enumerate(csv.DictReader(f), start=2):
            if not row.get("doc_id"):
                raise GovtagError(f"{meta_path}:{line_no}: field 'doc_id' is empty")
            if genres and row.get("genre") not in genres:
                continue
            path = corpus_dir / "docs" / f"{row['doc_id']}.txt"
            year = row.get("year", "")
            docs.append(Document(
                doc_id=row["doc_id"], text=read_text(path), genre=row.get("genre") or "unknown",
                title=row.get("title", ""), level=row.get("level", ""),
                year=int(year) if year.isdigit() else None, path=str(path),
            ))
    return docs


def load_document(path: str | Path, doc_id: str | None = None) -> Document:
    """A user's report file as a Document (doc_id defaults to the file name without suffix)."""
    path = Path(path)
    return Document(doc_id=doc_id or path.stem, text=read_text(path), path=str(path))
