"""`govtag bench quality`: every model on the same splits and seeds, as one Markdown table.

Rows: majority class, the rules (silver) labeller, TF-IDF + logistic regression (unit alone and
with its section path), and the BERT tagger in each context mode. Columns: the gwr test reports,
the five fazhi reports as a cross-genre test (no fazhi report in training), and leave-one-
report-out over the fazhi reports (trained on gwr plus the four other fazhi reports).
"""

from __future__ import annotations

import copy
import json
import platform
import subprocess
import time
from pathlib import Path

import numpy as np

from ..labels import LABELS
from ..training.config import TrainConfig
from ..training.data import TrainingData, load_training_data
from .baselines import MajorityBaseline, RulesBaseline, TfidfBaseline
from .report import evaluate

FAZHI_DOCS = "fazhi"


def _summary(result: dict) -> dict:
    """The table's view of an evaluation (``evaluate()`` output or a ``metrics.json`` entry)."""
    return {"macro_f1": result["scores"]["macro_f1"], "ci": [result["bootstrap"]["low"], result["bootstrap"]["high"]],
            "f1": {k: v["f1"] for k, v in result["scores"]["per_class"].items()}, "n_units": result["n_units"]}


def _score(rows: list[dict], probs: np.ndarray) -> dict:
    return _summary(evaluate(rows, probs, LABELS))


def _loro_config(cfg: TrainConfig, doc: str) -> TrainConfig:
    """Train on everything ``cfg`` trains on plus the fazhi reports, except ``doc``; test on it."""
    c = copy.deepcopy(cfg)
    c.train_splits = [*cfg.train_splits, "fazhi"]
    c.test_splits, c.test_docs = [], [doc]
    c.output_dir = f"{cfg.output_dir}/loro-{doc}"
    return c


def _baselines() -> dict:
    return {"majority": MajorityBaseline, "rules (silver labeller)": RulesBaseline,
            "tfidf unit": lambda: TfidfBaseline(with_section=False),
            "tfidf unit+section": lambda: TfidfBaseline(with_section=True)}


def _gold_only(rows: list[dict]) -> list[dict]:
    return [r if r["label_source"] == "gold" else {**r, "label": None, "label_source": None} for r in rows]


def _baseline_results(cfg: TrainConfig, data: TrainingData, loro: list[tuple[str, TrainingData]]) -> dict:
    results = {}
    for name, make in _baselines().items():
        model = make().fit(_gold_only(data.train))
        entry = {split: _score(rows, model.predict_proba(rows)) for split, rows in data.test.items()}
        per_doc = {}
        for doc, d in loro:
            m = make().fit(_gold_only(d.train))
            per_doc[doc] = _score(d.test[doc], m.predict_proba(d.test[doc]))["macro_f1"]
        entry["loro"] = per_doc
        results[name] = entry
    return results


def _bert_results(cfg: TrainConfig, modes: list[str], seeds: list[int], loro: list[tuple[str, TrainingData]],
                  loro_modes: list[str]) -> dict:
    from ..training.trainer import train

    results = {}
    for mode in modes:
        runs = []
        for seed in seeds:
            c = copy.deepcopy(cfg)
            c.context.mode, c.seed = mode, seed
            c.output_dir = f"{cfg.output_dir}/{mode}-seed{seed}"
            started = time.time()
            metrics = json.loads((train(c) / "metrics.json").read_text())
            run = {split: _summary(m) for split, m in metrics.items() if isinstance(m, dict)}
            run["seconds"] = round(time.time() - started, 1)
            if mode in loro_modes:
                run["loro"] = {}
                for doc, d in loro:
                    m = json.loads((train(_loro_config(c, doc), data=d) / "metrics.json").read_text())
                    run["loro"][doc] = m[doc]["scores"]["macro_f1"]
            runs.append(run)
        results[f"bert {mode}"] = runs
    return results


def bench_quality(cfg: TrainConfig, modes: list[str], seeds: list[int], loro_modes: list[str],
                  baselines: bool = True) -> dict:
    """Train and score everything; returns a JSON-able dict (see ``quality_markdown``).

    The protocol is fixed here, whatever the config says about splits: training on the non-fazhi
    training splits, testing on gwr test and (cross-genre) on the fazhi reports, then
    leave-one-report-out over the fazhi reports."""
    cfg = copy.deepcopy(cfg)
    cfg.train_splits = [s for s in cfg.train_splits if s != FAZHI_DOCS] or ["train"]
    cfg.test_splits, cfg.test_docs = ["test", FAZHI_DOCS], []
    data = load_training_data(cfg)
    fazhi_docs = sorted({r["doc_id"] for r in data.test.get(FAZHI_DOCS, [])})
    loro = [(doc, load_training_data(_loro_config(cfg, doc))) for doc in fazhi_docs]
    return {
        "machine": machine(), "commit": _commit(), "seeds": seeds, "config": cfg.to_dict(),
        "baselines": _baseline_results(cfg, data, loro) if baselines else {},
        "bert": _bert_results(cfg, modes, seeds, loro, loro_modes),
    }


def _mean(values: list[float]) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return "n/a"
    return f"{np.mean(values):.3f}" + (f" ± {np.std(values):.3f}" if len(values) > 1 else "")


def quality_markdown(result: dict) -> str:
    """The table: macro-F1 per set (mean ± std over seeds for BERT), then per-class F1 on gwr test."""
    head = ["model", "gwr test macro-F1", "fazhi cross-genre macro-F1", "fazhi leave-one-out macro-F1",
            *[f"test F1 {label}" for label in LABELS]]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]

    def row(name: str, runs: list[dict]) -> str:
        loro = [np.mean(list(r["loro"].values())) if r.get("loro") else None for r in runs]
        cells = [name, _mean([r["test"]["macro_f1"] for r in runs if "test" in r]),
                 _mean([r["fazhi"]["macro_f1"] for r in runs if "fazhi" in r]), _mean(loro),
                 *[_mean([r["test"]["f1"][label] for r in runs if "test" in r]) for label in LABELS]]
        return "| " + " | ".join(cells) + " |"

    lines += [row(name, [r]) for name, r in result["baselines"].items()]
    lines += [row(name, runs) for name, runs in result["bert"].items()]
    m = result["machine"]
    lines += ["", f"Commit {result['commit']}, seeds {result['seeds']}, on {m['cpu']} ({m['cores']} cores"
              + (f", GPU {m['gpu']}" if m.get("gpu") else "") + ")."]
    return "\n".join(lines) + "\n"


def machine() -> dict:
    import os

    import torch

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return {"cpu": cpu, "cores": os.cpu_count(), "gpu": gpu, "torch": torch.__version__, "python": platform.python_version()}


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _speed_one_model(model_dir: str, doc_paths: dict[str, list[str]], batch_sizes: list[int], threads: list[int]) -> dict:
    """Runs in a fresh process, so that its peak RSS belongs to this model and runtime alone."""
    import resource

    from ..model.modeling import load_tagger
    from ..tagger import Tagger

    results = []
    for n_threads in threads:
        model = load_tagger(model_dir, "cpu", n_threads)
        for batch_size in batch_sizes:
            tagger = Tagger(model, batch_size)
            tagger.tag("热身。")  # first-call setup is not throughput
            for workload, paths in doc_paths.items():
                started = time.perf_counter()
                units = sum(len(r.units) for r in tagger.tag_documents(paths))  # reads, segments, tags
                seconds = time.perf_counter() - started
                results.append({"workload": workload, "runtime": model.runtime, "threads": n_threads, "batch_size": batch_size,
                                "units": units, "seconds": round(seconds, 2), "units_per_second": round(units / seconds, 1)})
    peak = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return {"model": model_dir, "results": results, "peak_rss_mb": peak}


def bench_speed(model_dirs: list[str | Path], doc_paths: dict[str, list[Path]], batch_sizes: list[int],
                threads: list[int], train_log: Path | None = None) -> dict:
    """Units per second end to end (``Tagger.tag_documents``: read the files, segment, tag) for each
    model folder (PyTorch or ONNX), workload, thread count and batch size; the peak RSS of each
    model's process; training seconds per epoch."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    paths = {w: [str(p) for p in ps] for w, ps in doc_paths.items()}
    models = []
    for model_dir in model_dirs:
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            models.append(pool.submit(_speed_one_model, str(model_dir), paths, batch_sizes, threads).result())
    epochs = [json.loads(line) for line in Path(train_log).read_text().splitlines()] if train_log and Path(train_log).is_file() else []
    return {"machine": machine(), "commit": _commit(), "models": models,
            "train_epoch_seconds": [e["epoch_seconds"] for e in epochs]}


def bench_parity(reference_dir: str | Path, candidate_dir: str | Path, split: str = "test") -> dict:
    """How far a candidate runtime (e.g. the int8 ONNX export) is from the reference (PyTorch fp32)
    on the gold units of one split: label agreement and macro-F1 of both."""
    from ..eval.harness import gold_rows
    from ..model.modeling import load_tagger

    rows = gold_rows(split)
    labelled = np.array([r["label"] is not None for r in rows])
    gold = [r for r in rows if r["label"] is not None]
    out = {"split": split, "reference": str(reference_dir), "candidate": str(candidate_dir),
           "gold_units": len(gold), "all_units": len(rows)}
    probs = {}
    for name, path in (("reference", reference_dir), ("candidate", candidate_dir)):
        probs[name] = load_tagger(path).predict_proba(rows)  # every unit, so each is read in its context
        out[f"{name}_macro_f1"] = _score(gold, probs[name][labelled])["macro_f1"]
    same = probs["reference"].argmax(1) == probs["candidate"].argmax(1)
    out["agreement_gold_units"] = float(same[labelled].mean())
    out["agreement_all_units"] = float(same.mean())
    out["max_probability_difference"] = float(np.abs(probs["reference"] - probs["candidate"]).max())
    return out


def speed_markdown(result: dict) -> str:
    lines = ["| workload | runtime | threads | batch size | units | seconds | units/s | peak RSS of the model's process |",
             "|---|---|---|---|---|---|---|---|"]
    lines += [f"| {r['workload']} | {r['runtime']} | {r['threads']} | {r['batch_size']} | {r['units']} | {r['seconds']} "
              f"| {r['units_per_second']} | {m['peak_rss_mb']} MB |" for m in result["models"] for r in m["results"]]
    m = result["machine"]
    lines += ["", f"Models: {', '.join(x['model'] for x in result['models'])}. "
              f"Training seconds per epoch (default config): {result['train_epoch_seconds'] or 'n/a'}.",
              f"Commit {result['commit']}, {m['cpu']} ({m['cores']} cores), torch {m['torch']}."]
    return "\n".join(lines) + "\n"
