"""The `govtag` command. Every input problem ends as one line on stderr and exit status 2."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from contextlib import nullcontext
from pathlib import Path

from .corpus import SOURCE_ROOT
from .errors import GovtagError
from .splits import DEFAULT_SEED

DEFAULT_CONFIG = str(SOURCE_ROOT / "configs" / "default.yaml")


def _docs(args) -> dict:
    from .corpus import load_corpus

    return {d.doc_id: d for d in load_corpus(getattr(args, "corpus", None))}


def cmd_data_stats(args) -> None:
    from .stats import data_stats, format_stats

    stats = data_stats(_docs(args))
    print(json.dumps(stats, ensure_ascii=False, indent=1) if args.json else format_stats(stats))


def cmd_data_segment(args) -> None:
    from .corpus import load_document
    from .segment import segment

    if args.file == "-":
        text, doc_id = sys.stdin.read(), "stdin"
    else:
        doc = load_document(args.file)
        text, doc_id = doc.text, doc.doc_id
    with (open(args.output, "w", encoding="utf-8") if args.output else nullcontext(sys.stdout)) as out:
        for u in segment(text, doc_id):
            out.write(json.dumps(u.to_dict(), ensure_ascii=False) + "\n")


def cmd_data_build(args) -> None:
    from .annotations import build_rows, load_gold, to_dataset
    from .files import atomic_dir
    from .splits import load_splits

    docs = _docs(args)
    rows = build_rows(docs, load_gold(docs), "gold")
    splits = load_splits()
    for r in rows:
        r["split"] = splits.get(r["doc_id"], "train")
    with atomic_dir(args.out) as tmp:
        to_dataset(rows).save_to_disk(str(tmp))
    print(f"wrote {len(rows)} units of {len({r['doc_id'] for r in rows})} reports "
          f"({sum(r['label'] is not None for r in rows)} with gold labels) to {args.out}")


def cmd_data_splits(args) -> None:
    from .annotations import load_gold
    from .dedup import duplicate_clusters, near_duplicate_pairs
    from .segment import segment
    from .splits import (gold_kinds, held_out_moves, load_completed_later, load_later_gold, load_splits, make_splits,
                         save_splits)

    docs = _docs(args)
    kinds = gold_kinds(load_gold(docs), {d: len(segment(doc.text, d)) for d, doc in docs.items()})
    pairs = near_duplicate_pairs(list(docs.values()))
    later, completed = load_later_gold(), load_completed_later()
    split = make_splits(list(docs.values()), kinds, duplicate_clusters(list(docs), pairs), seed=args.seed,
                        later_gold=later, completed_later=completed)
    try:
        recorded = load_splits()
    except GovtagError:
        if not args.write:
            raise
        recorded = {}  # no readable file yet: --write creates it
    if split == recorded:
        print(f"data/splits.json matches (seed {args.seed}); near-duplicate report pairs: {len(pairs)}")
        return
    # New gold reports not listed as later_gold would be dealt afresh and reshuffle dev and test.
    moves = held_out_moves(recorded, split)
    why = (f"; it would move {len(moves)} report(s) into or out of dev/test/fazhi ({', '.join(moves[:5])}"
           f"{', …' if len(moves) > 5 else ''}). Gold reports annotated after the splits were fixed belong"
           " under 'later_gold' in data/splits.json (they train), held-out reports completed later under"
           " 'completed_later'") if moves else ""
    if not args.write:
        raise GovtagError("data/splits.json differs from what the current annotations give" + why +
                          "; splits are fixed before tuning — change them only deliberately, with --write")
    if moves and not args.redeal:
        raise GovtagError("refusing to rewrite data/splits.json" + why + "; add --redeal to re-deal the splits on purpose")
    save_splits(split, seed=args.seed, later_gold=later, completed_later=completed,
                method="govtag.splits.make_splits over gold kinds and near-duplicate clusters")
    print("wrote data/splits.json")


def cmd_data_dedup(args) -> None:
    from .dedup import near_duplicate_pairs

    pairs = near_duplicate_pairs(list(_docs(args).values()), args.threshold)
    for a, b, c in pairs:
        print(f"{a}\t{b}\t{c:.3f}")
    print(f"{len(pairs)} near-duplicate pair(s) at containment ≥ {args.threshold}", file=sys.stderr)


def cmd_data_sheet(args) -> None:
    from .segment import segment
    from .sheets import write_sheet

    docs = _docs(args)
    missing = [d for d in args.doc_ids if d not in docs]
    if missing:
        raise GovtagError(f"no such document(s) in the corpus: {', '.join(missing)}")
    write_sheet(Path(args.out), [(d, segment(docs[d].text, d)) for d in args.doc_ids])


def cmd_data_import(args) -> None:
    from .sheets import sheet_to_records, write_records

    records = sheet_to_records(Path(args.sheet), _docs(args), args.annotator, args.doc_id)
    write_records(records, Path(args.out))
    print(f"wrote {len(records)} label records to {args.out}")


def cmd_data_silver(args) -> None:
    from .annotations import SILVER_DIR
    from .training.silver import label_rows, write_silver

    docs = _docs(args)
    if not args.score:
        out = Path(args.out) if args.out else SILVER_DIR / "silver-rules-v1.jsonl"
        n = write_silver(list(docs.values()), out)
        print(f"wrote {n} silver labels to {out}")
        return
    import numpy as np

    from .eval.harness import gold_rows
    from .eval.report import evaluate, format_summary
    from .labels import LABELS

    for split in ("train", "dev", "test", "fazhi"):
        rows = gold_rows(split, docs)
        probs = np.eye(len(LABELS))[[LABELS.index(label) for label in label_rows(rows)]]
        print(f"\n## rules labeller vs gold, {split} reports\n" + format_summary(evaluate(rows, probs, LABELS)))


def cmd_train(args) -> None:
    from .training.config import load_config
    from .training.trainer import train

    cfg = load_config(args.config, args.overrides)
    model_dir = train(cfg, resume=args.resume)
    metrics = json.loads((model_dir / "metrics.json").read_text())
    print(f"model written to {model_dir}")
    for name, m in metrics.items():
        if isinstance(m, dict):
            s = m["scores"]
            print(f"  {name:<8} macro-F1 {s['macro_f1']:.3f}  accuracy {s['accuracy']:.3f}  units {m['n_units']}")


def cmd_eval(args) -> None:
    from .eval.harness import evaluate_model

    evaluate_model(args.model, args.data, args.out)


def cmd_bench_parity(args) -> None:
    from .eval.bench import bench_parity

    result = bench_parity(args.model, args.onnx, args.data)
    Path(args.out).mkdir(parents=True, exist_ok=True)
    (Path(args.out) / "parity.json").write_text(json.dumps(result, indent=1))
    print(f"{args.data}: labels agree on {result['agreement_gold_units']:.2%} of {result['gold_units']} gold units "
          f"({result['agreement_all_units']:.2%} of all {result['all_units']} units read); macro-F1 "
          f"{result['reference_macro_f1']:.4f} (reference) vs {result['candidate_macro_f1']:.4f} (candidate)")


def _tag_inputs(inputs: list[str]) -> list[str | Path]:
    """The files named, the .txt files under the folders named (sorted), and "-" for stdin."""
    paths: list[str | Path] = []
    for item in inputs:
        path = Path(item)
        if item == "-":
            paths.append(item)
        elif path.is_dir():
            found = sorted(f for f in path.rglob("*.txt") if f.is_file())
            if not found:
                raise GovtagError(f"{path}: folder holds no .txt files")
            paths.extend(found)
        elif path.is_file():
            paths.append(path)
        else:
            raise GovtagError(f"{item}: no such file or folder")
    return paths


def cmd_tag(args) -> None:
    from tqdm import tqdm

    from .corpus import Document, load_document
    from .files import atomic_file
    from .formats import WRITERS
    from .tagger import Tagger

    paths = _tag_inputs(args.inputs)
    tagger = Tagger.from_pretrained(args.model, args.device, args.threads, args.batch_size)
    unreadable = []

    def documents():  # read lazily; a file that cannot be read is reported and skipped, not fatal
        for path in paths:
            if path == "-":
                yield Document("stdin", sys.stdin.read())
                continue
            try:
                yield load_document(path)
            except GovtagError as e:
                logging.getLogger("govtag").error("govtag: error: %s (skipped)", e)
                unreadable.append(str(path))

    with atomic_file(args.output) if args.output else nullcontext(sys.stdout) as out:
        writer = WRITERS[args.format](out, tagger.labels)
        writer.header()
        units = 0
        for report in tqdm(tagger.tag_documents(documents()), total=len(paths), unit="report",
                           disable=len(paths) < 2 or None):  # None: only on a terminal
            writer.write(report, tagger.summarize(report))
            units += len(report.units)
        writer.footer()
    tagged = len(paths) - len(unreadable)
    print(f"tagged {units} units in {tagged} report(s)" + (f" → {args.output}" if args.output else ""), file=sys.stderr)
    if unreadable:
        raise GovtagError(f"{len(unreadable)} of {len(paths)} input(s) could not be read: {', '.join(unreadable[:5])}")


def cmd_export(args) -> None:
    from .model.exporters import export_onnx

    out = export_onnx(args.model, args.out, quantize=not args.fp32)
    size = (out / "model.onnx").stat().st_size / 2**20
    print(f"wrote {out}/model.onnx ({size:.0f} MiB, {'fp32' if args.fp32 else 'int8 weights'}); "
          f"load it with govtag.Tagger.from_pretrained({str(out)!r}) or `govtag tag --model {out}`")


def cmd_bench_quality(args) -> None:
    from .eval.bench import bench_quality, quality_markdown
    from .training.config import load_config

    cfg = load_config(args.config, [f"output_dir={args.out}", *args.overrides])
    result = bench_quality(cfg, args.modes, args.seeds, args.loro_modes, baselines=not args.skip_baselines)
    Path(args.out).mkdir(parents=True, exist_ok=True)
    (Path(args.out) / "quality.json").write_text(json.dumps(result, indent=1, ensure_ascii=False))
    table = quality_markdown(result)
    (Path(args.out) / "quality.md").write_text(table)
    print(table)


def cmd_bench_speed(args) -> None:
    from .corpus import default_corpus_dir
    from .eval.bench import bench_speed, speed_markdown

    docs = default_corpus_dir() / "docs"
    workloads = {"long report (gwr-national-1955)": [docs / "gwr-national-1955.txt"],
                 "5 fazhi reports": sorted(docs.glob("fz-*.txt"))}
    result = bench_speed(args.model, workloads, args.batch_sizes, args.threads, Path(args.model[0]).parent / "train_log.jsonl")
    Path(args.out).mkdir(parents=True, exist_ok=True)
    (Path(args.out) / "speed.json").write_text(json.dumps(result, indent=1, ensure_ascii=False))
    table = speed_markdown(result)
    (Path(args.out) / "speed.md").write_text(table)
    print(table)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="govtag", description="Tag the units of Chinese government reports.")
    commands = parser.add_subparsers(dest="command", required=True)

    data = commands.add_parser("data", help="corpus, annotations and splits").add_subparsers(dest="data_command", required=True)
    p = data.add_parser("stats", help="documents, units, gold/silver counts, agreement")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_data_stats)
    p = data.add_parser("segment", help="units of a report file (or - for stdin) as JSONL")
    p.add_argument("file")
    p.add_argument("-o", "--output")
    p.set_defaults(func=cmd_data_segment)
    p = data.add_parser("build", help="write the gold-labelled dataset (datasets.Dataset) to a folder")
    p.add_argument("--out", default="runs/dataset")
    p.set_defaults(func=cmd_data_build)
    p = data.add_parser("splits", help="check (or --write) data/splits.json")
    p.add_argument("--write", action="store_true")
    p.add_argument("--redeal", action="store_true", help="with --write: allow reports to move into or out of dev/test")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.set_defaults(func=cmd_data_splits)
    p = data.add_parser("dedup", help="list near-duplicate report pairs")
    p.add_argument("--threshold", type=float, default=0.5)
    p.set_defaults(func=cmd_data_dedup)
    p = data.add_parser("sheet", help="write an annotation sheet for documents")
    p.add_argument("doc_ids", nargs="+")
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_data_sheet)
    p = data.add_parser("import-labels", help="turn a returned annotation sheet into standoff records")
    p.add_argument("sheet")
    p.add_argument("--annotator", required=True, help="who made these labels, e.g. 'person:wang' or 'ai-claude:ann-A'")
    p.add_argument("--out", required=True)
    p.add_argument("--doc-id", help="document of a two-column sheet (default: the sheet's file name)")
    p.set_defaults(func=cmd_data_import)
    p = data.add_parser("silver", help="label the whole corpus with the rules labeller (silver)")
    p.add_argument("--out")
    p.add_argument("--score", action="store_true", help="instead, score the rules labeller against gold, per split")
    p.set_defaults(func=cmd_data_silver)
    for sub in data.choices.values():
        sub.add_argument("--corpus", help="corpus folder (default: ../shared/corpus)")

    p = commands.add_parser("train", help="fine-tune a tagger from a config")
    p.add_argument("--config", default=DEFAULT_CONFIG)
    p.add_argument("--resume", action="store_true", help="continue an interrupted run in the same output_dir")
    p.add_argument("overrides", nargs="*", metavar="key=value")
    p.set_defaults(func=cmd_train)

    p = commands.add_parser("eval", help="score a model on gold data")
    p.add_argument("--model", required=True)
    p.add_argument("--data", required=True, help="a split of the project's gold (test, dev, fazhi) or an interchange JSONL file")
    p.add_argument("--out", help="report folder (default: MODEL/eval-<data>)")
    p.set_defaults(func=cmd_eval)

    p = commands.add_parser("tag", help="tag reports: files, folders (their .txt files) or - for stdin")
    p.add_argument("inputs", nargs="+", metavar="INPUT")
    p.add_argument("--model", default="runs/default/model", help="model folder (PyTorch or ONNX export)")
    p.add_argument("-o", "--output", help="output file (default: stdout)")
    p.add_argument("--format", choices=["jsonl", "csv", "md", "html"], default="jsonl")
    p.add_argument("--device", help="cpu or cuda (default: cuda when present)")
    p.add_argument("--threads", type=int, help="CPU threads for inference")
    p.add_argument("--batch-size", type=int, default=32)
    p.set_defaults(func=cmd_tag)

    p = commands.add_parser("export", help="export a model folder to ONNX with int8 weights, for fast CPU tagging")
    p.add_argument("--model", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--fp32", action="store_true", help="keep fp32 weights (no quantisation)")
    p.set_defaults(func=cmd_export)

    bench = commands.add_parser("bench", help="benchmarks").add_subparsers(dest="bench_command", required=True)
    p = bench.add_parser("quality", help="all baselines and context modes on the same splits and seeds")
    p.add_argument("--config", default=DEFAULT_CONFIG)
    p.add_argument("--out", default="runs/bench-quality")
    p.add_argument("--modes", nargs="*", default=["unit", "section", "sequential"], help="BERT context modes (none: baselines only)")
    p.add_argument("--seeds", nargs="+", type=int, default=[13, 14, 15])
    p.add_argument("--loro-modes", nargs="*", default=["sequential"], help="context modes also run leave-one-report-out")
    p.add_argument("--skip-baselines", action="store_true", help="BERT rows only (e.g. on a GPU machine)")
    p.add_argument("overrides", nargs="*", metavar="key=value")
    p.set_defaults(func=cmd_bench_quality)
    p = bench.add_parser("speed", help="tagging throughput and memory; training time per epoch")
    p.add_argument("--model", nargs="+", default=["runs/default/model"], help="model folders (PyTorch or ONNX), each run in its own process")
    p.add_argument("--out", default="runs/bench-speed")
    p.add_argument("--batch-sizes", nargs="+", type=int, default=[16, 64])
    p.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    p.set_defaults(func=cmd_bench_speed)
    p = bench.add_parser("parity", help="label agreement and macro-F1 of an export against its PyTorch model")
    p.add_argument("--model", default="runs/default/model", help="the reference (PyTorch) model folder")
    p.add_argument("--onnx", required=True, help="the exported folder to compare")
    p.add_argument("--data", default="test", help="gold split to compare on")
    p.add_argument("--out", default="runs/bench-parity")
    p.set_defaults(func=cmd_bench_parity)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        args.func(args)
    except GovtagError as e:
        print(f"govtag: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("govtag: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
