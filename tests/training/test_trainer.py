"""Fine-tuning on the tiny BERT and synthetic reports: the output folders, repeatability, resuming,
and the loss weighting."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
import yaml

from govtag.errors import GovtagError
from govtag.labels import LABELS
from govtag.model.modeling import IGNORE, ContextConfig, UnitTagger
from govtag.training import trainer
from govtag.training.config import TrainConfig, load_config
from govtag.training.data import TrainingData
from govtag.training.trainer import _targets, class_weights, train, weighted_loss

NOTES = {"train_reports": 4, "silver_only_reports": 0, "train_gold_units": 0, "train_silver_units": 0,
         "dev_reports": 1, "dev_gold_units": 0, "units_unlabelled_for_leakage": 0}


@pytest.fixture
def toy_data(make_synthetic) -> TrainingData:
    train_rows = make_synthetic(("t1", "t2", "t3", "t4"), seed=0, repeat=3)
    dev = make_synthetic(("d1",), seed=1, repeat=2)
    test = make_synthetic(("x1", "x2"), seed=2, repeat=2)
    for r in train_rows[::7]:  # some units without a label: context only
        r.update(label=None, label_source=None, annotator=None)
    notes = NOTES | {"train_gold_units": sum(r["label"] is not None for r in train_rows), "dev_gold_units": len(dev)}
    return TrainingData(train_rows, dev, {"test": test}, notes)


def tiny_config(base, out, mode="unit", pooling="marker", **overrides) -> TrainConfig:
    settings = dict(base_model=str(base), trim_vocab=False, output_dir=str(out), seed=7, epochs=3, batch_size=4,
                    learning_rate=1e-2, warmup_ratio=0.0, patience=10, silver_weight=0.0, threads=1,
                    context=ContextConfig(mode=mode, max_length=96, max_unit_tokens=32, context_units=1, pooling=pooling))
    return TrainConfig(**(settings | overrides))


def read_log(out) -> list[dict]:
    return [json.loads(line) for line in (out / "train_log.jsonl").read_text().splitlines()]


# --- a full run ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode,pooling", [("unit", "marker"), ("section", "marker"), ("sequential", "marker"),
                                          ("section", "mean"), ("sequential", "mean")])
def test_train_writes_a_complete_run(tiny_base, tmp_path, toy_data, mode, pooling):
    out = tmp_path / "run"
    cfg = tiny_config(tiny_base, out, mode, pooling)
    model_dir = train(cfg, data=toy_data)

    assert model_dir == out / "model"
    assert sorted(p.name for p in out.iterdir()) == ["best", "checkpoint", "model", "train_log.jsonl"]
    assert sorted(p.name for p in model_dir.iterdir()) == [
        "README.md", "config.json", "metrics.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
        "training_config.yaml"]
    assert json.loads((out / "checkpoint" / "state.json").read_text())["epoch"] == 3

    log = read_log(out)
    assert [e["epoch"] for e in log] == [1, 2, 3]
    assert all(set(e) == {"epoch", "train_loss", "dev_macro_f1", "epoch_seconds"} for e in log)
    assert log[-1]["train_loss"] < log[0]["train_loss"], "the toy task is learnable: the loss falls"

    tagger = UnitTagger.from_pretrained(model_dir)
    assert tagger.context == cfg.context
    metrics = json.loads((model_dir / "metrics.json").read_text(encoding="utf-8"))
    assert set(metrics) == {"dev", "test", "temperature", "train_seconds"}
    assert metrics["temperature"] == tagger.temperature and 0.05 <= metrics["temperature"] <= 20
    assert metrics["dev"]["n_units"] == len(toy_data.dev) and metrics["dev"]["n_reports"] == 1
    assert metrics["test"]["n_units"] == len(toy_data.test["test"]) and metrics["test"]["n_reports"] == 2
    best_epoch = max(log, key=lambda e: e["dev_macro_f1"])
    assert metrics["dev"]["scores"]["macro_f1"] == pytest.approx(best_epoch["dev_macro_f1"], abs=1e-4), \
        "model/ holds the best dev epoch"
    # The final model reproduces its own recorded dev score.
    pred = tagger.predict_proba(toy_data.dev).argmax(axis=1)
    accuracy = np.mean([LABELS[p] == r["label"] for p, r in zip(pred, toy_data.dev)])
    assert accuracy == pytest.approx(metrics["dev"]["scores"]["accuracy"])

    card = (model_dir / "README.md").read_text(encoding="utf-8")
    assert card.startswith("---\nlibrary_name: transformers")
    assert f"`{mode}` mode" in card and str(tiny_base) in card
    assert card.count("\n| 1 |") + card.count("\n| 2 |") + card.count("\n| 3 |") == 3, "one line per epoch"
    assert "| dev | 1 |" in card and "| test | 2 |" in card

    saved_cfg = load_config(model_dir / "training_config.yaml")
    assert saved_cfg == cfg
    assert yaml.safe_load((model_dir / "training_config.yaml").read_text())["context"]["mode"] == mode


def test_learns_the_toy_task(tiny_base, tmp_path, toy_data):
    out = tmp_path / "run"
    # These settings reach dev macro-F1 1.0 for each of seeds 1-8; a tagger that reads the wrong
    # positions or labels stays near chance (0.2).
    train(tiny_config(tiny_base, out, "unit", epochs=8, learning_rate=3e-3, warmup_ratio=0.1), data=toy_data)
    log = read_log(out)
    assert max(e["dev_macro_f1"] for e in log) >= 0.9
    assert log[-1]["train_loss"] < 0.5 * log[0]["train_loss"]
    metrics = json.loads((out / "model" / "metrics.json").read_text())
    assert metrics["test"]["scores"]["macro_f1"] >= 0.9


def test_frozen_parts_stay_as_pretrained(tiny_base, tmp_path, toy_data):
    out = tmp_path / "run"
    train(tiny_config(tiny_base, out, "section", epochs=1, freeze_embeddings=True, freeze_layers=1), data=toy_data)
    before = UnitTagger.from_base(tiny_base, ContextConfig()).model.base_model.state_dict()
    after = UnitTagger.from_pretrained(out / "model").model.base_model.state_dict()
    for name, value in after.items():
        frozen = name.startswith(("embeddings.", "encoder.layer.0."))
        assert torch.equal(value, before[name]) == frozen, name
    card = (out / "model" / "README.md").read_text(encoding="utf-8")
    assert "the embedding matrix and the first 1 encoder layer kept as pretrained" in card


def test_freezing_more_layers_than_the_encoder_has_is_a_clear_error(tiny_base, tmp_path, toy_data):
    with pytest.raises(GovtagError, match="freeze_layers=9, but the encoder has 2 layers"):
        train(tiny_config(tiny_base, tmp_path / "run", freeze_layers=9), data=toy_data)


def test_same_seed_same_run(tiny_base, tmp_path, toy_data):
    logs, logits = [], []
    for name in ("a", "b"):
        out = tmp_path / name
        train(tiny_config(tiny_base, out, "sequential", epochs=2), data=toy_data)
        logs.append([(e["train_loss"], e["dev_macro_f1"]) for e in read_log(out)])
        logits.append(UnitTagger.from_pretrained(out / "model").logits(toy_data.dev))
    assert logs[0] == logs[1]
    np.testing.assert_array_equal(logits[0], logits[1])
    out = tmp_path / "c"
    train(tiny_config(tiny_base, out, "sequential", epochs=2, seed=8), data=toy_data)
    assert [(e["train_loss"], e["dev_macro_f1"]) for e in read_log(out)] != logs[0], "the seed matters"


def test_a_fresh_run_in_an_old_folder_starts_a_new_log(tiny_base, tmp_path, toy_data):
    out = tmp_path / "run"
    train(tiny_config(tiny_base, out, epochs=2), data=toy_data)
    first = read_log(out)
    train(tiny_config(tiny_base, out, epochs=2), data=toy_data)
    second = read_log(out)
    assert [e["epoch"] for e in second] == [1, 2], "not appended to the old run's log"
    assert [e["train_loss"] for e in second] == [e["train_loss"] for e in first]
    card = (out / "model" / "README.md").read_text(encoding="utf-8")
    assert card.count("\n| 1 |") == 1


def test_finish_reusing_the_loops_dev_logits_equals_scoring_best_again(tiny_base, tmp_path, toy_data):
    out = tmp_path / "run"
    # Learning settings (as above), so that later epochs change the logits and only the best epoch's match.
    cfg = tiny_config(tiny_base, out, "unit", epochs=8, learning_rate=3e-3, warmup_ratio=0.1)
    reused = json.loads((train(cfg, data=toy_data) / "metrics.json").read_text())
    rescored = json.loads((trainer.finish(cfg, toy_data, out, 0.0) / "metrics.json").read_text())
    assert rescored["dev"]["scores"]["macro_f1"] >= 0.9
    for name in ("dev", "test", "temperature"):
        assert rescored[name] == reused[name], name


# --- resume --------------------------------------------------------------------------------------------

def test_resume_continues_after_the_last_epoch(tiny_base, tmp_path, toy_data):
    out = tmp_path / "run"
    train(tiny_config(tiny_base, out, epochs=1), data=toy_data)
    assert [e["epoch"] for e in read_log(out)] == [1]
    train(tiny_config(tiny_base, out, epochs=2), resume=True, data=toy_data)
    assert [e["epoch"] for e in read_log(out)] == [1, 2]
    assert json.loads((out / "checkpoint" / "state.json").read_text())["epoch"] == 2
    UnitTagger.from_pretrained(out / "model")


class Crash(Exception):
    pass


def test_resume_after_a_crash_matches_an_uninterrupted_run(tiny_base, tmp_path, toy_data, monkeypatch):
    straight = tmp_path / "straight"
    train(tiny_config(tiny_base, straight, epochs=3), data=toy_data)

    out = tmp_path / "crashed"
    real = trainer.dev_macro_f1
    calls = []

    def crash_in_epoch_2(tagger, rows):
        calls.append(1)
        if len(calls) == 2:
            raise Crash
        return real(tagger, rows)

    monkeypatch.setattr(trainer, "dev_macro_f1", crash_in_epoch_2)
    with pytest.raises(Crash):
        train(tiny_config(tiny_base, out, epochs=3), data=toy_data)
    monkeypatch.undo()
    assert [e["epoch"] for e in read_log(out)] == [1]
    assert not (out / "model").exists()

    train(tiny_config(tiny_base, out, epochs=3), resume=True, data=toy_data)
    resumed, expected = read_log(out), read_log(straight)
    assert [e["epoch"] for e in resumed] == [1, 2, 3]
    np.testing.assert_allclose([e["train_loss"] for e in resumed], [e["train_loss"] for e in expected], rtol=1e-5)


def test_resume_without_a_checkpoint_is_an_error(tiny_base, tmp_path, toy_data):
    with pytest.raises(GovtagError, match="nothing to resume"):
        train(tiny_config(tiny_base, tmp_path / "run"), resume=True, data=toy_data)
    assert not (tmp_path / "run" / "model").exists()


def test_resume_when_already_finished_only_rewrites_the_model(tiny_base, tmp_path, toy_data):
    out = tmp_path / "run"
    train(tiny_config(tiny_base, out, epochs=1), data=toy_data)
    train(tiny_config(tiny_base, out, epochs=1), resume=True, data=toy_data)
    assert [e["epoch"] for e in read_log(out)] == [1]


# --- refusing bad data -----------------------------------------------------------------------------------

def test_no_labelled_training_units_is_an_error(tiny_base, tmp_path, toy_data):
    toy_data.train = [{**r, "label": None, "label_source": None} for r in toy_data.train]
    with pytest.raises(GovtagError, match="no labelled training units"):
        train(tiny_config(tiny_base, tmp_path / "run"), data=toy_data)


def test_no_dev_gold_is_an_error(tiny_base, tmp_path, toy_data):
    toy_data.dev = [{**r, "label": None, "label_source": None} for r in toy_data.dev]
    with pytest.raises(GovtagError, match="no gold units in the dev split 'dev'"):
        train(tiny_config(tiny_base, tmp_path / "run"), data=toy_data)


# --- loss weighting --------------------------------------------------------------------------------------

def test_class_weights_known_numbers():
    targets = [0, 0, 0, 0, 1, 2, 3, 4, IGNORE, IGNORE]
    assert class_weights(targets, "none").tolist() == [1.0] * 5
    inverse = np.array([0.25, 1, 1, 1, 1]) / 0.85
    np.testing.assert_allclose(class_weights(targets, "inverse").numpy(), inverse, rtol=1e-6)
    sqrt_inverse = np.array([0.5, 1, 1, 1, 1]) / 0.9
    np.testing.assert_allclose(class_weights(targets, "sqrt_inverse").numpy(), sqrt_inverse, rtol=1e-6)
    # Labels never seen count as seen once (no division by zero); IGNOREs don't count.
    np.testing.assert_allclose(class_weights([1, 1, 1, 1, IGNORE], "inverse").numpy(),
                               np.array([1, 0.25, 1, 1, 1]) / 0.85, rtol=1e-6)
    assert class_weights(targets, "inverse").dtype == torch.float
    assert class_weights(targets, "sqrt_inverse").mean().item() == pytest.approx(1.0)


def test_weighted_loss_known_numbers():
    logits = torch.zeros((1, 4, 5))
    logits[0, 2] = torch.tensor([2.0, 0, 0, 0, 0])
    labels = torch.tensor([[IGNORE, 0, 0, 1]])
    weights = torch.tensor([[0.0, 1.0, 0.5, 0.5]])
    label_weights = torch.tensor([1.0, 2.0, 1.0, 1.0, 1.0])
    ce_uniform = math.log(5)
    ce_confident = -math.log(math.exp(2) / (math.exp(2) + 4))
    # Per position: CE × label weight × row weight; divided by the sum of row weights.
    expected = (ce_uniform * 1 * 1.0 + ce_confident * 1 * 0.5 + ce_uniform * 2 * 0.5) / (1.0 + 0.5 + 0.5)
    assert weighted_loss(logits, labels, weights, label_weights).item() == pytest.approx(expected, rel=1e-6)
    # Position 0 is ignored whatever its weight; all-ones weights are the plain label-weighted mean.
    weights[0, 0] = 100.0
    assert weighted_loss(logits, labels, weights, label_weights).item() == pytest.approx(expected, rel=1e-6)
    plain = weighted_loss(logits, labels, torch.ones((1, 4)), torch.ones(5)).item()
    assert plain == pytest.approx((2 * ce_uniform + ce_confident) / 3, rel=1e-6)


def test_weighted_loss_has_gradients_only_at_labelled_positions():
    logits = torch.randn((2, 3, 5), requires_grad=True)
    labels = torch.tensor([[1, IGNORE, IGNORE], [IGNORE, IGNORE, 4]])
    weighted_loss(logits, labels, torch.ones((2, 3)), torch.ones(5)).backward()
    touched = logits.grad.abs().sum(dim=2) > 0
    assert touched.tolist() == [[True, False, False], [False, False, True]]


def test_targets_with_silver_and_split_weights():
    rows = [{"label": "plan", "label_source": "gold", "split": "train"},
            {"label": "other", "label_source": "silver", "split": "fazhi"},
            {"label": "measure", "label_source": "gold", "split": "fazhi"},
            {"label": None, "label_source": None, "split": "train"}]
    cfg = TrainConfig(silver_weight=0.3, train_splits=["train", "fazhi"], split_weights={"fazhi": 2.5})
    targets, weights = _targets(rows, cfg)
    assert targets == [LABELS.index("plan"), LABELS.index("other"), LABELS.index("measure"), IGNORE]
    assert weights == [1.0, 0.3, 2.5, 1.0]


def test_length_grouped_batches_cover_every_window_once_with_little_padding():
    rng = np.random.default_rng(0)
    lengths = rng.integers(8, 130, size=1003).tolist()
    generator = torch.Generator().manual_seed(13)
    batches = list(trainer.LengthGroupedBatches(lengths, 8, generator))
    assert len(batches) == len(trainer.LengthGroupedBatches(lengths, 8, generator)) == math.ceil(1003 / 8)
    assert sorted(i for b in batches for i in b) == list(range(1003))
    padded = sum(max(lengths[i] for i in b) * len(b) for b in batches)
    assert padded / sum(lengths) < 1.1, "windows of a batch have similar lengths"
    # Batches come in random order, not swept from long to short.
    maxima = [max(lengths[i] for i in b) for b in batches]
    assert maxima != sorted(maxima) and maxima != sorted(maxima, reverse=True)
    generator.manual_seed(13)  # the trainer reseeds per epoch, so --resume repeats an epoch's batches
    assert list(trainer.LengthGroupedBatches(lengths, 8, generator)) == batches
