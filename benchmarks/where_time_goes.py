"""Where tagging time goes on one long report: reading + segmenting, tokenizing, the forward pass.

Run from the repository root after `govtag export --model runs/default/model --out runs/default/onnx`:
    python benchmarks/where_time_goes.py [MODEL_DIR]
"""

import sys
import time

from govtag import Tagger
from govtag.corpus import default_corpus_dir, load_document
from govtag.segment import segment

tagger = Tagger.from_pretrained(sys.argv[1] if len(sys.argv) > 1 else "runs/default/onnx", threads=2, batch_size=16)
tagger.tag("热身。")  # first-call setup is not part of the split
t0 = time.perf_counter()
doc = load_document(default_corpus_dir() / "docs" / "gwr-national-1955.txt")
units = segment(doc.text, doc.doc_id)
rows = [{"doc_id": u.doc_id, "index": u.index, "text": u.text, "section": list(u.section)} for u in units]
t1 = time.perf_counter()
windows = tagger.model.encoder.windows(rows)
t2 = time.perf_counter()
tagger.model.logits(rows, 16)  # tokenizes again, then runs the model
t3 = time.perf_counter()
forward = (t3 - t2) - (t2 - t1)
print(f"{len(units)} units, {sum(len(w.input_ids) for w in windows) / len(windows):.1f} tokens per model input")
print(f"read + segment {t1 - t0:.2f} s | tokenize + windows {t2 - t1:.2f} s | forward pass {forward:.2f} s "
      f"({forward / (t3 - t0 - (t2 - t1)):.0%} of the end-to-end time)")
