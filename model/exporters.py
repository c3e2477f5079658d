"""ONNX export with dynamic int8 quantisation, and the tagger that runs an exported folder.

``export_onnx`` writes a folder like the PyTorch one — ``config.json`` (labels, context settings,
temperature), tokenizer, model card — with ``model.onnx`` in place of ``model.safetensors``.
``OnnxUnitTagger`` reads it with ONNX Runtime and shares all windowing with the PyTorch tagger,
so both runtimes see exactly the same inputs.
"""

from __future__ import annotations

import json
import logging
import shutil
import warnings
from pathlib import Path

import numpy as np
import torch

from ..errors import GovtagError
from ..files import atomic_dir
from .modeling import UnitTagger, WindowedTagger, check_model_folder, context_from_config, labels_from_config

ONNX_FILE = "model.onnx"
OPSET = 17
# Everything of a PyTorch model folder but its weights travels with the export.
COPIED_FILES = ("config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                "training_config.yaml", "metrics.json")


class _LogitsOnly(torch.nn.Module):
    """The token-classification model with plain tensor inputs and outputs, as ONNX wants them."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask):
        return self.model(input_ids=input_ids, attention_mask=attention_mask).logits


def export_onnx(model_dir: str | Path, out_dir: str | Path, quantize: bool = True) -> Path:
    """Export a trained model folder to ONNX (int8 weights if ``quantize``), atomically."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model_dir, out_dir = Path(model_dir), Path(out_dir)
    # Eager attention traces into plain MatMul/Softmax, which ONNX Runtime quantises and fuses well.
    model = UnitTagger.from_pretrained(model_dir, attn_implementation="eager").model
    example = torch.tensor([[model.config.bos_token_id or 0] * 8] * 2)
    with atomic_dir(out_dir) as tmp:
        fp32 = tmp / ("model-fp32.onnx" if quantize else ONNX_FILE)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer notes about Python ints in the mask code
            torch.onnx.export(_LogitsOnly(model), (example, torch.ones_like(example)), str(fp32),
                              input_names=["input_ids", "attention_mask"], output_names=["logits"],
                              dynamic_axes={name: {0: "batch", 1: "tokens"} for name in ("input_ids", "attention_mask", "logits")},
                              opset_version=OPSET, dynamo=False)
        if quantize:
            root = logging.getLogger()
            level = root.level
            root.setLevel(logging.ERROR)  # onnxruntime's advice to pre-process is printed on the root logger
            try:
                quantize_dynamic(str(fp32), str(tmp / ONNX_FILE), weight_type=QuantType.QInt8, per_channel=True,
                                 reduce_range=True, op_types_to_quantize=["MatMul"], nodes_to_exclude=_ffn_outputs(fp32),
                                 extra_options={"MatMulConstBOnly": True})
            finally:
                root.setLevel(level)
            fp32.unlink()
        for name in COPIED_FILES:
            if (model_dir / name).is_file():
                shutil.copy2(model_dir / name, tmp / name)
        config = json.loads((tmp / "config.json").read_text(encoding="utf-8"))
        config["govtag"]["export"] = {"runtime": "onnxruntime", "opset": OPSET, "weights": "int8" if quantize else "fp32"}
        (tmp / "config.json").write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        card = (model_dir / "README.md").read_text(encoding="utf-8") if (model_dir / "README.md").is_file() else ""
        (tmp / "README.md").write_text(card + _export_note(model_dir, quantize), encoding="utf-8")
    return out_dir


def _ffn_outputs(onnx_path: Path) -> list[str]:
    """The feed-forward output projections, kept in fp32: their input (after GELU) has outliers
    that per-tensor int8 activations blur. Quantising them too cut label agreement with fp32 on
    the gwr test gold units from 99.5% to 98.8% in an exploratory comparison (README, "Speed")."""
    import onnx

    graph = onnx.load(str(onnx_path), load_external_data=False).graph
    return [n.name for n in graph.node if n.op_type == "MatMul" and "/output/dense/" in n.name and "attention" not in n.name]


def _export_note(model_dir: Path, quantize: bool) -> str:
    weights = ("int8 weights of the attention and feed-forward input projections (ONNX Runtime dynamic quantisation, "
               "per channel), feed-forward output projections in fp32" if quantize else "fp32 weights")
    return (f"\n## ONNX export\nExported from `{model_dir}` by `govtag export` (opset {OPSET}, {weights}). "
            f"Load it with `govtag.Tagger.from_pretrained`, which runs it on ONNX Runtime.\n")


class OnnxUnitTagger(WindowedTagger):
    """A tagger running an exported ``model.onnx`` on ONNX Runtime (CPU, or CUDA when asked and present)."""

    def __init__(self, session, tokenizer, context, labels, temperature: float = 1.0, weights: str = "int8"):
        super().__init__(tokenizer, context, labels, temperature)
        self.session = session
        self.runtime = f"onnx {weights}"

    @classmethod
    def from_pretrained(cls, path: str | Path, device: str = "cpu", threads: int | None = None) -> "OnnxUnitTagger":
        import onnxruntime as ort
        from transformers import AutoTokenizer

        config = check_model_folder(path, ONNX_FILE)
        context, temperature = context_from_config(config)
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        providers = ["CUDAExecutionProvider"] if device.startswith("cuda") else []
        if providers and providers[0] not in ort.get_available_providers():
            raise GovtagError(f"device {device!r}: this onnxruntime has no CUDA support (install onnxruntime-gpu)")
        try:
            session = ort.InferenceSession(str(Path(path) / ONNX_FILE), options, providers=providers + ["CPUExecutionProvider"])
        except Exception as e:  # onnxruntime raises its own exception types for corrupt files
            raise GovtagError(f"{Path(path) / ONNX_FILE}: cannot be loaded by ONNX Runtime ({str(e).splitlines()[0]})") from None
        tokenizer = AutoTokenizer.from_pretrained(str(path))
        weights = config.govtag.get("export", {}).get("weights", "unknown")
        return cls(session, tokenizer, context, labels_from_config(config), temperature, weights)

    def _forward(self, batch: dict[str, torch.Tensor]) -> np.ndarray:
        return self.session.run(["logits"], {"input_ids": batch["input_ids"].numpy(),
                                             "attention_mask": batch["attention_mask"].numpy()})[0]
