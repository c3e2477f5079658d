"""Training rows from the project's real corpus, annotations and recorded splits: held-out reports
never reach training, and leave-one-report-out holds out exactly the one report."""

from __future__ import annotations

import pytest

from govtag.annotations import load_gold
from govtag.corpus import load_corpus
from govtag.dedup import unit_keys
from govtag.errors import GovtagError
from govtag.splits import load_splits
from govtag.training.config import TrainConfig
from govtag.training.data import load_training_data


@pytest.fixture(scope="module")
def docs():
    try:
        return {d.doc_id: d for d in load_corpus()}
    except GovtagError as e:
        pytest.skip(f"project corpus not available: {e}")


@pytest.fixture(scope="module")
def splits():
    return load_splits()


@pytest.fixture(scope="module")
def gold_docs(docs):
    return sorted({k[0] for k in load_gold(docs)})


@pytest.fixture(scope="module")
def default_data(docs):
    return load_training_data(TrainConfig(silver_weight=0), docs)


@pytest.fixture(scope="module")
def fazhi_docs(splits, gold_docs):
    found = sorted(d for d in gold_docs if splits.get(d) == "fazhi")
    assert len(found) == 5
    return found


@pytest.fixture(scope="module")
def loro_data(docs, fazhi_docs):
    cfg = TrainConfig(silver_weight=0, train_splits=["train", "fazhi"], test_splits=[], test_docs=[fazhi_docs[0]])
    return load_training_data(cfg, docs)


def doc_ids(rows):
    return {r["doc_id"] for r in rows}


def test_no_held_out_report_in_training(default_data, splits):
    train = doc_ids(default_data.train)
    assert train and {splits[d] for d in train} == {"train"}
    held_out = doc_ids(default_data.dev) | {d for rows in default_data.test.values() for d in doc_ids(rows)}
    assert held_out and not train & held_out


def test_training_labels_are_gold_only(default_data):
    labelled = [r for r in default_data.train if r["label"] is not None]
    assert len(labelled) > 500
    assert {r["label_source"] for r in labelled} == {"gold"}
    assert all(r["label_source"] is None and r["annotator"] is None
               for r in default_data.train if r["label"] is None)
    assert default_data.notes["train_silver_units"] == 0 and default_data.notes["silver_only_reports"] == 0
    assert default_data.notes["train_gold_units"] == len(labelled)


def test_dev_and_test_rows_come_from_their_splits(default_data, splits):
    assert doc_ids(default_data.dev) and {splits[d] for d in doc_ids(default_data.dev)} == {"dev"}
    assert set(default_data.test) == {"test", "fazhi"}
    for name, rows in default_data.test.items():
        assert rows and {splits[d] for d in doc_ids(rows)} == {name}
    held_out = default_data.dev + [r for rows in default_data.test.values() for r in rows]
    assert all(r["label"] is None or r["label_source"] == "gold" for r in held_out)
    assert default_data.notes["dev_reports"] == len(doc_ids(default_data.dev))


def test_no_labelled_training_unit_repeats_a_held_out_text(default_data):
    held_out = unit_keys(r["text"] for rows in [default_data.dev, *default_data.test.values()] for r in rows)
    assert not any(unit_keys([r["text"]]) & held_out for r in default_data.train if r["label"] is not None)


def test_rows_are_in_reading_order(default_data):
    for rows in (default_data.train, default_data.dev, *default_data.test.values()):
        for a, b in zip(rows, rows[1:]):
            if a["doc_id"] == b["doc_id"]:
                assert b["index"] > a["index"]


def test_leave_one_report_out(loro_data, fazhi_docs, splits):
    held, others = fazhi_docs[0], set(fazhi_docs[1:])
    train = doc_ids(loro_data.train)
    assert held not in train
    assert others <= train, "the other four fazhi reports are trained on"
    labelled = doc_ids([r for r in loro_data.train if r["label"] is not None])
    assert others <= labelled, "and their gold labels are kept"
    assert list(loro_data.test) == [held] and doc_ids(loro_data.test[held]) == {held}
    assert any(r["label"] is not None for r in loro_data.test[held])
    assert {splits[d] for d in train} == {"train", "fazhi"}
    assert not train & doc_ids(loro_data.dev)


def test_unknown_test_doc_is_an_error(docs):
    with pytest.raises(GovtagError, match="test_docs: no gold labels for no-such-report"):
        load_training_data(TrainConfig(silver_weight=0, test_docs=["no-such-report"]), docs)
