"""Split a report into units (headings, sentences, ；-clauses) with offsets and section paths.

Offsets always point into the *original* text: ``text[unit.start:unit.end]`` is the unit as
published; ``unit.text`` is its normalised form (full-width digits and letters folded, stray
spaces removed), which is what models read. Nothing is deleted: every non-space character of the
document lies inside exactly one unit, page chrome included (as ``kind="chrome"``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Characters treated as space: ASCII whitespace, ideographic space, no-break space, zero-width.
SPACE = " \t\n\r\f\v\u3000\xa0\u200b\ufeff"
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"

# A sentence ends after 。！？!? (a run of them), taking closing quotes/brackets along;
# a clause ends after ；/;. A colon ends a unit only where an enumeration starts after it.
_CLOSERS = "”’」』）)】》\"'"
_ENUM = r"(?:[一二三四五六七八九十]+是|[（(][一二三四五六七八九十\d]+[)）]|\d{1,2}[、．.](?!\d)|[①-⑳])"
_BOUNDARY = re.compile(
    rf"[。！？!?]+[{_CLOSERS}]*|[；;]+[{_CLOSERS}]*|[：:](?=[{SPACE}]*{_ENUM})"
)

# Heading markers at the start of a line, with their level (smaller = higher).
_NUM = "一二三四五六七八九十百"
_MARKERS = [
    (re.compile(rf"第[{_NUM}]+(?:部分|章|篇)"), 1),
    (re.compile(rf"[{_NUM}]+[、．.]"), 1),
    (re.compile(rf"[（(][{_NUM}]+[)）]"), 2),
    (re.compile(r"[0-9０-９]{1,2}[、．.](?![0-9０-９])"), 3),
    (re.compile(r"[（(][0-9０-９]{1,2}[)）]"), 4),
]
# Item markers (一是 …, ①) open a heading at any unit start; they scope to their paragraph.
_ITEM = re.compile(rf"(?:[{_NUM}]+是|[①-⑳])")
_ITEM_LEVEL = 5

MAX_HEADING_CHARS = 40  # a numbered first sentence longer than this is body text, not a heading
MAX_TITLE_CHARS = 30  # an unnumbered line without end punctuation up to this length is a heading
_LABEL_COLON = re.compile(r"^.{1,20}?[：:]")  # 「1、主要经济指标：全年…」 → heading 「1、主要经济指标：」

_CHROME = re.compile(
    r"^(?:扫一扫.*|.*在手机上(?:查看|打开).*|【?(?:打印|下载|关闭|收藏|打印本页|关闭窗口)】?"
    r"|【?字[号体].*|(?:来源|浏览|浏览次数|发布(?:时间|日期|机构)|索引号|文号|信息来源|分享到|当前位置)[:：].*"
    r"|当前位置.*>.*|首页\s*>.*)$"
)
_DATE_LINE = re.compile(r"^[0-9０-９一二三四五六七八九〇○零]{2,4}年[0-9０-９一二三四五六七八九十]{1,2}月[0-9０-９一二三四五六七八九十〇○]{1,3}日$")
_NO_HEADING_END = tuple("。！？!?；;，,、：:")

_FOLD = {**{0xFF10 + i: 0x30 + i for i in range(10)},
         **{0xFF21 + i: 0x41 + i for i in range(26)},
         **{0xFF41 + i: 0x61 + i for i in range(26)},
         ord("％"): "%", ord("＋"): "+", ord("．"): ".", ord("－"): "-",
         ord("\u200b"): None, ord("\ufeff"): None}


def normalize(text: str) -> str:
    """The form models read: fold full-width digits/letters, collapse spaces, drop spaces between
    non-ASCII characters (PDF/web residue such as 「规模以上 工业」)."""
    text = text.translate(_FOLD)
    text = re.sub(rf"[{SPACE}]+", " ", text).strip()
    return re.sub(r"(?<=[^\x00-\x7f]) (?=[^\x00-\x7f])", "", text)


@dataclass(frozen=True)
class Unit:
    """One taggable unit. ``section`` holds the texts of the headings it stands under."""

    doc_id: str
    index: int
    start: int
    end: int
    text: str
    kind: str  # "text" | "heading" | "chrome"
    level: int | None = None  # heading level: 0 unnumbered, 1 一、, 2 （一）, 3 1., 4 （1）, 5 一是
    section: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict:
        return {"doc_id": self.doc_id, "index": self.index, "start": self.start, "end": self.end,
                "text": self.text, "kind": self.kind, "level": self.level, "section": list(self.section)}


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in SPACE:
        start += 1
    while end > start and text[end - 1] in SPACE:
        end -= 1
    return start, end


def _pieces(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence/clause spans of one line, stripped of surrounding space, none empty."""
    spans, cut = [], start
    for m in _BOUNDARY.finditer(text, start, end):
        spans.append((cut, m.end()))
        cut = m.end()
    spans.append((cut, end))
    return [s for s in (_strip_span(text, a, b) for a, b in spans) if s[0] < s[1]]


def _marker_level(line: str) -> int | None:
    for pattern, level in _MARKERS:
        if pattern.match(line):
            return level
    return None


class _Sections:
    """The stack of open headings."""

    def __init__(self) -> None:
        self.stack: list[tuple[int, str]] = []

    def path(self) -> tuple[str, ...]:
        return tuple(text for _, text in self.stack)

    def open(self, level: int, text: str) -> tuple[str, ...]:
        """Close headings at this level or below; return the new heading's parent path."""
        while self.stack and self.stack[-1][0] >= level:
            self.stack.pop()
        parent = self.path()
        self.stack.append((level, text))
        return parent

    def close_items(self) -> None:
        while self.stack and self.stack[-1][0] >= _ITEM_LEVEL:
            self.stack.pop()


def segment(text: str, doc_id: str = "doc") -> list[Unit]:
    """Units of a report in reading order; see the module docstring for the guarantees."""
    units: list[Unit] = []
    sections = _Sections()
    seen_body = False  # unnumbered headings before any body text are titles, kept out of paths

    def emit(start: int, end: int, kind: str, level: int | None = None) -> None:
        norm = normalize(text[start:end])
        section = sections.path()
        if kind == "heading" and level is not None:
            section = sections.open(level, norm)
        units.append(Unit(doc_id, len(units), start, end, norm, kind, level, section))

    for line_match in re.finditer(r"[^\n]+", text):
        start, end = _strip_span(text, *line_match.span())
        if start == end:
            continue
        line = normalize(text[start:end])
        sections.close_items()
        if _CHROME.match(line) and len(line) <= 60:
            emit(start, end, "chrome")
            continue
        pieces = _pieces(text, start, end)
        level = _marker_level(line)
        # 一是/① items are item headings (level 5, closed by the next paragraph), never unnumbered ones
        if level is None and len(pieces) == 1 and not _ITEM.match(line) and _is_unnumbered_heading(line):
            emit(start, end, "heading", 0 if seen_body else None)
            continue
        if level is not None:
            pieces = _split_label_colon(text, pieces)
        for i, (a, b) in enumerate(pieces):
            piece_level = _heading_level(normalize(text[a:b]), level if i == 0 else None, len(pieces) == 1)
            if piece_level is not None:
                emit(a, b, "heading", piece_level)
            else:
                emit(a, b, "text")
                seen_body = True
    return units


def _heading_level(piece: str, line_level: int | None, whole_line: bool) -> int | None:
    """The heading level of a unit, or None for body text. ``line_level`` is the marker level of
    the line the unit opens (None for later units of a line, which can only be 一是-items)."""
    level = line_level
    if level is None and _ITEM.match(piece):
        level = _ITEM_LEVEL
    if level is None:
        return None
    short = len(piece) <= MAX_HEADING_CHARS
    bare_line = whole_line and not piece.endswith(_NO_HEADING_END) and len(piece) <= 60
    return level if short or bare_line else None


def sections_from_texts(texts: list[str]) -> list[tuple[str, tuple[str, ...]]]:
    """(kind, section path) for units that arrive already split, e.g. an outside gold file.

    Each unit is read as if it opened its own line, which is how headings are written.
    """
    sections = _Sections()
    out = []
    for raw in texts:
        text = normalize(raw)
        level = _heading_level(text, _marker_level(text), whole_line=True)
        if level is None and _is_unnumbered_heading(text):
            level = 0
        if level is None:
            out.append(("text", sections.path()))
        else:
            out.append(("heading", sections.open(level, text)))
    return out


def _is_unnumbered_heading(line: str) -> bool:
    return (len(line) <= MAX_TITLE_CHARS and not line.endswith(_NO_HEADING_END)
            and re.search(f"[{_CJK}]", line) is not None and not _DATE_LINE.match(line))


def _split_label_colon(text: str, pieces: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Split a short 「1、主要经济指标：」 lead off the first piece of a numbered line."""
    a, b = pieces[0]
    m = _LABEL_COLON.match(text, a, b)
    if not m or m.end() >= b:
        return pieces
    rest = _strip_span(text, m.end(), b)
    return [(a, m.end()), rest, *pieces[1:]] if rest[0] < rest[1] else pieces
