"""The numbers of the data card, computed from the files: `govtag data stats`."""

from __future__ import annotations

from collections import Counter, defaultdict

from .annotations import ADJUDICATION, GOLD_DIR, SILVER_DIR, passes_by_unit, read_label_dir, resolve_gold
from .corpus import Document
from .labels import LABELS
from .segment import segment
from .splits import load_splits


def agreement(files: dict) -> dict:
    """Raw agreement, Cohen's kappa and the confusion between the first two passes on every unit
    labelled by two passes (adjudication excluded)."""
    from sklearn.metrics import cohen_kappa_score

    pairs = [(rs[0].label, rs[1].label, k[0]) for k, rs in sorted(passes_by_unit(files).items()) if len(rs) >= 2]
    if not pairs:
        return {"units": 0}
    first, second, docs = zip(*pairs)
    confusion = Counter(zip(first, second))
    return {
        "units": len(pairs),
        "reports": len(set(docs)),
        "genres": sorted({d.split("-")[0] for d in docs}),
        "raw_agreement": sum(a == b for a, b in zip(first, second)) / len(pairs),
        "kappa": float(cohen_kappa_score(first, second, labels=list(LABELS))),
        "confusion": {f"{a}→{b}": n for (a, b), n in sorted(confusion.items()) if a != b},
        "adjudicated": len(files.get(ADJUDICATION, [])),
    }


def data_stats(docs: dict[str, Document]) -> dict:
    files = read_label_dir(GOLD_DIR, docs)
    gold = resolve_gold(files)
    splits = load_splits()
    unit_counts = {d: len(segment(doc.text, d)) for d, doc in docs.items()}
    silver_files = read_label_dir(SILVER_DIR, docs) if SILVER_DIR.is_dir() else {}
    silver = [r for records in silver_files.values() for r in records]

    by_genre_split: dict[str, Counter] = defaultdict(Counter)
    reports: dict[str, set] = defaultdict(set)
    for (doc_id, _, _), r in gold.items():
        key = f"{docs[doc_id].genre}/{splits.get(doc_id, '?')}"
        by_genre_split[key][r.label] += 1
        reports[key].add(doc_id)
    annotators = Counter(r.annotator for r in gold.values())
    return {
        "documents": dict(Counter(d.genre for d in docs.values())),
        "units": sum(unit_counts.values()),
        "gold_units": len(gold),
        "gold_reports": len({k[0] for k in gold}),
        "gold_labels": {label: sum(r.label == label for r in gold.values()) for label in LABELS},
        "gold_by_genre_split": {k: {"reports": len(reports[k]), **{label: c[label] for label in LABELS}}
                                for k, c in sorted(by_genre_split.items())},
        "gold_annotators": dict(annotators),
        "guidelines": sorted({r.guideline for r in gold.values() if r.guideline}),
        "agreement": agreement(files),
        "silver_units": len(silver),
        "silver_coverage": len(silver) / max(1, sum(unit_counts.values())),
        "silver_labels": dict(Counter(r.label for r in silver)),
        "silver_annotators": sorted({r.annotator for r in silver}),
    }


def format_stats(s: dict) -> str:
    lines = [f"documents: {s['documents']}   units (whole corpus): {s['units']}",
             f"gold units: {s['gold_units']} in {s['gold_reports']} reports   labels: {s['gold_labels']}",
             "", f"{'genre/split':<14} {'reports':>7} " + " ".join(f"{label:>11}" for label in LABELS)]
    for key, row in s["gold_by_genre_split"].items():
        lines.append(f"{key:<14} {row['reports']:>7} " + " ".join(f"{row[label]:>11}" for label in LABELS))
    a = s["agreement"]
    lines += ["", f"gold made by: {s['gold_annotators']}", f"guideline versions: {s['guidelines']}"]
    if a.get("units"):
        lines.append(f"double-annotated: {a['units']} units in {a['reports']} reports ({', '.join(a['genres'])}); "
                     f"raw agreement {a['raw_agreement']:.3f}, Cohen's kappa {a['kappa']:.3f}; "
                     f"disagreements {a['confusion'] or 'none'}; adjudicated {a['adjudicated']}")
    lines.append(f"silver: {s['silver_units']} units ({s['silver_coverage']:.1%} of the corpus) {s['silver_labels']} "
                 f"by {', '.join(s['silver_annotators']) or 'nobody yet (run `govtag data silver`)'}")
    return "\n".join(lines)
