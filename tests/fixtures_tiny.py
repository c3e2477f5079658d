"""Shared fixtures for the model and training tests: a tiny real BERT folder and synthetic reports.

Loaded by path from ``tests/conftest.py``, which re-exports the fixtures to every test folder
(under ``--import-mode=importlib`` the tests folder is not a package).

Nothing is loaded from a hub: the tokenizer vocabulary is made from the synthetic sentences below.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from govtag.labels import LABELS

# --- synthetic reports -----------------------------------------------------------------------------

TOPICS = ["城市更新", "乡村振兴", "科技创新", "生态环境", "教育事业", "医疗卫生", "交通设施", "文化旅游",
          "法治政府", "营商环境", "社会保障", "数字经济", "就业服务", "养老服务", "住房保障", "食品安全"]
# Each label has its own cue words, so the toy task is learnable from the unit text alone.
TEMPLATES = {
    "plan": ["明年我们将继续推进{t}工作。", "要进一步加强{t}建设。", "下一步将着力抓好{t}。"],
    "outcome": ["全年{t}投入增长{n}%。", "{t}指标同比增长{n}%。", "{t}收入增长{n}%，好于预期。"],
    "shortcoming": ["{t}方面仍存在不足。", "{t}工作还有不足之处。", "我们在{t}上的短板和不足依然明显。"],
    "measure": ["组织开展{t}专项检查。", "开展{t}集中整治行动。", "制定出台{t}实施办法。"],
    "other": ["各位代表：", "现在，我代表市人民政府报告工作，请予审议。", "以上报告，请各位代表审议。"],
}
SECTIONS = {
    "other": ["开头"],
    "measure": ["一、过去一年工作回顾", "（一）主要工作"],
    "outcome": ["一、过去一年工作回顾", "（二）主要成效"],
    "shortcoming": ["二、存在的问题和不足"],
    "plan": ["三、今年工作安排"],
}
# Reading order of a report: opening, review (measures and outcomes), problems, plans, closing.
ORDER = ["other", "measure", "outcome", "measure", "outcome", "shortcoming", "plan", "plan", "other"]
EXTRA = "另外还有一些与本句分类无关的补充说明文字。"  # digits, punctuation and these chars are in the vocab


def make_doc(doc_id: str, seed: int = 0, repeat: int = 2, genre: str = "gwr", year: int = 2024) -> list[dict]:
    """Rows (as ``govtag.annotations.unit_rows`` makes them) of one synthetic report, all labelled gold."""
    rng = random.Random(f"{doc_id}-{seed}")
    plan = [ORDER[0]] + [lab for _ in range(repeat) for lab in ORDER[1:-1]] + [ORDER[-1]]
    texts = []
    for lab in plan:
        t = rng.choice(TEMPLATES[lab]).format(t=rng.choice(TOPICS), n=rng.randint(2, 19))
        texts.append((lab, t))
    rows, pos = [], 0
    for i, (lab, text) in enumerate(texts):
        rows.append({
            "doc_id": doc_id, "genre": genre, "year": year, "index": i, "start": pos, "end": pos + len(text),
            "text": text, "kind": "heading" if text.endswith("：") else "text", "section": list(SECTIONS[lab]),
            "prev_text": texts[i - 1][1] if i else "", "next_text": texts[i + 1][1] if i + 1 < len(texts) else "",
            "label": lab, "label_source": "gold", "annotator": "synthetic",
        })
        pos += len(text) + 1
    return rows


def make_rows(doc_ids=("doc-a", "doc-b", "doc-c"), seed: int = 0, repeat: int = 2) -> list[dict]:
    return [r for d in doc_ids for r in make_doc(d, seed, repeat)]


def vocabulary_texts() -> list[str]:
    texts = [tpl.replace("{t}", "").replace("{n}", "") for tpls in TEMPLATES.values() for tpl in tpls] + TOPICS + [EXTRA, " > "]
    texts += [s for sec in SECTIONS.values() for s in sec]
    return texts


# --- the tiny model ----------------------------------------------------------------------------------

SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def build_tiny_base(folder: Path) -> Path:
    """A 2-layer BERT (hidden 32) and a character-level WordPiece tokenizer, saved as a HF folder."""
    import torch
    from transformers import BertConfig, BertModel, BertTokenizerFast

    chars = sorted({c for t in vocabulary_texts() for c in t if not c.isspace()} | set("0123456789%.,:;()-"))
    pieces = SPECIAL + chars + [f"##{d}" for d in "0123456789"]
    vocab = {p: i for i, p in enumerate(dict.fromkeys(pieces))}
    tokenizer = BertTokenizerFast(vocab=vocab, do_lower_case=False, model_max_length=512)
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=512, pad_token_id=vocab["[PAD]"])
    BertModel(config, add_pooling_layer=False).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


_BUILT: dict[str, Path] = {}


def tiny_base_dir(tmp_path_factory) -> Path:
    if "base" not in _BUILT:
        _BUILT["base"] = build_tiny_base(tmp_path_factory.mktemp("tiny-base") / "bert-tiny-zh")
    return _BUILT["base"]


# --- fixtures (re-exported by tests/conftest.py) ------------------------------------------------------------

@pytest.fixture(scope="session")
def tiny_base(tmp_path_factory) -> Path:
    """Folder of a tiny BERT + Chinese character tokenizer, built once per session."""
    return tiny_base_dir(tmp_path_factory)


def synthetic_report(seed: int = 0) -> tuple[str, dict[str, str]]:
    """A synthetic report as plain text with numbered headings, and each sentence's label.
    (No opening "other" part: its toy section 「开头」 is not a heading the segmenter opens.)"""
    rng = random.Random(seed)
    lines, truth, open_path = [], {}, []
    for label in ["measure", "outcome", "shortcoming", "plan"]:
        path = SECTIONS[label]  # open the headings that the previous section did not
        lines += [h for i, h in enumerate(path) if open_path[:i + 1] != path[:i + 1]]
        open_path = path
        sentences = [rng.choice(TEMPLATES[label]).format(t=rng.choice(TOPICS), n=rng.randint(2, 19)) for _ in range(3)]
        truth.update({s: label for s in sentences})
        lines.append("".join(sentences))
    return "\n".join(lines) + "\n", truth


@pytest.fixture(scope="session")
def tiny_tagger(tmp_path_factory) -> Path:
    """A tiny section-mode, mean-pooling tagger (as the default) trained on synthetic reports until it
    tags them right, built once."""
    from govtag.model.modeling import ContextConfig
    from govtag.training.config import TrainConfig
    from govtag.training.data import TrainingData
    from govtag.training.trainer import train

    out = tmp_path_factory.mktemp("tiny-tagger")
    train_rows = make_rows(("t1", "t2", "t3", "t4"), seed=0, repeat=3)
    dev = make_rows(("d1",), seed=1)
    notes = {"train_reports": 4, "silver_only_reports": 0, "train_gold_units": len(train_rows), "train_silver_units": 0,
             "dev_reports": 1, "dev_gold_units": len(dev), "units_unlabelled_for_leakage": 0}
    data = TrainingData(train_rows, dev, {"test": make_rows(("x1", "x2"), seed=2)}, notes)
    cfg = TrainConfig(base_model=str(tiny_base_dir(tmp_path_factory)), trim_vocab=False, output_dir=str(out), seed=7,
                      epochs=8, batch_size=4, learning_rate=3e-3, warmup_ratio=0.1, patience=10, threads=1,
                      context=ContextConfig(mode="section", max_length=96, max_unit_tokens=32, pooling="mean"))
    return train(cfg, data=data)


@pytest.fixture
def synthetic_rows() -> list[dict]:
    """Three small synthetic reports (17 units each), every unit gold-labelled with a learnable label."""
    return make_rows()


@pytest.fixture
def make_synthetic():
    """``make_rows`` itself, for tests that need other documents."""
    return make_rows


@pytest.fixture(autouse=True, scope="session")
def _few_threads():
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(min(2, previous))
    yield
    torch.set_num_threads(previous)


@pytest.fixture(autouse=True)
def _keep_torch_threads():
    """``train`` sets torch's thread count from the config; don't let that leak into other tests."""
    import torch

    previous = torch.get_num_threads()
    yield
    torch.set_num_threads(previous)


assert set(TEMPLATES) == set(LABELS)
