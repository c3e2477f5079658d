"""Why the default pools the unit's tokens: how much the pretrained encoder's [CLS] output varies.

With ``pooling: marker`` the section-mode tagger classifies at [CLS]. multilingual-e5-small was
pretrained with mean pooling, so its [CLS] output need not carry the input. This prints, for the first 256 gold dev
units read as the model reads them (unit + section path), the mean pairwise cosine similarity of
the [CLS] vectors and of the mean-pooled unit tokens, after 6 and after 12 layers of the untrained
base. 1.0 means every input gives the same vector.

    python benchmarks/cls_probe.py
"""

import torch

from govtag.model.modeling import UnitTagger, collate
from govtag.training.base import resolve_base_model
from govtag.training.config import load_config
from govtag.training.data import load_training_data


def mean_pairwise_cosine(vectors: torch.Tensor) -> float:
    v = torch.nn.functional.normalize(vectors, dim=-1)
    return (v @ v.T).mean().item()


def main() -> None:
    cfg = load_config("configs/default.yaml")
    rows = [r for r in load_training_data(cfg).dev if r["label"]][:256]
    for layers in (6, 12):
        tagger = UnitTagger.from_base(resolve_base_model(cfg), cfg.context, layers)
        windows = tagger.encoder.windows(rows)
        batch = collate(windows, tagger.tokenizer.pad_token_id)
        with torch.no_grad():
            hidden = tagger.model.base_model(input_ids=batch["input_ids"],
                                             attention_mask=batch["attention_mask"]).last_hidden_state
        unit_end = [w.input_ids.index(tagger.tokenizer.sep_token_id) for w in windows]
        unit_mean = torch.stack([hidden[i, 1:end].mean(0) for i, end in enumerate(unit_end)])
        print(f"{layers:>2} layers: [CLS] {mean_pairwise_cosine(hidden[:, 0]):.5f}   "
              f"mean of unit tokens {mean_pairwise_cosine(unit_mean):.5f}")


if __name__ == "__main__":
    main()
