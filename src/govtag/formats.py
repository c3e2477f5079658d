"""Output formats of ``govtag tag``: JSONL and CSV (one row per unit), Markdown and HTML (one
section per report, its summary first). Each format writes a header, then one report at a time,
so output streams however many reports there are."""

from __future__ import annotations

import csv
import html
import json
from typing import TextIO

from .tagger import READ_FIRST, TaggedReport

# Label colours of the HTML view (background of the unit, and the legend).
COLOURS = {"measure": "#cfe2ff", "outcome": "#d1f0d6", "shortcoming": "#f8c9c9", "plan": "#ffe3b3", "other": "#ececec"}


class ReportWriter:
    def __init__(self, out: TextIO, labels: tuple[str, ...]):
        self.out, self.labels = out, labels

    def header(self) -> None:
        pass

    def write(self, report: TaggedReport, summary: dict) -> None:
        raise NotImplementedError

    def footer(self) -> None:
        pass


class JsonlWriter(ReportWriter):
    def write(self, report, summary):
        for u in report.units:
            self.out.write(json.dumps({"doc_id": report.doc_id, **u.to_dict()}, ensure_ascii=False) + "\n")


class CsvWriter(ReportWriter):
    def header(self):
        self.csv = csv.writer(self.out)
        self.csv.writerow(["doc_id", "index", "start", "end", "kind", "section", "label", "score", "text",
                           *[f"p_{label}" for label in self.labels]])

    def write(self, report, summary):
        for u in report.units:
            self.csv.writerow([report.doc_id, u.index, u.start, u.end, u.kind, " > ".join(u.section), u.label,
                               f"{u.score:.4f}", u.text, *[f"{u.probs[label]:.4f}" for label in self.labels]])


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


class MarkdownWriter(ReportWriter):
    def write(self, report, summary):
        w = self.out.write
        w(f"## {report.doc_id}\n\n{summary['units']} units: "
          + ", ".join(f"{n} {label}" for label, n in summary["counts"].items()) + "\n\n")
        for key in (f"{label}s" for label in READ_FIRST):  # the lists summarize() makes
            w(f"**{key.capitalize()}** ({len(summary[key])})\n\n")
            w("".join(f"- {_md_cell(s['text'])} — *{_md_cell(' > '.join(s['section']) or '(no section)')}*\n"
                      for s in summary[key]) + "\n")
        w("| # | label | score | section | text |\n|---|---|---|---|---|\n")
        for u in report.units:
            w(f"| {u.index} | {u.label} | {u.score:.2f} | {_md_cell(' > '.join(u.section[-2:]))} | {_md_cell(u.text)} |\n")
        w("\n")


_CSS = """
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif;
       max-width: 60em; margin: 2em auto; padding: 0 1em; line-height: 1.8; color: #222; }
.legend span, .count { display: inline-block; padding: 0 .6em; margin: 0 .3em .3em 0; border-radius: 4px; }
.summary { border: 1px solid #ccc; border-radius: 6px; padding: .5em 1em; margin-bottom: 1.5em; background: #fafafa; }
.summary li { margin-bottom: .2em; }
.section-path { color: #777; font-size: .85em; }
.text { white-space: pre-wrap; }
.u { border-radius: 3px; padding: 1px 0; margin-right: 2px; }
.u.heading { font-weight: bold; }
.u.chrome { color: #999; }
"""


class HtmlWriter(ReportWriter):
    """A self-contained page: legend, then per report its summary and its text with each unit
    highlighted in its label's colour (hover shows label, score and section)."""

    def header(self):
        legend = "".join(f'<span style="background:{COLOURS.get(label, "#fff")}">{label}</span>' for label in self.labels)
        self.out.write(f'<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8"><title>govtag</title>'
                       f'<style>{_CSS}</style></head><body>\n<p class="legend">{legend}</p>\n')

    def write(self, report, summary):
        w, esc = self.out.write, html.escape
        counts = "".join(f'<span class="count" style="background:{COLOURS.get(label, "#fff")}">{label} {n}</span>'
                         for label, n in summary["counts"].items())
        w(f'<h2>{esc(report.doc_id)}</h2>\n<div class="summary"><p>{summary["units"]} units {counts}</p>\n')
        for i, key in enumerate(f"{label}s" for label in READ_FIRST):  # the first list opens unfolded
            items = "".join(f'<li>{esc(s["text"])} <span class="section-path">{esc(" > ".join(s["section"]))}</span></li>'
                            for s in summary[key])
            w(f"<details{' open' if i == 0 else ''}><summary>{key.capitalize()} ({len(summary[key])})"
              f"</summary><ol>{items}</ol></details>\n")
        w('</div>\n<div class="text">')
        pos = 0
        for u in report.units:  # the original text, each unit's span wrapped in its label's colour
            w(esc(report.text[pos:u.start]))
            tip = f"{u.label} {u.score:.2f} — {' > '.join(u.section)}"
            w(f'<span class="u {u.kind}" style="background:{COLOURS.get(u.label, "#fff")}" title="{esc(tip)}">'
              f"{esc(report.text[u.start:u.end])}</span>")
            pos = u.end
        w(esc(report.text[pos:]) + "</div>\n")

    def footer(self):
        self.out.write("</body></html>\n")


WRITERS = {"jsonl": JsonlWriter, "csv": CsvWriter, "md": MarkdownWriter, "html": HtmlWriter}

