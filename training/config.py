"""Training configuration: a small dataclass, read from YAML, overridable with ``key=value``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import yaml

from ..errors import GovtagError
from ..model.modeling import ContextConfig

OFFLINE_BASE = "offline:multilingual-e5-small"  # materialised from PyPI packages, no hub needed


@dataclass
class TrainConfig:
    base_model: str = OFFLINE_BASE  # or any BERT-family Hub name / local folder
    trim_vocab: bool = True  # offline base only: keep the pieces Chinese reports need
    num_layers: int | None = None  # keep only the first N encoder layers (None: all)
    # Frozen parameters get no gradient and no optimizer state: the embedding matrix is half of
    # the default's parameters (README, "Training time on this CPU").
    freeze_embeddings: bool = False
    freeze_layers: int = 0  # the first N encoder layers stay as pretrained
    context: ContextConfig = field(default_factory=ContextConfig)
    output_dir: str = "runs/default"
    seed: int = 13
    epochs: int = 4
    batch_size: int = 8
    group_by_length: bool = True  # batches of windows of similar length: less padding, faster
    learning_rate: float = 5e-5
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    patience: int = 2  # epochs without a better dev macro-F1 before stopping
    class_weighting: str = "sqrt_inverse"  # none | inverse | sqrt_inverse (label frequency)
    silver_weight: float = 0.3  # loss weight of a silver label relative to gold
    split_weights: dict[str, float] = field(default_factory=dict)  # loss weight of a split's gold labels (default 1)
    silver_docs: int = 0  # silver-only training reports to sample (-1: all)
    silver_min_year: int = 1990  # older reports read differently and the rules label them poorly
    train_splits: list[str] = field(default_factory=lambda: ["train"])
    dev_split: str = "dev"
    test_splits: list[str] = field(default_factory=lambda: ["test", "fazhi"])
    test_docs: list[str] = field(default_factory=list)  # extra held-out reports (leave-one-out)
    threads: int | None = None  # torch CPU threads (None: torch's default)

    def __post_init__(self) -> None:
        if isinstance(self.context, dict):
            self.context = _build(ContextConfig, self.context, "context")
        for f in fields(self):  # YAML 1.1 reads "1e-4" as a string, not a float
            value = getattr(self, f.name)
            if f.type == "float" and isinstance(value, (int, str)) and not isinstance(value, bool):
                try:
                    setattr(self, f.name, float(value))
                except ValueError:
                    raise GovtagError(f"{f.name} must be a number, got {value!r}") from None
        if not isinstance(self.split_weights, dict):
            raise GovtagError(f"split_weights must map split names to weights, got {self.split_weights!r}")
        for split, weight in self.split_weights.items():
            if split not in self.train_splits:
                raise GovtagError(f"split_weights: {split!r} is not a training split ({', '.join(self.train_splits)})")
            if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight < 0:
                raise GovtagError(f"split_weights.{split} must be a number ≥ 0, got {weight!r}")
        if self.freeze_layers < 0:
            raise GovtagError(f"freeze_layers must be 0 or more, got {self.freeze_layers}")
        if self.class_weighting not in ("none", "inverse", "sqrt_inverse"):
            raise GovtagError(f"class_weighting must be none, inverse or sqrt_inverse, got {self.class_weighting!r}")

    def to_dict(self) -> dict:
        return asdict(self)


def _build(cls, values: dict, where: str):
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise GovtagError(f"{where}: unknown setting(s) {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    for f in fields(cls):  # checked before __post_init__ compares them with numbers
        value = values.get(f.name)
        if f.type in ("int", "int | None") and value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise GovtagError(f"{where}: {f.name} must be a whole number, got {value!r}")
    return cls(**values)


def _parse_value(text: str):
    return yaml.safe_load(text)  # "3" → 3, "0.5" → 0.5, "true" → True, "[a, b]" → list, "null" → None


def load_config(path: str | Path | None = None, overrides: list[str] = ()) -> TrainConfig:
    """A TrainConfig from a YAML file plus ``key=value`` / ``context.key=value`` overrides."""
    values: dict = {}
    if path is not None:
        path = Path(path)
        try:
            values = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except FileNotFoundError:
            raise GovtagError(f"{path}: config file not found") from None
        except yaml.YAMLError as e:
            raise GovtagError(f"{path}: invalid YAML ({e})") from None
        if not isinstance(values, dict):
            raise GovtagError(f"{path}: expected a mapping of settings")
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep:
            raise GovtagError(f"override {item!r} must look like key=value")
        target = values
        *parents, leaf = key.split(".")
        for p in parents:
            target = target.setdefault(p, {})
        target[leaf] = _parse_value(raw)
    return _build(TrainConfig, values, str(path or "config"))


def config_yaml(config: TrainConfig) -> str:
    return yaml.safe_dump(config.to_dict(), sort_keys=False, allow_unicode=True)
