"""govtag.eval.bench: the speed benchmark's bookkeeping and the quality table's formatting."""

from __future__ import annotations

from govtag.eval.bench import bench_speed, quality_markdown, speed_markdown
from govtag.model.modeling import ContextConfig, UnitTagger


def test_bench_speed_counts_every_unit(tiny_base, tmp_path):
    model_dir = UnitTagger.from_base(tiny_base, ContextConfig(mode="section")).save_pretrained(tmp_path / "model")
    report = tmp_path / "r.txt"
    report.write_text("一、工作回顾\n开展培训10次。全市增长5%。\n二、下一步计划\n将加强学习。", encoding="utf-8")
    log = tmp_path / "train_log.jsonl"
    log.write_text('{"epoch": 1, "epoch_seconds": 12.5}\n', encoding="utf-8")
    result = bench_speed(model_dir, {"one": [report]}, batch_sizes=[1, 4], threads=[1], train_log=log)
    assert [r["batch_size"] for r in result["results"]] == [1, 4]
    assert all(r["units"] == 5 and r["units_per_second"] > 0 for r in result["results"])
    assert result["train_epoch_seconds"] == [12.5] and result["peak_rss_mb"] > 0
    table = speed_markdown(result)
    assert "| one | pytorch | 1 | 4 | 5 |" in table and result["machine"]["cpu"] in table


def test_quality_markdown_averages_seeds():
    f1 = {"measure": 0.5, "outcome": 0.6, "shortcoming": 0.7, "plan": 0.8, "other": 0.9}
    run = lambda m: {"test": {"macro_f1": m, "f1": f1}, "fazhi": {"macro_f1": m / 2, "f1": f1}, "loro": {"a": 0.4, "b": 0.6}}
    result = {"baselines": {"majority": run(0.1)}, "bert": {"bert section": [run(0.8), run(0.9)]},
              "machine": {"cpu": "cpu", "cores": 2}, "commit": "abc", "seeds": [1, 2]}
    table = quality_markdown(result)
    assert "| majority | 0.100 | 0.050 | 0.500 |" in table
    assert "| bert section | 0.850 ± 0.050 | 0.425 ± 0.025 | 0.500 ± 0.000 |" in table
