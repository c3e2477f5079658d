"""govtag.Tagger: the library users call, on a tiny trained model (PyTorch and its ONNX export)."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

import pytest

from govtag import Tagger
from govtag.errors import GovtagError
from govtag.labels import LABELS
from govtag.model.exporters import export_onnx
from govtag.segment import normalize

fixtures = pytest.importorskip("govtag_tests_fixtures_tiny")  # loaded by tests/conftest.py


@pytest.fixture(scope="module")
def tagger(tiny_tagger) -> Tagger:
    return Tagger.from_pretrained(tiny_tagger, device="cpu", threads=1)


@pytest.fixture(scope="module")
def onnx_dir(tiny_tagger, tmp_path_factory):
    return export_onnx(tiny_tagger, tmp_path_factory.mktemp("export") / "onnx")


def accuracy(units, truth) -> float:
    scored = [u for u in units if u.text in truth]
    assert len(scored) >= 10
    return sum(u.label == truth[u.text] for u in scored) / len(scored)


def test_tag_a_report(tagger):
    text, truth = fixtures.synthetic_report(seed=5)
    report = tagger.tag(text, doc_id="r1")
    assert report.doc_id == "r1" and report.text == text
    assert [u.index for u in report.units] == list(range(len(report.units)))
    for u in report.units:
        assert normalize(text[u.start:u.end]) == u.text  # offsets point into the input
        assert u.label in LABELS and set(u.probs) == set(LABELS)
        assert abs(sum(u.probs.values()) - 1) < 1e-3 and u.score == max(u.probs.values()) == u.probs[u.label]
    assert accuracy(report.units, truth) >= 0.9
    plan = next(u for u in report.units if truth.get(u.text) == "plan")
    assert plan.section == ["三、今年工作安排"]
    assert {u.kind for u in report.units} == {"heading", "text"}
    assert {u.label for u in report.units if u.text in truth} == {"measure", "outcome", "shortcoming", "plan"}


def test_outputs_are_deterministic(tagger):
    text, _ = fixtures.synthetic_report(seed=6)
    assert tagger.tag(text).to_dict() == tagger.tag(text).to_dict()


@pytest.mark.parametrize("text", ["", "   \n\u3000\n"])
def test_empty_text_gives_no_units(tagger, text, caplog):
    with caplog.at_level(logging.WARNING):
        assert tagger.tag(text).units == []
    assert caplog.text == ""


def test_text_without_chinese_is_tagged_with_a_warning(tagger, caplog):
    with caplog.at_level(logging.WARNING, logger="govtag"):
        report = tagger.tag("Is this report in English? Yes, it is.", doc_id="en")
    assert len(report.units) == 2 and all(u.label in LABELS for u in report.units)
    assert "en: no Chinese characters" in caplog.text


def test_a_unit_longer_than_the_window_is_truncated_with_a_warning(tagger, caplog):
    long_unit = "开展" + "乡村振兴专项检查" * 40 + "。"
    with caplog.at_level(logging.WARNING, logger="govtag"):
        report = tagger.tag(f"一、工作回顾\n{long_unit}明年将继续推进法治政府工作。", doc_id="long")
    assert [u.text for u in report.units][1] == long_unit  # returned whole, labelled
    assert report.units[1].label in LABELS
    assert "truncated" in caplog.text and "long unit 1" in caplog.text


def test_tag_units_already_split(tagger):
    text, truth = fixtures.synthetic_report(seed=7)
    units = [u.text for u in tagger.tag(text).units]
    tagged = tagger.tag_units(units)
    assert [u.text for u in tagged] == units
    assert accuracy(tagged, truth) >= 0.9
    assert next(u for u in tagged if truth.get(u.text) == "shortcoming").section == ["二、存在的问题和不足"]
    assert "".join(units)[tagged[3].start:tagged[3].end] == units[3]
    assert tagger.tag_units([]) == []


def test_tag_documents_streams_files_in_order(tagger, tmp_path):
    paths = []
    for i in range(5):
        text, _ = fixtures.synthetic_report(seed=10 + i)
        paths.append(tmp_path / f"r{i}.txt")
        paths[-1].write_text(text, encoding="gb18030" if i == 2 else "utf-8")  # GBK files read correctly
    read = []

    def lazily():
        for p in paths:
            read.append(p)
            yield p

    streaming = Tagger(tagger.model, tagger.batch_size, units_per_chunk=1)  # one report per model pass
    stream = streaming.tag_documents(lazily())
    first = next(stream)
    assert len(read) == 1  # nothing read ahead of what is needed
    reports = [first, *stream]
    assert [r.doc_id for r in reports] == [f"r{i}" for i in range(5)]
    for path, report in zip(paths, reports):
        alone = tagger.tag(path.read_text(encoding="gb18030" if path.stem == "r2" else "utf-8"), path.stem)
        assert [u.label for u in report.units] == [u.label for u in alone.units]
        assert report.path == str(path)


def test_tag_documents_names_an_unreadable_file(tagger, tmp_path):
    bad = tmp_path / "scan.pdf"
    bad.write_bytes(b"%PDF-1.4\x00\x01\x02binary")
    with pytest.raises(GovtagError, match="scan.pdf"):
        list(tagger.tag_documents([bad]))


def test_summarize(tagger):
    text, truth = fixtures.synthetic_report(seed=8)
    report = tagger.tag(text)
    summary = tagger.summarize(report)
    assert list(summary["counts"]) == list(LABELS) and sum(summary["counts"].values()) == len(report.units)
    assert [s["text"] for s in summary["plans"]] == [u.text for u in report.units if u.label == "plan"]
    assert len(summary["shortcomings"]) == summary["counts"]["shortcoming"] >= 1
    by_index = {u.index: u for u in report.units}
    assert all(s["section"] == by_index[s["index"]].section for s in summary["shortcomings"] + summary["plans"])


def test_safe_from_several_threads(tagger):
    texts = [fixtures.synthetic_report(seed=20 + i)[0] for i in range(8)]
    alone = [tagger.tag(t).to_dict() for t in texts]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(lambda t: tagger.tag(t).to_dict(), texts * 2))
    assert together == alone * 2


def test_runs_an_onnx_export(tagger, onnx_dir):
    text, truth = fixtures.synthetic_report(seed=9)
    fast = Tagger.from_pretrained(onnx_dir, threads=1)
    assert fast.model.runtime == "onnx int8" and fast.labels == tagger.labels
    report = fast.tag(text)
    assert accuracy(report.units, truth) >= 0.9
    assert [u.label for u in report.units] == [u.label for u in tagger.tag(text).units]


def test_cuda_without_a_gpu_is_a_clear_error(tiny_tagger):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    with pytest.raises(GovtagError, match="no CUDA"):
        Tagger.from_pretrained(tiny_tagger, device="cuda")


def test_a_broken_model_folder_lists_its_problems(onnx_dir, tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(GovtagError) as e:
        Tagger.from_pretrained(broken)
    assert "missing model.safetensors" in str(e.value) and "missing tokenizer.json" in str(e.value)
    assert "config.json cannot be read" in str(e.value)

    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    for f in onnx_dir.iterdir():
        (corrupt / f.name).write_bytes(f.read_bytes()[:1000] if f.name == "model.onnx" else f.read_bytes())
    with pytest.raises(GovtagError, match="model.onnx: cannot be loaded by ONNX Runtime"):
        Tagger.from_pretrained(corrupt)
