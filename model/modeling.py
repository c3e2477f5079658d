"""The unit classifier: a BERT-family encoder that reads each unit in its document context.

Every context mode is expressed as *token spans* in a token sequence: a unit's logits are the
mean of the token logits over its span, so one standard Hugging Face class
(``AutoModelForTokenClassification``) serves them all and any BERT-family checkpoint works. The
head is linear, so averaging token logits equals classifying the mean of the span's hidden states.
``pooling`` picks the span: ``marker``, the one token named below, or ``mean``, the unit's own
tokens with its [CLS]/[SEP] — how e5 was pretrained, whose [CLS] alone says little (README,
"Pooling").

- ``unit``:       ``[CLS] unit [SEP]`` — classify at [CLS];
- ``section``:    ``[CLS] unit [SEP] section path [SEP]`` — classify at [CLS]; with
  ``neighbour_tokens`` > 0 the end of the unit before and the start of the unit after follow:
  ``… section path [SEP] before [SEP] after [SEP]``;
- ``sequential``: ``[CLS] u1 [SEP] u2 [SEP] … [SEP]`` — consecutive units of one document in a
  window, each classified at its own [SEP] (Cohan et al. 2019). Windows carry a few units of
  left and right context that are not scored there, and every unit is scored in exactly one
  window, so a document longer than the model length loses nothing.

The context settings live in ``config.json`` under ``govtag`` next to ``id2label``/``label2id``.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Iterator

import numpy as np
import torch

from ..errors import GovtagError
from ..files import atomic_dir
from ..labels import ID2LABEL, LABEL2ID, LABELS

logger = logging.getLogger(__name__)

CONTEXT_MODES = ("unit", "section", "sequential")
POOLINGS = ("marker", "mean")
IGNORE = -100  # units without a label, as in Hugging Face's loss
FORMAT_VERSION = 1  # bump when a saved folder can no longer be read the same way


@dataclass
class ContextConfig:
    mode: str = "sequential"
    max_length: int = 256  # tokens per window (sequence)
    max_unit_tokens: int = 64  # longer units are truncated, with a warning
    max_section_tokens: int = 32  # section-path tokens in "section" mode
    section_headings: int = 2  # "section": the innermost headings read (0: the whole path, outermost first)
    context_units: int = 2  # "sequential": unscored neighbours on each side of a window
    neighbour_tokens: int = 0  # "section": tokens read from the unit before and the unit after (0: none)
    pooling: str = "marker"  # "marker": the unit's [CLS] (its [SEP] in sequential mode); "mean": its tokens

    def __post_init__(self) -> None:
        if self.mode not in CONTEXT_MODES:
            raise GovtagError(f"context mode {self.mode!r} is not one of {', '.join(CONTEXT_MODES)}")
        if self.pooling not in POOLINGS:
            raise GovtagError(f"pooling {self.pooling!r} is not one of {', '.join(POOLINGS)}")
        if self.section_headings < 0:
            raise GovtagError(f"section_headings must be 0 (the whole path) or more, got {self.section_headings}")
        if self.max_length < self.max_unit_tokens + 2:
            raise GovtagError(f"max_length ({self.max_length}) must exceed max_unit_tokens + 2 ({self.max_unit_tokens + 2})")
        if self.mode == "section" and self.neighbour_tokens:
            need = self.max_unit_tokens + self.max_section_tokens + 2 * self.neighbour_tokens + 5  # and 5 special tokens
            if self.max_length < need:
                raise GovtagError(f"max_length ({self.max_length}) must be at least max_unit_tokens + max_section_tokens"
                                  f" + 2 * neighbour_tokens + 5 ({need}) in section mode with neighbours")


@dataclass
class Window:
    """One model input. Unit ``units[k]`` (a row index) is classified by the mean of the token
    logits over ``spans[k]`` (start, end)."""

    input_ids: list[int]
    spans: list[tuple[int, int]]
    units: list[int]
    labels: list[int]
    weights: list[float]


def section_text(section: list[str] | tuple[str, ...], headings: int = 2) -> str:
    """The section path as the model reads it: the innermost ``headings`` (0: all of them)."""
    return " > ".join(section[-headings:] if headings else section)


class Encoder:
    """Turns document rows into windows for one tokenizer and context configuration."""

    def __init__(self, tokenizer, context: ContextConfig):
        self.tokenizer = tokenizer
        self.context = context
        self.cls, self.sep = tokenizer.cls_token_id, tokenizer.sep_token_id
        # A fast tokenizer is one Rust object whose settings each call may change: one caller at a time.
        self._lock = threading.Lock()

    def _tokens(self, texts: list[str], limit: int) -> tuple[list[list[int]], list[int]]:
        """Token ids cut to ``limit``, and the indices of the texts that were cut."""
        with self._lock:
            ids = self.tokenizer(texts, add_special_tokens=False)["input_ids"] if texts else []
        return [x[:limit] for x in ids], [i for i, x in enumerate(ids) if len(x) > limit]

    def windows(self, rows: list[dict], targets: list[int] | None = None,
                weights: list[float] | None = None) -> list[Window]:
        """Windows over ``rows`` (several documents, each in reading order).

        ``targets``/``weights`` give each row's label id (IGNORE for none) and loss weight.
        """
        targets = targets if targets is not None else [IGNORE] * len(rows)
        weights = weights if weights is not None else [1.0] * len(rows)
        ctx = self.context
        unit_ids, truncated = self._tokens([r["text"] for r in rows], ctx.max_unit_tokens)
        if truncated:
            where = ", ".join(f"{rows[i]['doc_id']} unit {rows[i]['index']}" for i in truncated[:5])
            logger.warning("%d unit(s) longer than %d tokens were truncated; the model reads only their beginning (%s%s)",
                           len(truncated), ctx.max_unit_tokens, where, ", …" if len(truncated) > 5 else "")
        if ctx.mode == "sequential":
            out = []
            for doc in _documents(rows):
                out.extend(self._sequential(doc, unit_ids, targets, weights))
            return out
        sections = neighbours = None
        if ctx.mode == "section":
            sections, _ = self._tokens([section_text(r["section"], ctx.section_headings) for r in rows],
                                       ctx.max_section_tokens)
            if ctx.neighbour_tokens:
                neighbours = _neighbour_ids(rows, unit_ids, ctx.neighbour_tokens)
        out = []
        for i, ids in enumerate(unit_ids):
            room = ctx.max_length - len(ids) - 3  # section tokens that fit: [CLS] unit [SEP] section [SEP]
            seq = [self.cls, *ids, self.sep] + ([*sections[i][:room], self.sep] if sections and room >= 0 else [])
            if neighbours:  # ContextConfig guarantees they fit
                before, after = neighbours[i]
                seq += [*before, self.sep, *after, self.sep]
            span = (0, len(ids) + 2) if ctx.pooling == "mean" else (0, 1)
            out.append(Window(seq, [span], [i], [targets[i]], [weights[i]]))
        return out

    def _sequential(self, doc: list[int], unit_ids, targets, weights) -> Iterator[Window]:
        ctx, n = self.context, len(doc)
        cost = [len(unit_ids[i]) + 1 for i in doc]  # tokens plus the unit's [SEP]
        start = 0
        while start < n:
            left = list(range(max(0, start - ctx.context_units), start))
            while left and 1 + sum(cost[k] for k in left) + cost[start] > ctx.max_length:
                left.pop(0)
            used = 1 + sum(cost[k] for k in left)
            end = start
            while end < n:
                right_cost = sum(cost[k] for k in range(end + 1, min(n, end + 1 + ctx.context_units)))
                if end > start and used + cost[end] + right_cost > ctx.max_length:
                    break
                used += cost[end]
                end += 1
            right = []
            for k in range(end, min(n, end + ctx.context_units)):
                if used + cost[k] > ctx.max_length:
                    break
                right.append(k)
                used += cost[k]
            seq, spans, units, labels, ws = [self.cls], [], [], [], []
            for k in left + list(range(start, end)) + right:
                first = len(seq)
                seq.extend(unit_ids[doc[k]])
                seq.append(self.sep)
                if start <= k < end:
                    spans.append((first if ctx.pooling == "mean" else len(seq) - 1, len(seq)))
                    units.append(doc[k])
                    labels.append(targets[doc[k]])
                    ws.append(weights[doc[k]])
            yield Window(seq, spans, units, labels, ws)
            start = end


def _documents(rows: list[dict]) -> list[list[int]]:
    """Row indices grouped into runs of consecutive units of one document: a new run starts at
    a new document or a gap in ``index``, so units that are not neighbours never share a window."""
    groups: list[list[int]] = []
    for i, r in enumerate(rows):
        prev = rows[i - 1] if i else None
        if prev is None or prev["doc_id"] != r["doc_id"] or r["index"] != prev["index"] + 1:
            groups.append([])
        groups[-1].append(i)
    return groups


def _neighbour_ids(rows: list[dict], unit_ids: list[list[int]], n: int) -> list[tuple[list[int], list[int]]]:
    """For each row, the last ``n`` tokens of the unit before it and the first ``n`` of the unit
    after it, where those are its neighbours in the same document (else nothing)."""
    out: list[tuple[list[int], list[int]]] = [([], [])] * len(rows)
    for doc in _documents(rows):
        for k, i in enumerate(doc):
            before = unit_ids[doc[k - 1]][-n:] if k else []
            after = unit_ids[doc[k + 1]][:n] if k + 1 < len(doc) else []
            out[i] = (before, after)
    return out


def collate(windows: list[Window], pad_id: int) -> dict[str, torch.Tensor]:
    """Pad a batch. ``pool`` [batch, units, tokens] averages each unit's span (``pool_logits``);
    ``labels``/``weights`` are [batch, units], IGNORE/0 where a window has fewer units."""
    width = max(len(w.input_ids) for w in windows)
    slots = max(len(w.units) for w in windows)
    input_ids = torch.full((len(windows), width), pad_id, dtype=torch.long)
    attention = torch.zeros((len(windows), width), dtype=torch.long)
    pool = torch.zeros((len(windows), slots, width), dtype=torch.float)
    labels = torch.full((len(windows), slots), IGNORE, dtype=torch.long)
    weights = torch.zeros((len(windows), slots), dtype=torch.float)
    for b, w in enumerate(windows):
        input_ids[b, : len(w.input_ids)] = torch.tensor(w.input_ids)
        attention[b, : len(w.input_ids)] = 1
        for k, (start, end) in enumerate(w.spans):
            pool[b, k, start:end] = 1.0 / (end - start)
        labels[b, : len(w.labels)] = torch.tensor(w.labels)
        weights[b, : len(w.weights)] = torch.tensor(w.weights)
    return {"input_ids": input_ids, "attention_mask": attention, "pool": pool, "labels": labels, "weights": weights}


def pool_logits(pool, token_logits):
    """Per-unit logits [batch, units, labels] from token logits [batch, tokens, labels] (torch or numpy)."""
    return pool @ token_logits


class WindowedTagger:
    """What every runtime shares: encode rows into windows, run them in length-sorted batches,
    and scatter the logits back to rows. Subclasses provide ``_forward`` (PyTorch, ONNX Runtime)."""

    def __init__(self, tokenizer, context: ContextConfig, labels: tuple[str, ...], temperature: float = 1.0):
        self.tokenizer = tokenizer
        self.context = context
        self.labels = labels
        self.temperature = temperature
        self.encoder = Encoder(tokenizer, context)

    def _forward(self, batch: dict[str, torch.Tensor]) -> np.ndarray:
        """Logits [batch, tokens, labels] for padded ``input_ids`` and ``attention_mask``."""
        raise NotImplementedError

    def logits(self, rows: list[dict], batch_size: int = 16) -> np.ndarray:
        """Per-row logits [len(rows), num_labels], each row read in its document context."""
        windows = self.encoder.windows(rows)
        out = np.zeros((len(rows), len(self.labels)), dtype=np.float32)
        order = sorted(range(len(windows)), key=lambda i: len(windows[i].input_ids))  # less padding
        for b in range(0, len(order), batch_size):
            batch = [windows[i] for i in order[b: b + batch_size]]
            inputs = collate(batch, self.tokenizer.pad_token_id)
            logits = pool_logits(inputs["pool"].numpy(), self._forward(inputs))
            for k, w in enumerate(batch):
                out[w.units] = logits[k, : len(w.units)]
        return out

    def predict_proba(self, rows: list[dict], batch_size: int = 16) -> np.ndarray:
        """Calibrated probabilities (softmax of logits / temperature)."""
        z = self.logits(rows, batch_size) / self.temperature
        z = np.exp(z - z.max(axis=1, keepdims=True))
        return z / z.sum(axis=1, keepdims=True)


def check_model_folder(path: str | Path, weights: str):
    """The folder's Hugging Face config, after checking everything a tagger needs is there.

    All problems are collected into one error, so a broken folder is diagnosed in one go."""
    from transformers import AutoConfig

    path = Path(path)
    if not path.is_dir():
        raise GovtagError(f"{path}: model folder not found")
    missing = [f for f in ("config.json", weights, "tokenizer.json") if not (path / f).is_file()]
    problems = [f"missing {f}" for f in missing]
    config = None
    if "config.json" not in missing:
        try:
            config = AutoConfig.from_pretrained(str(path))
        except (OSError, ValueError) as e:
            problems.append(f"config.json cannot be read ({str(e).splitlines()[0]})")
    if config is not None:
        settings = getattr(config, "govtag", None)
        if not isinstance(settings, dict):
            problems.append("config.json has no 'govtag' settings (not a govtag model folder)")
        elif settings.get("format_version") != FORMAT_VERSION:
            problems.append(f"written by an incompatible govtag (format {settings.get('format_version')}, expected {FORMAT_VERSION})")
        elif set(config.label2id) - set(LABELS):
            problems.append(f"unknown labels in config.json: {sorted(set(config.label2id) - set(LABELS))}")
    if problems:
        raise GovtagError(f"{path}: not a usable model folder: " + "; ".join(problems))
    return config


def context_from_config(config) -> tuple[ContextConfig, float]:
    """The context settings and calibration temperature stored under ``govtag`` in config.json."""
    known = {f.name for f in fields(ContextConfig)}
    settings = config.govtag
    return (ContextConfig(**{k: v for k, v in settings["context"].items() if k in known}),
            float(settings.get("temperature", 1.0)))


def labels_from_config(config) -> tuple[str, ...]:
    return tuple(config.id2label[i] for i in range(config.num_labels))


def load_tagger(path: str | Path, device: str = "cpu", threads: int | None = None) -> WindowedTagger:
    """A model folder on its runtime: ONNX Runtime for a ``govtag export`` folder, else PyTorch.
    ``threads`` is per session for ONNX Runtime, process-wide for PyTorch."""
    from .exporters import ONNX_FILE, OnnxUnitTagger

    if (Path(path) / ONNX_FILE).is_file():
        return OnnxUnitTagger.from_pretrained(path, device, threads)
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise GovtagError(f"device {device!r} asked for, but torch sees no CUDA GPU")
    if threads:
        torch.set_num_threads(threads)
    return UnitTagger.from_pretrained(path, device)


class UnitTagger(WindowedTagger):
    """A fine-tuned PyTorch encoder plus its tokenizer, context settings and calibration temperature."""

    runtime = "pytorch fp32"

    def __init__(self, model, tokenizer, context: ContextConfig, temperature: float = 1.0):
        super().__init__(tokenizer, context, labels_from_config(model.config), temperature)
        self.model = model

    @classmethod
    def from_base(cls, base: str | Path, context: ContextConfig, num_layers: int | None = None) -> "UnitTagger":
        """A new tagger on a pretrained encoder (local folder or Hub name), head untrained."""
        from transformers import AutoModelForTokenClassification, AutoTokenizer, logging as hf_logging

        kwargs = {"num_hidden_layers": num_layers} if num_layers else {}
        verbosity = hf_logging.get_verbosity()
        hf_logging.set_verbosity_error()  # the fresh head's "newly initialized" notice is expected
        try:
            model = AutoModelForTokenClassification.from_pretrained(
                str(base), num_labels=len(LABELS), id2label=ID2LABEL, label2id=LABEL2ID, dtype=torch.float32, **kwargs)
            tokenizer = AutoTokenizer.from_pretrained(str(base))
        except (OSError, ValueError) as e:  # no such folder, or not a model folder
            raise GovtagError(f"cannot load base model {base}: {e}") from None
        finally:
            hf_logging.set_verbosity(verbosity)
        return cls(model, tokenizer, context)

    @classmethod
    def from_pretrained(cls, path: str | Path, device: str = "cpu", **model_kwargs) -> "UnitTagger":
        """Load a folder written by ``save_pretrained``; problems are listed, not raised from torch."""
        from transformers import AutoModelForTokenClassification, AutoTokenizer
        from transformers.utils import logging as hf_logging

        config = check_model_folder(path, "model.safetensors")
        context, temperature = context_from_config(config)
        bar = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()  # a per-tensor loading bar is noise when tagging
        try:
            model = AutoModelForTokenClassification.from_pretrained(str(path), **model_kwargs).to(device)
        finally:
            if bar:
                hf_logging.enable_progress_bar()
        model.eval()
        tokenizer = AutoTokenizer.from_pretrained(str(path))
        return cls(model, tokenizer, context, temperature)

    def save_pretrained(self, path: str | Path, extra_files: dict[str, str] | None = None) -> Path:
        """Write model, tokenizer, settings and ``extra_files`` (name → text) atomically."""
        self.model.config.govtag = {"format_version": FORMAT_VERSION, "context": asdict(self.context),
                                    "temperature": self.temperature}
        with atomic_dir(path) as tmp:
            self.model.save_pretrained(tmp)
            self.tokenizer.save_pretrained(tmp)
            for name, text in (extra_files or {}).items():
                (tmp / name).write_text(text, encoding="utf-8")
        return Path(path)

    def logits(self, rows: list[dict], batch_size: int = 16) -> np.ndarray:
        self.model.eval()  # the trainer calls this between training steps
        return super().logits(rows, batch_size)

    @torch.inference_mode()
    def _forward(self, batch: dict[str, torch.Tensor]) -> np.ndarray:
        device = self.model.device
        return self.model(input_ids=batch["input_ids"].to(device),
                          attention_mask=batch["attention_mask"].to(device)).logits.float().cpu().numpy()
