"""Seconds per training step of the default config on this CPU, split into forward, backward and
optimizer, for a few cost levers. Each variant runs N steps (after 3 warm-up steps) on the default
training windows, batches as in training.

Run from the repository root:
    python benchmarks/training_step_time.py N LAYERS,BATCH,FREEZE,FUSED ...
LAYERS: encoder layers kept; BATCH: batch size; FREEZE: -1 trains everything, K >= 0 freezes the
embeddings and the first K layers; FUSED: 1 for fused AdamW, 0 for torch's default AdamW.
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

steps, variants = int(sys.argv[1]), sys.argv[2:]
cfg = load_config("configs/default.yaml")
data = load_training_data(cfg)
base = resolve_base_model(cfg)
targets, weights = _targets(data.train, cfg)
for variant in variants:
    layers, batch_size, frozen, fused = (int(x) for x in variant.split(","))
    torch.manual_seed(0)
    tagger = UnitTagger.from_base(base, cfg.context, layers)
    if frozen >= 0:
        freeze(tagger.model, True, frozen)
    loader = training_loader(tagger, data.train, targets, weights, batch_size, True, torch.Generator().manual_seed(0))
    model = tagger.model
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4, fused=bool(fused) or None)
    label_weights = class_weights(targets, cfg.class_weighting)
    model.train()
    forward = backward = update = 0.0
    tokens = 0
    for k, batch in enumerate(loader):
        if k == steps + 3:
            break
        t0 = time.perf_counter()
        logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
        loss = weighted_loss(pool_logits(batch["pool"], logits), batch["labels"], batch["weights"], label_weights)
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        optimizer.step()
        optimizer.zero_grad()
        t3 = time.perf_counter()
        if k >= 3:
            forward, backward, update = forward + t1 - t0, backward + t2 - t1, update + t3 - t2
            tokens += batch["input_ids"].numel()
    total = (forward + backward + update) / steps
    print(f"layers={layers} batch={batch_size} freeze={frozen} fused={fused}: {total:.3f} s/step "
          f"(forward {forward / steps:.3f}, backward {backward / steps:.3f}, optimizer {update / steps:.3f}); "
          f"{tokens / steps / batch_size:.1f} padded tokens/window; {len(loader)} steps/epoch", flush=True)
