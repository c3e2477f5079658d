"""govtag.eval.bench: the speed benchmark's bookkeeping and the quality table's formatting."""

from __future__ import annotations

from govtag.annotations import write_interchange
from govtag.eval.bench import bench_parity, bench_speed, quality_markdown, speed_markdown
from govtag.model.exporters import export_onnx


def test_bench_speed_runs_each_model_in_its_own_process(tiny_tagger, tmp_path):
    onnx_dir = export_onnx(tiny_tagger, tmp_path / "onnx")
    report = tmp_path / "r.txt"
    report.write_text("一、工作回顾\n开展培训10次。全市增长5%。\n二、下一步计划\n将加强学习。", encoding="utf-8")
    log = tmp_path / "train_log.jsonl"
    log.write_text('{"epoch": 1, "epoch_seconds": 12.5}\n', encoding="utf-8")
    result = bench_speed([tiny_tagger, onnx_dir], {"one": [report, report]}, batch_sizes=[1, 4], threads=[1], train_log=log)
    assert [m["model"] for m in result["models"]] == [str(tiny_tagger), str(onnx_dir)]
    rows = [r for m in result["models"] for r in m["results"]]
    assert [(r["runtime"], r["batch_size"]) for r in rows] == [
        ("pytorch fp32", 1), ("pytorch fp32", 4), ("onnx int8", 1), ("onnx int8", 4)]
    assert all(r["units"] == 10 and r["units_per_second"] > 0 for r in rows)
    assert result["train_epoch_seconds"] == [12.5] and all(m["peak_rss_mb"] > 0 for m in result["models"])
    table = speed_markdown(result)
    assert "| one | onnx int8 | 1 | 4 | 10 |" in table and result["machine"]["cpu"] in table


def test_bench_parity_on_an_interchange_file(tiny_tagger, tmp_path, make_synthetic):
    gold = tmp_path / "gold.jsonl"
    write_interchange(make_synthetic(("g1", "g2"), seed=4), gold)
    result = bench_parity(tiny_tagger, export_onnx(tiny_tagger, tmp_path / "onnx"), str(gold))
    assert result["gold_units"] == result["all_units"] == 2 * 16
    assert result["agreement_gold_units"] >= 0.99 and result["reference_macro_f1"] > 0.5
    assert abs(result["reference_macro_f1"] - result["candidate_macro_f1"]) <= 0.01
    assert 0 < result["max_probability_difference"] < 0.2


def test_quality_markdown_averages_seeds():
    f1 = {"measure": 0.5, "outcome": 0.6, "shortcoming": 0.7, "plan": 0.8, "other": 0.9}
    run = lambda m: {"test": {"macro_f1": m, "f1": f1}, "fazhi": {"macro_f1": m / 2, "f1": f1}, "loro": {"a": 0.4, "b": 0.6}}
    result = {"baselines": {"majority": run(0.1)}, "bert": {"bert section": [run(0.8), run(0.9)]},
              "machine": {"cpu": "cpu", "cores": 2}, "commit": "abc", "seeds": [1, 2]}
    table = quality_markdown(result)
    assert "| majority | 0.100 | 0.050 | 0.500 |" in table
    assert "| bert section | 0.850 ± 0.050 | 0.425 ± 0.025 | 0.500 ± 0.000 |" in table
