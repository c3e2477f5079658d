"""govtag.model.exporters: ONNX export of a trained tiny tagger, int8 parity, atomic writes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from govtag.errors import GovtagError
from govtag.eval.report import evaluate
from govtag.labels import LABELS
from govtag.model.exporters import OnnxUnitTagger, export_onnx
from govtag.model.modeling import UnitTagger, load_tagger

fixtures = pytest.importorskip("govtag_tests_fixtures_tiny")


@pytest.fixture(scope="module")
def exports(tiny_tagger, tmp_path_factory):
    root = tmp_path_factory.mktemp("exports")
    return {"int8": export_onnx(tiny_tagger, root / "int8"), "fp32": export_onnx(tiny_tagger, root / "fp32", quantize=False)}


@pytest.fixture(scope="module")
def test_rows():
    return fixtures.make_rows(("p1", "p2", "p3", "p4"), seed=3, repeat=3)


def test_export_writes_a_loadable_folder(exports, tiny_tagger):
    folder = exports["int8"]
    names = {f.name for f in folder.iterdir()}
    assert {"model.onnx", "config.json", "tokenizer.json", "README.md", "training_config.yaml"} <= names
    assert "model.safetensors" not in names and not [n for n in names if n.endswith(".tmp")]
    config = json.loads((folder / "config.json").read_text())
    assert config["id2label"] == json.loads((tiny_tagger / "config.json").read_text())["id2label"]
    assert config["govtag"]["export"] == {"runtime": "onnxruntime", "opset": 17, "weights": "int8"}
    assert "## ONNX export" in (folder / "README.md").read_text()
    tagger = load_tagger(folder)
    assert isinstance(tagger, OnnxUnitTagger) and tagger.runtime == "onnx int8"


def test_fp32_export_matches_pytorch(exports, tiny_tagger, test_rows):
    reference = UnitTagger.from_pretrained(tiny_tagger).logits(test_rows)
    np.testing.assert_allclose(load_tagger(exports["fp32"]).logits(test_rows), reference, atol=1e-4)


def test_int8_parity_with_pytorch(exports, tiny_tagger, test_rows):
    """The issue's bar: labels agree on ≥ 99% of units, macro-F1 drops by ≤ 1 point."""
    reference = UnitTagger.from_pretrained(tiny_tagger).predict_proba(test_rows)
    int8 = load_tagger(exports["int8"]).predict_proba(test_rows)
    assert (int8.argmax(1) == reference.argmax(1)).mean() >= 0.99
    f1 = [evaluate(test_rows, p, LABELS)["scores"]["macro_f1"] for p in (reference, int8)]
    assert f1[0] >= 0.9 and f1[0] - f1[1] <= 0.01
    assert not np.array_equal(int8, reference)  # it really is a different (quantised) model


def test_int8_quantises_all_weight_matmuls_but_the_feed_forward_outputs(exports):
    import onnx

    nodes = onnx.load(str(exports["int8"] / "model.onnx")).graph.node
    float_matmuls = {n.name for n in nodes if n.op_type == "MatMul"}
    quantised = [n for n in nodes if n.op_type == "MatMulInteger"]
    # per layer (2): query, key, value, attention output, FFN input; then the classifier
    assert len(quantised) == 2 * 5 + 1
    assert {n for n in float_matmuls if "/output/dense/" in n and "attention" not in n} == {
        f"/model/bert/encoder/layer.{i}/output/dense/MatMul" for i in range(2)}


def test_export_of_a_broken_folder_is_an_error(tmp_path):
    (tmp_path / "model").mkdir()
    with pytest.raises(GovtagError, match="missing model.safetensors"):
        export_onnx(tmp_path / "model", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_failed_export_leaves_nothing(tiny_tagger, tmp_path, monkeypatch):
    import onnxruntime.quantization

    def crash(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(onnxruntime.quantization, "quantize_dynamic", crash)
    with pytest.raises(RuntimeError, match="disk full"):
        export_onnx(tiny_tagger, tmp_path / "out")
    assert list(tmp_path.iterdir()) == []
