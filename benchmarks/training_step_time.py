"""Seconds per training step of the default config on this CPU, split into forward, backward and
optimizer, for a few cost levers. Each variant runs N steps (after 3 warm-up steps) on the default
training windows, batches as in training.

Run from the repository root:
    python benchmarks/training_step_time.py N LAYERS,BATCH,FREEZE,FUSED[,COMPILE] ...
LAYERS: encoder layers kept; BATCH: batch size; FREEZE: -1 trains everything, K >= 0 freezes the
embeddings and the first K layers; FUSED: 1 for fused AdamW, 0 for torch's default AdamW;
COMPILE: 1 to run the model under torch.compile (dynamic shapes; its compile time is reported apart).
    python benchmarks/training_step_time.py 60 6,8,-1,0 6,8,-1,1 6,8,0,1 6,8,0,0
"""

import sys
import time
import torch

from govtag.model.modeling import UnitTagger, pool_logits
from govtag.training.base import resolve_base_model
from govtag.training.config import load_config
from govtag.training.data import load_training_data
from govtag.training.trainer import _targets, class_weights, freeze, training_loader, weighted_loss


def matmul_rate(m: int = 370, k: int = 384, n: int = 1536, repeats: int = 200) -> float:
    """GFLOP/s of one fp32 matrix product the size of a default step's feed-forward layer
    (8 windows x ~46 tokens, hidden 384, intermediate 1536): the ceiling for this CPU's steps."""
    a, b = torch.randn(m, k), torch.randn(k, n)
    for _ in range(5):
        a @ b
    t0 = time.perf_counter()
    for _ in range(repeats):
        a @ b
    return 2 * m * k * n * repeats / (time.perf_counter() - t0) / 1e9


steps, variants = int(sys.argv[1]), sys.argv[2:]
print(f"fp32 matrix product 370x384 @ 384x1536: {matmul_rate():.0f} GFLOP/s on {torch.get_num_threads()} threads", flush=True)
cfg = load_config("configs/default.yaml")
data = load_training_data(cfg)
base = resolve_base_model(cfg)
targets, weights = _targets(data.train, cfg)
for variant in variants:
    values = [int(x) for x in variant.split(",")]
    layers, batch_size, frozen, fused, compiled = values + [0] * (5 - len(values))
    torch.manual_seed(0)
    tagger = UnitTagger.from_base(base, cfg.context, layers)
    if frozen >= 0:
        freeze(tagger.model, True, frozen)
    loader = training_loader(tagger, data.train, targets, weights, batch_size, True, torch.Generator().manual_seed(0))
    model = tagger.model
    forward_fn = torch.compile(model, dynamic=True) if compiled else model
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4, fused=bool(fused) or None)
    label_weights = class_weights(targets, cfg.class_weighting)
    model.train()
    forward = backward = update = warmup = 0.0
    tokens = 0
    for k, batch in enumerate(loader):
        if k == steps + 3:
            break
        t0 = time.perf_counter()
        logits = forward_fn(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
        loss = weighted_loss(pool_logits(batch["pool"], logits), batch["labels"], batch["weights"], label_weights)
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        optimizer.step()
        optimizer.zero_grad()
        t3 = time.perf_counter()
        if k < 3:
            warmup += t3 - t0
        else:
            forward, backward, update = forward + t1 - t0, backward + t2 - t1, update + t3 - t2
            tokens += batch["input_ids"].numel()
    total = (forward + backward + update) / steps
    print(f"layers={layers} batch={batch_size} freeze={frozen} fused={fused} compile={compiled}: {total:.3f} s/step "
          f"(forward {forward / steps:.3f}, backward {backward / steps:.3f}, optimizer {update / steps:.3f}); "
          f"{tokens / steps / batch_size:.1f} padded tokens/window; {len(loader)} steps/epoch; "
          f"3 warm-up steps {warmup:.0f} s", flush=True)
