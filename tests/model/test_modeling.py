"""The unit classifier on a tiny real BERT: how rows become windows, what the tagger outputs, and how
a model folder is written and read back."""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import asdict

import numpy as np
import pytest
import torch

from govtag.errors import GovtagError
from govtag.labels import LABELS
from govtag.model import modeling
from govtag.model.modeling import (IGNORE, ContextConfig, Encoder, UnitTagger, Window, collate, pool_logits,
                                   section_text)

LOGGER = "govtag.model.modeling"


# --- helpers -------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tokenizer(tiny_base):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(tiny_base))


def ids(tokenizer, text: str) -> list[int]:
    return tokenizer(text, add_special_tokens=False)["input_ids"]


def unique(rows: list[dict]) -> list[dict]:
    """The rows with a distinct number before each text, so a (truncated) token run identifies its row."""
    return [{**r, "text": f"{100 + k}{r['text']}"} for k, r in enumerate(rows)]


def segments(window: Window, sep: int) -> list[list[int]]:
    """The units of a sequential window: the token runs between [CLS]/[SEP] and each [SEP]."""
    out, current = [], []
    for t in window.input_ids[1:]:
        if t == sep:
            out.append(current)
            current = []
        else:
            current.append(t)
    assert not current, "a sequential window ends with [SEP]"
    return out


def window_rows(window: Window, rows, tokenizer, sep: int, limit: int = 10_000) -> list[int]:
    """Row index of every unit in the window (scored or context), found by its first ``limit`` tokens."""
    by_tokens = {tuple(ids(tokenizer, r["text"])[:limit]): i for i, r in enumerate(rows)}
    assert len(by_tokens) == len(rows), "test rows must have distinct texts"
    return [by_tokens[tuple(s)] for s in segments(window, sep)]


def check_sequential(windows, rows, tokenizer, max_length: int, limit: int = 22) -> None:
    """Invariants of every sequential encoding."""
    sep, cls = tokenizer.sep_token_id, tokenizer.cls_token_id
    counts = Counter(u for w in windows for u in w.units)
    assert counts == Counter(range(len(rows))), "every row is scored in exactly one window"
    for w in windows:
        assert len(w.input_ids) <= max_length
        assert w.input_ids[0] == cls and w.input_ids[-1] == sep
        assert len(w.spans) == len(w.units) == len(w.labels) == len(w.weights)
        assert all(e - s == 1 and w.input_ids[s] == sep for s, e in w.spans), "units are classified at their own [SEP]"
        members = window_rows(w, rows, tokenizer, sep, limit)
        # The scored units are a contiguous run inside the window, in reading order.
        first = members.index(w.units[0])
        assert members[first: first + len(w.units)] == w.units
        sep_at = [i for i, t in enumerate(w.input_ids) if t == sep]
        assert [s for s, _ in w.spans] == sep_at[first: first + len(w.units)]
        # No window mixes documents or jumps over a gap in ``index``.
        docs = {rows[i]["doc_id"] for i in members}
        assert len(docs) == 1, f"window mixes documents {docs}"
        idx = [rows[i]["index"] for i in members]
        assert idx == list(range(idx[0], idx[0] + len(idx))), f"window is not a run of neighbours: {idx}"


# --- Encoder ---------------------------------------------------------------------------------------------

def test_unit_mode_is_cls_text_sep(tokenizer, synthetic_rows):
    rows = synthetic_rows
    targets = [LABELS.index(r["label"]) for r in rows]
    windows = Encoder(tokenizer, ContextConfig(mode="unit", max_length=64, max_unit_tokens=32)).windows(rows, targets)
    assert len(windows) == len(rows)
    for i, (w, r) in enumerate(zip(windows, rows)):
        assert w.input_ids == [tokenizer.cls_token_id, *ids(tokenizer, r["text"]), tokenizer.sep_token_id]
        assert w.spans == [(0, 1)] and w.units == [i] and w.labels == [targets[i]] and w.weights == [1.0]
    assert tokenizer.unk_token_id not in {t for w in windows for t in w.input_ids}, "the tiny vocab covers the rows"


def test_section_mode_second_segment_is_the_section(tokenizer, synthetic_rows):
    rows = synthetic_rows
    windows = Encoder(tokenizer, ContextConfig(mode="section", max_length=96, max_unit_tokens=32)).windows(rows)
    cls, sep = tokenizer.cls_token_id, tokenizer.sep_token_id
    for i, (w, r) in enumerate(zip(windows, rows)):
        unit, section = ids(tokenizer, r["text"]), ids(tokenizer, section_text(r["section"]))
        assert w.input_ids == [cls, *unit, sep, *section, sep]
        assert w.spans == [(0, 1)] and w.units == [i] and w.labels == [IGNORE]
    two_levels = next(w for w, r in zip(windows, rows) if len(r["section"]) == 2)
    second = two_levels.input_ids[two_levels.input_ids.index(sep) + 1: -1]
    assert tokenizer.decode(second).replace(" ", "") == "一、过去一年工作回顾>（一）主要工作"


def test_section_text_keeps_two_innermost_headings():
    assert section_text(["一、回顾", "（一）经济", "1.工业"]) == "（一）经济 > 1.工业"
    assert section_text(["开头"]) == "开头"
    assert section_text([]) == ""
    assert section_text(["一、回顾", "（一）经济", "1.工业"], headings=0) == "一、回顾 > （一）经济 > 1.工业"
    assert section_text(["一、回顾", "（一）经济", "1.工业"], headings=1) == "1.工业"


@pytest.mark.parametrize("max_length,max_unit_tokens,max_section_tokens", [(20, 18, 32), (40, 16, 8), (96, 32, 32)])
def test_section_mode_stays_within_max_length(tokenizer, synthetic_rows, max_length, max_unit_tokens, max_section_tokens):
    rows = [{**r, "section": ["一、过去一年工作回顾主要工作和主要成效", "（二）主要成效和主要工作"]} for r in synthetic_rows]
    ctx = ContextConfig(mode="section", max_length=max_length, max_unit_tokens=max_unit_tokens,
                        max_section_tokens=max_section_tokens)
    windows = Encoder(tokenizer, ctx).windows(rows)
    assert max(len(w.input_ids) for w in windows) <= max_length
    assert all(w.input_ids[0] == tokenizer.cls_token_id and w.input_ids[-1] == tokenizer.sep_token_id for w in windows)


def test_section_mode_with_neighbours_reads_the_units_around(tokenizer, make_synthetic):
    rows = unique(make_synthetic(("doc-a", "doc-b"), repeat=2))
    ctx = ContextConfig(mode="section", max_length=96, max_unit_tokens=22, max_section_tokens=16, neighbour_tokens=5)
    windows = Encoder(tokenizer, ctx).windows(rows)
    cls, sep = tokenizer.cls_token_id, tokenizer.sep_token_id
    doc_of = [r["doc_id"] for r in rows]
    for i, (w, r) in enumerate(zip(windows, rows)):
        # Neighbours come from the same document only: a document's first unit has none before it.
        before = ids(tokenizer, rows[i - 1]["text"])[:22][-5:] if i and doc_of[i - 1] == doc_of[i] else []
        after = ids(tokenizer, rows[i + 1]["text"])[:5] if i + 1 < len(rows) and doc_of[i + 1] == doc_of[i] else []
        unit, section = ids(tokenizer, r["text"])[:22], ids(tokenizer, section_text(r["section"]))[:16]
        assert w.input_ids == [cls, *unit, sep, *section, sep, *before, sep, *after, sep]
        assert w.spans == [(0, 1)] and w.units == [i] and len(w.input_ids) <= 96
    assert doc_of.count("doc-a") > 1 and "doc-b" in doc_of


def test_section_neighbours_must_fit_max_length():
    with pytest.raises(GovtagError, match="neighbour_tokens"):
        ContextConfig(mode="section", max_length=64, max_unit_tokens=32, max_section_tokens=16, neighbour_tokens=8)


@pytest.mark.parametrize("max_length,context_units", [(256, 2), (64, 2), (40, 1), (24, 3), (64, 0)])
def test_sequential_windows(tokenizer, make_synthetic, max_length, context_units):
    rows = unique(make_synthetic(("doc-a", "doc-b", "doc-c"), repeat=3))
    ctx = ContextConfig(mode="sequential", max_length=max_length, max_unit_tokens=22, context_units=context_units)
    targets = [LABELS.index(r["label"]) for r in rows]
    weights = [0.5 if i % 2 else 1.0 for i in range(len(rows))]
    windows = Encoder(tokenizer, ctx).windows(rows, targets, weights)
    check_sequential(windows, rows, tokenizer, max_length)
    for w in windows:
        assert w.labels == [targets[u] for u in w.units] and w.weights == [weights[u] for u in w.units]
    if max_length == 256:
        assert len(windows) < len(rows) / 3, "a long window packs many units"
        assert max(len(w.units) for w in windows) > 5


def test_sequential_context_units_are_neighbours_and_not_scored(tokenizer, make_synthetic):
    rows = unique(make_synthetic(("doc-a",), repeat=4))
    ctx = ContextConfig(mode="sequential", max_length=80, max_unit_tokens=22, context_units=2)
    windows = Encoder(tokenizer, ctx).windows(rows, [LABELS.index(r["label"]) for r in rows])
    check_sequential(windows, rows, tokenizer, 80)
    assert len(windows) > 3
    saw_left = saw_right = False
    for w in windows:
        members = window_rows(w, rows, tokenizer, tokenizer.sep_token_id, 22)
        first = members.index(w.units[0])
        left, right = members[:first], members[first + len(w.units):]
        assert len(left) <= 2 and len(right) <= 2
        assert left == list(range(w.units[0] - len(left), w.units[0]))
        assert right == list(range(w.units[-1] + 1, w.units[-1] + 1 + len(right)))
        saw_left |= bool(left)
        saw_right |= bool(right)
        # Context units are read but not pooled: only the scored [SEP]s are.
        batch = collate([w], tokenizer.pad_token_id)
        assert (batch["pool"][0].sum(dim=0) > 0).nonzero().flatten().tolist() == [s for s, _ in w.spans]
    assert saw_left and saw_right, "windows in the middle of a report carry context on both sides"
    assert windows[0].units[0] == 0 and windows[-1].units[-1] == len(rows) - 1


def test_sequential_first_window_of_a_document_has_no_left_context(tokenizer, make_synthetic):
    rows = unique(make_synthetic(("doc-a", "doc-b"), repeat=2))
    windows = Encoder(tokenizer, ContextConfig(mode="sequential", max_length=64, max_unit_tokens=22)).windows(rows)
    starts = [i for i, r in enumerate(rows) if r["index"] == 0]
    for w in windows:
        if w.units[0] in starts:
            assert window_rows(w, rows, tokenizer, tokenizer.sep_token_id, 22)[0] == w.units[0]


def test_sequential_new_document_or_index_gap_starts_a_new_run(tokenizer, make_synthetic):
    doc_a, doc_b = (unique(make_synthetic((d,), repeat=2)) for d in ("doc-a", "doc-b"))
    doc_b = [{**r, "text": "0" + r["text"]} for r in doc_b]  # distinct from doc-a's texts
    gap = [r for r in doc_a if r["index"] not in (5, 6)]  # units 5 and 6 not given
    rows = gap + doc_b
    ctx = ContextConfig(mode="sequential", max_length=512, max_unit_tokens=22, context_units=3)
    windows = Encoder(tokenizer, ctx).windows(rows)
    check_sequential(windows, rows, tokenizer, 512)
    # Everything would fit in one window; the gap and the new document force three runs.
    assert len(windows) == 3
    assert [[rows[u]["index"] for u in w.units][:1] for w in windows] == [[0], [7], [0]]
    assert {rows[u]["doc_id"] for u in windows[2].units} == {"doc-b"}


def test_sequential_reordered_rows_never_share_a_window(tokenizer, make_synthetic):
    rows = unique(make_synthetic(("doc-a", "doc-b"), repeat=1))
    interleaved = [r for pair in zip(rows[: len(rows) // 2], rows[len(rows) // 2:]) for r in pair]
    windows = Encoder(tokenizer, ContextConfig(mode="sequential", max_length=512, max_unit_tokens=22)).windows(interleaved)
    check_sequential(windows, interleaved, tokenizer, 512)
    assert all(len(w.units) == 1 for w in windows)


def test_long_units_are_truncated_with_a_warning(tokenizer, synthetic_rows, caplog):
    long_text = "开展乡村振兴专项检查" * 30  # 300 tokens
    rows = [{**r, "text": long_text} if r["index"] in (2, 3, 4) else r for r in synthetic_rows]
    too_long = sum(len(ids(tokenizer, r["text"])) > 16 for r in rows)
    assert too_long >= 9
    ctx = ContextConfig(mode="sequential", max_length=40, max_unit_tokens=16, context_units=2)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        windows = Encoder(tokenizer, ctx).windows(rows)
    assert f"{too_long} unit(s) longer than 16 tokens were truncated" in caplog.text
    first = rows[next(i for i, r in enumerate(rows) if r["text"] == long_text)]
    assert f"{first['doc_id']} unit {first['index']}" in caplog.text  # says where
    assert max(len(w.input_ids) for w in windows) <= 40
    assert Counter(u for w in windows for u in w.units) == Counter(range(len(rows)))
    sep = tokenizer.sep_token_id
    truncated = [i for i, r in enumerate(rows) if r["text"] == long_text]
    for w in windows:
        for u, (p, _) in zip(w.units, w.spans):
            if u in truncated:
                assert w.input_ids[p - 16: p] == ids(tokenizer, long_text)[:16] and w.input_ids[p - 17] in (
                    sep, tokenizer.cls_token_id)

    caplog.clear()
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        unit_windows = Encoder(tokenizer, ContextConfig(mode="unit", max_length=18, max_unit_tokens=16)).windows(rows)
    assert "truncated" in caplog.text
    assert max(len(w.input_ids) for w in unit_windows) == 18


def test_no_warning_when_nothing_is_truncated(tokenizer, synthetic_rows, caplog):
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        Encoder(tokenizer, ContextConfig(mode="sequential", max_length=256, max_unit_tokens=64)).windows(synthetic_rows)
    assert "truncated" not in caplog.text


def test_tiny_max_length_puts_one_unit_per_window(tokenizer, synthetic_rows):
    rows = unique(synthetic_rows)
    ctx = ContextConfig(mode="sequential", max_length=6, max_unit_tokens=4, context_units=2)
    windows = Encoder(tokenizer, ctx).windows(rows)
    assert all(len(w.input_ids) <= 6 for w in windows)
    assert [w.units for w in windows] == [[i] for i in range(len(rows))]
    assert all(w.spans == [(5, 6)] for w in windows)  # [CLS] + 4 tokens, then the unit's [SEP]


def test_empty_rows_and_empty_text(tokenizer, synthetic_rows):
    for mode in ("unit", "section", "sequential"):
        assert Encoder(tokenizer, ContextConfig(mode=mode)).windows([]) == []
    rows = [{**synthetic_rows[0], "text": ""}, synthetic_rows[1]]
    windows = Encoder(tokenizer, ContextConfig(mode="sequential")).windows(rows)
    assert windows[0].input_ids[:2] == [tokenizer.cls_token_id, tokenizer.sep_token_id]
    assert windows[0].units == [0, 1] and windows[0].spans[0] == (1, 2)


def test_context_config_validation():
    with pytest.raises(GovtagError, match="context mode 'paragraph'"):
        ContextConfig(mode="paragraph")
    with pytest.raises(GovtagError, match="max_length"):
        ContextConfig(max_length=60, max_unit_tokens=64)
    with pytest.raises(GovtagError, match="pooling 'max'"):
        ContextConfig(pooling="max")
    ContextConfig(max_length=66, max_unit_tokens=64)  # just enough for [CLS] unit [SEP]


# --- collate ---------------------------------------------------------------------------------------------

def test_collate_pads_and_pools_each_units_span():
    windows = [Window([2, 10, 11, 3], [(0, 1)], [0], [4], [1.0]),
               Window([2, 10, 3, 12, 13, 3], [(1, 3), (3, 6)], [1, 2], [1, IGNORE], [0.3, 1.0])]
    batch = collate(windows, pad_id=0)
    assert batch["input_ids"].tolist() == [[2, 10, 11, 3, 0, 0], [2, 10, 3, 12, 13, 3]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1, 1, 0, 0], [1] * 6]
    # One slot per unit; the first window has one unit, so its second slot is empty and ignored.
    assert batch["pool"].shape == (2, 2, 6)
    np.testing.assert_allclose(batch["pool"][0].numpy(), [[1, 0, 0, 0, 0, 0], [0] * 6])
    np.testing.assert_allclose(batch["pool"][1].numpy(), [[0, .5, .5, 0, 0, 0], [0, 0, 0, 1 / 3, 1 / 3, 1 / 3]], rtol=1e-6)
    assert batch["labels"].tolist() == [[4, IGNORE], [1, IGNORE]]
    np.testing.assert_allclose(batch["weights"].numpy(), [[1.0, 0], [0.3, 1.0]], rtol=1e-6)
    assert batch["input_ids"].dtype == torch.long and batch["labels"].dtype == torch.long
    assert batch["weights"].dtype == torch.float and batch["pool"].dtype == torch.float


def test_pool_logits_averages_the_token_logits_of_each_span():
    batch = collate([Window([2, 10, 11, 3], [(0, 1), (1, 4)], [0, 1], [0, 0], [1.0, 1.0])], pad_id=0)
    token_logits = torch.arange(4 * 5, dtype=torch.float).reshape(1, 4, 5)
    pooled = pool_logits(batch["pool"], token_logits)
    np.testing.assert_allclose(pooled[0, 0].numpy(), token_logits[0, 0].numpy())
    np.testing.assert_allclose(pooled[0, 1].numpy(), token_logits[0, 1:4].mean(dim=0).numpy(), rtol=1e-6)
    # numpy (the ONNX runtime's path) gives the same numbers
    np.testing.assert_allclose(pool_logits(batch["pool"].numpy(), token_logits.numpy()), pooled.numpy(), rtol=1e-6)


@pytest.mark.parametrize("mode", ["unit", "section", "sequential"])
def test_mean_pooling_spans_the_units_own_tokens(tokenizer, synthetic_rows, mode):
    rows = unique(synthetic_rows)
    ctx = ContextConfig(mode=mode, max_length=96, max_unit_tokens=32, pooling="mean")
    sep = tokenizer.sep_token_id
    for w in Encoder(tokenizer, ctx).windows(rows):
        for (start, end), u in zip(w.spans, w.units):
            unit = ids(tokenizer, rows[u]["text"])
            if mode == "sequential":  # the unit's tokens and its [SEP]
                assert w.input_ids[start:end] == [*unit, sep]
            else:  # [CLS] unit [SEP], not the section path after it
                assert w.input_ids[start:end] == [tokenizer.cls_token_id, *unit, sep]


def test_collate_uses_the_given_pad_id():
    batch = collate([Window([2, 3], [(0, 1)], [0], [0], [1.0]), Window([2, 7, 7, 3], [(0, 1)], [1], [0], [1.0])], pad_id=99)
    assert batch["input_ids"][0].tolist() == [2, 3, 99, 99]


# --- UnitTagger --------------------------------------------------------------------------------------------

def tagger_for(tiny_base, mode: str, **context) -> UnitTagger:
    ctx = ContextConfig(mode=mode, **({"max_length": 128, "max_unit_tokens": 32} | context))
    torch.manual_seed(0)
    return UnitTagger.from_base(tiny_base, ctx)


@pytest.mark.parametrize("mode", ["unit", "section", "sequential"])
def test_logits_and_probabilities(tiny_base, synthetic_rows, mode):
    tagger = tagger_for(tiny_base, mode)
    assert tagger.labels == LABELS
    assert tagger.model.config.num_hidden_layers == 2
    logits = tagger.logits(synthetic_rows)
    assert logits.shape == (len(synthetic_rows), len(LABELS)) and logits.dtype == np.float32
    assert np.isfinite(logits).all() and not (logits == 0).all(axis=1).any(), "every row got its own logits"
    probs = tagger.predict_proba(synthetic_rows)
    assert probs.shape == logits.shape
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-6)
    assert (probs > 0).all()
    # Same input twice, and in other batch sizes (other padding): the same answer.
    np.testing.assert_array_equal(tagger.logits(synthetic_rows), logits)
    np.testing.assert_allclose(tagger.logits(synthetic_rows, batch_size=1), logits, atol=1e-5)
    np.testing.assert_allclose(tagger.logits(synthetic_rows, batch_size=3), logits, atol=1e-5)


def test_row_order_only_permutes_unit_mode_logits(tiny_base, synthetic_rows):
    tagger = tagger_for(tiny_base, "unit")
    logits = tagger.logits(synthetic_rows)
    order = list(reversed(range(len(synthetic_rows))))
    np.testing.assert_allclose(tagger.logits([synthetic_rows[i] for i in order]), logits[order], atol=1e-5)


def test_sequential_logits_depend_on_context(tiny_base, synthetic_rows):
    tagger = tagger_for(tiny_base, "sequential")
    doc = [r for r in synthetic_rows if r["doc_id"] == "doc-a"]
    full = tagger.logits(doc)
    alone = tagger.logits(doc[5:6])
    assert not np.allclose(full[5], alone[0], atol=1e-6), "the same unit read with its neighbours differs"


def test_temperature_changes_probabilities_not_argmax(tiny_base, synthetic_rows):
    tagger = tagger_for(tiny_base, "unit")
    tagger.model.classifier.weight.data.mul_(50)  # a fresh head is near uniform; make the logits spread
    p1 = tagger.predict_proba(synthetic_rows)
    tagger.temperature = 3.0
    p3 = tagger.predict_proba(synthetic_rows)
    tagger.temperature = 0.5
    p05 = tagger.predict_proba(synthetic_rows)
    assert not np.allclose(p1, p3)
    np.testing.assert_array_equal(p1.argmax(axis=1), p3.argmax(axis=1))
    np.testing.assert_array_equal(p1.argmax(axis=1), p05.argmax(axis=1))
    assert (p3.max(axis=1) < p1.max(axis=1)).all() and (p05.max(axis=1) > p1.max(axis=1)).all()
    logits = tagger.logits(synthetic_rows) / 3.0
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    tagger.temperature = 3.0
    np.testing.assert_allclose(tagger.predict_proba(synthetic_rows), expected, rtol=1e-5)


def test_from_base_keeps_only_num_layers(tiny_base):
    tagger = UnitTagger.from_base(tiny_base, ContextConfig(mode="unit"), num_layers=1)
    assert tagger.model.config.num_hidden_layers == 1
    assert len(tagger.model.bert.encoder.layer) == 1


def test_from_base_missing_folder_is_a_govtag_error(tmp_path):
    empty = tmp_path / "empty-base"
    empty.mkdir()
    for base in (empty, tmp_path / "no-such-folder"):
        with pytest.raises(GovtagError, match="cannot load base model"):
            UnitTagger.from_base(base, ContextConfig(mode="unit"))


# --- save / load -------------------------------------------------------------------------------------------

@pytest.fixture
def saved(tiny_base, tmp_path):
    tagger = tagger_for(tiny_base, "sequential", max_length=96, max_unit_tokens=24, context_units=1)
    tagger.temperature = 1.7
    folder = tagger.save_pretrained(tmp_path / "model", extra_files={"metrics.json": "{}\n", "README.md": "# 模型\n"})
    return tagger, folder


def test_save_and_load_round_trip(saved, synthetic_rows):
    tagger, folder = saved
    assert sorted(p.name for p in folder.iterdir()) == [
        "README.md", "config.json", "metrics.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"]
    assert (folder / "README.md").read_text(encoding="utf-8") == "# 模型\n"
    loaded = UnitTagger.from_pretrained(folder)
    assert loaded.context == tagger.context
    assert loaded.context == ContextConfig(mode="sequential", max_length=96, max_unit_tokens=24, context_units=1)
    assert loaded.temperature == 1.7
    assert loaded.labels == LABELS
    assert not loaded.model.training
    np.testing.assert_array_equal(loaded.logits(synthetic_rows), tagger.logits(synthetic_rows))
    np.testing.assert_array_equal(loaded.predict_proba(synthetic_rows), tagger.predict_proba(synthetic_rows))
    assert loaded.tokenizer("全年科技创新投入增长12%。")["input_ids"] == tagger.tokenizer("全年科技创新投入增长12%。")["input_ids"]


def test_config_json_names_the_labels(saved):
    _, folder = saved
    text = (folder / "config.json").read_text(encoding="utf-8")
    config = json.loads(text)
    assert config["id2label"] == {str(i): label for i, label in enumerate(LABELS)}
    assert config["label2id"] == {label: i for i, label in enumerate(LABELS)}
    assert "LABEL_0" not in text
    assert config["govtag"] == {"format_version": modeling.FORMAT_VERSION, "temperature": 1.7,
                                "context": asdict(ContextConfig(mode="sequential", max_length=96,
                                                                max_unit_tokens=24, context_units=1))}


def test_saved_files_are_readable_by_others(saved):
    _, folder = saved
    assert folder.stat().st_mode & 0o777 == 0o755
    assert all(p.stat().st_mode & 0o777 == 0o644 for p in folder.iterdir())


def test_save_over_an_existing_folder_replaces_it(saved, synthetic_rows):
    tagger, folder = saved
    (folder / "stale.txt").write_text("old")
    tagger.temperature = 2.5
    tagger.save_pretrained(folder)
    assert not (folder / "stale.txt").exists() and not (folder / "README.md").exists()
    assert UnitTagger.from_pretrained(folder).temperature == 2.5
    assert [p.name for p in folder.parent.iterdir()] == ["model"]


def _config(folder):
    return json.loads((folder / "config.json").read_text(encoding="utf-8"))


def _write_config(folder, config):
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")


def test_from_pretrained_missing_folder(tmp_path):
    with pytest.raises(GovtagError, match="model folder not found"):
        UnitTagger.from_pretrained(tmp_path / "nowhere")


def test_from_pretrained_lists_missing_files(saved):
    _, folder = saved
    (folder / "model.safetensors").unlink()
    with pytest.raises(GovtagError, match="not a usable model folder: missing model.safetensors$"):
        UnitTagger.from_pretrained(folder)
    (folder / "tokenizer.json").unlink()
    with pytest.raises(GovtagError, match="missing model.safetensors; missing tokenizer.json"):
        UnitTagger.from_pretrained(folder)


def test_from_pretrained_lists_every_problem(saved):
    _, folder = saved
    config = _config(folder)
    del config["govtag"]
    _write_config(folder, config)
    (folder / "model.safetensors").unlink()
    with pytest.raises(GovtagError) as e:
        UnitTagger.from_pretrained(folder)
    assert "missing model.safetensors" in str(e.value) and "no 'govtag' settings" in str(e.value)


def test_from_pretrained_without_govtag_settings(saved):
    _, folder = saved
    config = _config(folder)
    del config["govtag"]
    _write_config(folder, config)
    with pytest.raises(GovtagError, match="no 'govtag' settings"):
        UnitTagger.from_pretrained(folder)


@pytest.mark.parametrize("version", [modeling.FORMAT_VERSION + 1, 0, None])
def test_from_pretrained_incompatible_format(saved, version):
    _, folder = saved
    config = _config(folder)
    config["govtag"]["format_version"] = version
    _write_config(folder, config)
    with pytest.raises(GovtagError, match=rf"incompatible govtag \(format {version}, expected {modeling.FORMAT_VERSION}\)"):
        UnitTagger.from_pretrained(folder)


def test_from_pretrained_unknown_labels(saved):
    _, folder = saved
    config = _config(folder)
    config["id2label"]["4"] = "policy"
    config["label2id"] = {v: int(k) for k, v in config["id2label"].items()}
    _write_config(folder, config)
    with pytest.raises(GovtagError, match="unknown labels in config.json: \\['policy'\\]"):
        UnitTagger.from_pretrained(folder)


def test_from_pretrained_ignores_unknown_context_settings(saved):
    _, folder = saved
    config = _config(folder)
    config["govtag"]["context"]["future_setting"] = 3
    _write_config(folder, config)
    assert UnitTagger.from_pretrained(folder).context.max_length == 96


# --- atomic writes -----------------------------------------------------------------------------------------

def _snapshot(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("stage", ["tokenizer", "extra_files"])
def test_save_pretrained_is_atomic(saved, monkeypatch, stage):
    tagger, folder = saved
    before = _snapshot(folder)

    def boom(*args, **kwargs):
        raise OSError("disk full")

    if stage == "tokenizer":  # after the weights were written
        monkeypatch.setattr(tagger.tokenizer, "save_pretrained", boom)
        extra = None
    else:  # after weights and tokenizer, while writing the extra files
        extra = {"README.md": "new", "metrics.json": None}  # None: write_text raises TypeError
    tagger.temperature = 9.0
    with pytest.raises((OSError, TypeError)):
        tagger.save_pretrained(folder, extra_files=extra)
    assert _snapshot(folder) == before, "the previous folder is intact"
    assert [p.name for p in folder.parent.iterdir()] == ["model"], "no temp folder is left"
    assert UnitTagger.from_pretrained(folder).temperature == 1.7


def test_failed_first_save_leaves_nothing(tiny_base, tmp_path, monkeypatch):
    tagger = tagger_for(tiny_base, "unit")
    monkeypatch.setattr(tagger.model, "save_pretrained", lambda *a, **k: (_ for _ in ()).throw(OSError("boom")))
    with pytest.raises(OSError, match="boom"):
        tagger.save_pretrained(tmp_path / "out" / "model")
    assert list((tmp_path / "out").iterdir()) == []
