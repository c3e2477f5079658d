"""govtag.formats: every output format of `govtag tag`, on reports tagged by a tiny model."""

from __future__ import annotations

import csv
import io
import json
import re
from html.parser import HTMLParser

import pytest

from govtag import Tagger
from govtag.formats import COLOURS, WRITERS
from govtag.labels import LABELS

fixtures = pytest.importorskip("govtag_tests_fixtures_tiny")


@pytest.fixture(scope="module")
def tagged(tiny_tagger):
    tagger = Tagger.from_pretrained(tiny_tagger, threads=1)
    texts = [fixtures.synthetic_report(seed=1)[0], "前言<b>&amp;</b>\n" + fixtures.synthetic_report(seed=2)[0]]
    reports = [tagger.tag(t, doc_id=f"r{i}") for i, t in enumerate(texts)]
    return reports, [tagger.summarize(r) for r in reports], tagger.labels


def render(tagged, fmt: str) -> str:
    reports, summaries, labels = tagged
    out = io.StringIO()
    writer = WRITERS[fmt](out, labels)
    writer.header()
    for report, summary in zip(reports, summaries):
        writer.write(report, summary)
    writer.footer()
    return out.getvalue()


def test_jsonl_one_line_per_unit_with_label_names(tagged):
    lines = [json.loads(line) for line in render(tagged, "jsonl").splitlines()]
    reports = tagged[0]
    assert len(lines) == sum(len(r.units) for r in reports)
    assert lines[0] == {"doc_id": "r0", **reports[0].units[0].to_dict()}
    assert all(x["label"] in LABELS and set(x["probs"]) == set(LABELS) for x in lines)


def test_csv_has_a_header_and_every_unit(tagged):
    rows = list(csv.DictReader(io.StringIO(render(tagged, "csv"))))
    reports = tagged[0]
    assert len(rows) == sum(len(r.units) for r in reports)
    assert rows[0]["text"] == reports[0].units[0].text and rows[0]["label"] == reports[0].units[0].label
    assert {f"p_{label}" for label in LABELS} <= set(rows[0])


def test_markdown_starts_each_report_with_its_summary(tagged):
    md = render(tagged, "md")
    reports, summaries, _ = tagged
    assert md.count("## r") == 2 and md.index("**Shortcomings**") < md.index("| # | label |")
    n_short = summaries[0]["counts"]["shortcoming"]
    assert f"**Shortcomings** ({n_short})" in md
    assert md.count("\n| ") == sum(len(r.units) for r in reports) + 2  # table rows plus a header per report


class _Spans(HTMLParser):
    """Collects the text of the page and of each highlighted unit."""

    def __init__(self):
        super().__init__()
        self.units, self.depth, self.in_text, self.text = [], 0, 0, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "div" and attrs.get("class") == "text":
            self.in_text = 1
            self.text.append("")
        elif tag == "span" and "u " in (attrs.get("class") or "") + " ":
            self.units.append([attrs["style"], attrs["title"], ""])
            self.depth = 1

    def handle_endtag(self, tag):
        if tag == "span":
            self.depth = 0
        elif tag == "div":
            self.in_text = 0

    def handle_data(self, data):
        if self.in_text:
            self.text[-1] += data
        if self.depth:
            self.units[-1][2] += data


def test_html_highlights_every_unit_in_its_label_colour(tagged):
    page = render(tagged, "html")
    reports = tagged[0]
    parser = _Spans()
    parser.feed(page)
    expected = [(u.label, r.text[u.start:u.end]) for r in reports for u in r.units]
    assert len(parser.units) == len(expected)
    for (style, title, text), (label, original) in zip(parser.units, expected):
        assert COLOURS[label] in style and title.startswith(label) and text == original
    assert parser.text == [r.text for r in reports]  # the whole report is shown, nothing lost
    assert "<b>" not in page and "&lt;b&gt;&amp;amp;" in page  # report text is escaped
    legend = re.search(r'<p class="legend">(.*?)</p>', page).group(1)
    assert [label for label in LABELS if label in legend] == list(LABELS)
    assert page.index('class="summary"') < page.index('class="text"')
