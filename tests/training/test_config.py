"""Training settings: YAML plus ``key=value`` overrides, and clear errors for mistakes."""

from __future__ import annotations

from pathlib import Path

import pytest

from govtag.errors import GovtagError
from govtag.model.modeling import ContextConfig
from govtag.training.config import OFFLINE_BASE, TrainConfig, config_yaml, load_config

CONFIGS = Path(__file__).resolve().parents[2] / "configs"

YAML = """\
base_model: some/local-folder
epochs: 3
learning_rate: 2.0e-5
context:
  mode: sequential
  max_length: 128
  max_unit_tokens: 48
train_splits: [train]
"""


@pytest.fixture
def config_file(tmp_path):
    path = tmp_path / "train.yaml"
    path.write_text(YAML, encoding="utf-8")
    return path


def test_yaml_values(config_file):
    cfg = load_config(config_file)
    assert cfg.base_model == "some/local-folder" and cfg.epochs == 3 and cfg.learning_rate == 2e-5
    assert cfg.context == ContextConfig(mode="sequential", max_length=128, max_unit_tokens=48)
    assert cfg.batch_size == TrainConfig().batch_size, "unset keys keep their defaults"


def test_overrides_are_typed_like_yaml(config_file):
    cfg = load_config(config_file, ["epochs=5", "learning_rate=0.5", "trim_vocab=false", "num_layers=null",
                                    "train_splits=[train, fazhi]", "output_dir=runs/x", "seed=21"])
    assert cfg.epochs == 5 and isinstance(cfg.epochs, int)
    assert cfg.learning_rate == 0.5 and isinstance(cfg.learning_rate, float)
    assert cfg.trim_vocab is False and cfg.num_layers is None
    assert cfg.train_splits == ["train", "fazhi"] and cfg.output_dir == "runs/x"
    assert cfg.seed == 21


def test_context_override_keeps_the_other_context_settings(config_file):
    cfg = load_config(config_file, ["context.mode=unit", "context.context_units=4"])
    assert cfg.context == ContextConfig(mode="unit", max_length=128, max_unit_tokens=48, context_units=4)


def test_overrides_without_a_file():
    cfg = load_config(None, ["context.mode=section", "epochs=1"])
    assert cfg.context.mode == "section" and cfg.epochs == 1
    assert load_config() == TrainConfig()


@pytest.mark.parametrize("text,value", [("1e-4", 1e-4), ("3e-5", 3e-5), ("2", 2.0), ("1.5E-3", 1.5e-3)])
def test_float_settings_accept_plain_scientific_notation(config_file, text, value):
    # YAML 1.1 reads "1e-4" as a string; a learning rate must still come out as a number.
    cfg = load_config(config_file, [f"learning_rate={text}", f"silver_weight={text}"])
    assert cfg.learning_rate == value and isinstance(cfg.learning_rate, float)
    assert cfg.silver_weight == value
    config_file.write_text(YAML.replace("2.0e-5", text), encoding="utf-8")
    assert load_config(config_file).learning_rate == value


def test_non_numeric_float_setting_is_an_error(config_file):
    with pytest.raises(GovtagError, match="learning_rate"):
        load_config(config_file, ["learning_rate=fast"])


def test_unknown_key_is_named(config_file):
    with pytest.raises(GovtagError, match=r"unknown setting\(s\) epoch\b"):
        load_config(config_file, ["epoch=3"])
    with pytest.raises(GovtagError, match=r"context: unknown setting\(s\) window"):
        load_config(config_file, ["context.window=3"])
    config_file.write_text(YAML + "lr: 0.1\n", encoding="utf-8")
    with pytest.raises(GovtagError, match=rf"{config_file.name}: unknown setting\(s\) lr"):
        load_config(config_file)


@pytest.mark.parametrize("overrides, message", [
    (["context.mode=paragraph"], "context mode 'paragraph'"),
    (["class_weighting=log"], "class_weighting"),
    (["context.max_length=10"], "max_length"),
    (["context.section_headings=-1"], "section_headings must be 0"),
    (["freeze_layers=abc"], "freeze_layers must be a whole number, got 'abc'"),
    (["context.section_headings=1.5"], "context: section_headings must be a whole number, got 1.5"),
    (["freeze_layers=-2"], "freeze_layers must be 0 or more"),
    (["train_splits=[train]", "split_weights={fazi: 2}"], r"split_weights: 'fazi' is not a training split \(train\)"),
    (["split_weights=3"], "split_weights must map split names to weights, got 3"),
    (["train_splits=[train]", "split_weights={train: x}"], "split_weights.train must be a number ≥ 0, got 'x'"),
])
def test_bad_values_are_errors(config_file, overrides, message):
    with pytest.raises(GovtagError, match=message):
        load_config(config_file, overrides)


def test_override_without_equals_sign(config_file):
    with pytest.raises(GovtagError, match="override 'epochs' must look like key=value"):
        load_config(config_file, ["epochs"])


def test_bad_yaml(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("epochs: [1, 2\nseed: 3\n", encoding="utf-8")
    with pytest.raises(GovtagError, match="bad.yaml: invalid YAML"):
        load_config(path)


def test_yaml_that_is_not_a_mapping(tmp_path):
    path = tmp_path / "list.yaml"
    path.write_text("- epochs\n- seed\n", encoding="utf-8")
    with pytest.raises(GovtagError, match="expected a mapping"):
        load_config(path)


def test_empty_yaml_is_the_defaults(tmp_path):
    path = tmp_path / "empty.yaml"
    path.write_text("# nothing\n", encoding="utf-8")
    assert load_config(path) == TrainConfig()


def test_missing_file(tmp_path):
    with pytest.raises(GovtagError, match="nope.yaml: config file not found"):
        load_config(tmp_path / "nope.yaml")


def test_config_yaml_round_trip(config_file, tmp_path):
    cfg = load_config(config_file, ["context.mode=unit", "test_docs=[fz-a]", "learning_rate=1e-4"])
    path = tmp_path / "again.yaml"
    path.write_text(config_yaml(cfg), encoding="utf-8")
    assert load_config(path) == cfg


def test_project_configs_load():
    default = load_config(CONFIGS / "default.yaml")
    assert default.base_model == OFFLINE_BASE and default.num_layers == 6 and default.silver_weight == 0.0
    assert default.context == ContextConfig(mode="section", max_length=256, max_unit_tokens=96, pooling="mean")
    assert default.group_by_length and default.learning_rate == 1e-4 and default.freeze_embeddings
    assert default.train_splits == ["train", "fazhi"] and default.test_splits == ["test"]

    full = load_config(CONFIGS / "full.yaml")
    assert full.epochs > default.epochs and full.num_layers is None and full.context.pooling == "marker"
    same = {"epochs", "output_dir", "num_layers", "context", "freeze_embeddings"}
    assert {k: v for k, v in full.to_dict().items() if k not in same} == \
        {k: v for k, v in default.to_dict().items() if k not in same}, "the GPU config differs only in model, epochs and the CPU-only embedding freeze"

    hub = load_config(CONFIGS / "hub-chinese-roberta.yaml")
    assert hub.base_model == "hfl/chinese-roberta-wwm-ext" and hub.trim_vocab is False
    assert hub.learning_rate == 3e-5 and hub.context == ContextConfig(mode="section", max_length=256, max_unit_tokens=128)

    for name in ("default", "full", "hub-chinese-roberta"):
        cfg = load_config(CONFIGS / f"{name}.yaml")
        assert cfg.output_dir.startswith("runs/")
        assert load_config(CONFIGS / f"{name}.yaml", ["context.mode=unit"]).context.mode == "unit"
