"""govtag.splits: whole reports to train/dev/test/fazhi, deterministic, duplicates kept together."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from govtag.corpus import Document
from govtag.dedup import duplicate_clusters
from govtag.errors import GovtagError
from govtag.splits import (DEFAULT_SEED, SPLITS, SPLITS_FILE, gold_kinds, held_out_moves, leave_one_report_out,
                           load_completed_later, load_later_gold, load_splits, make_splits, save_splits)


def synthetic_docs() -> tuple[list[Document], dict[str, str]]:
    """3 fazhi reports, 24 gold gwr reports in two strata, 10 silver-only gwr reports."""
    docs = [Document(f"fz-{i}", "", genre="fazhi") for i in range(3)]
    docs += [Document(f"gwr-full-{i:02d}", "", genre="gwr", level="national") for i in range(12)]
    docs += [Document(f"gwr-tgt-{i:02d}", "", genre="gwr", level="district") for i in range(12)]
    docs += [Document(f"gwr-silver-{i:02d}", "", genre="gwr", level="district") for i in range(10)]
    kinds = {d.doc_id: "full" for d in docs if d.doc_id.startswith("gwr-full")}
    kinds |= {d.doc_id: "targeted" for d in docs if d.doc_id.startswith("gwr-tgt")}
    return docs, kinds


def test_make_splits_assigns_every_document_once_by_report():
    docs, kinds = synthetic_docs()
    split = make_splits(docs, kinds)
    assert sorted(split) == sorted(d.doc_id for d in docs)  # a dict: one split per report
    assert set(split.values()) <= set(SPLITS)
    assert {d: s for d, s in split.items() if d.startswith("fz-")} == {f"fz-{i}": "fazhi" for i in range(3)}
    assert all(split[d] == "train" for d in split if d.startswith("gwr-silver"))
    for prefix in ("gwr-full", "gwr-tgt"):  # 12 reports per stratum: 2 test, 1 dev, 3 train in every 6
        assert Counter(s for d, s in split.items() if d.startswith(prefix)) == {"test": 4, "dev": 2, "train": 6}


def test_make_splits_is_deterministic_for_a_seed_and_not_for_input_order():
    docs, kinds = synthetic_docs()
    a = make_splits(docs, kinds, seed=7)
    assert make_splits(list(reversed(docs)), dict(reversed(list(kinds.items()))), seed=7) == a
    assert list(a) == sorted(a)
    others = [make_splits(docs, kinds, seed=s) for s in (1, 2, 3, 4)]
    assert any(o != a for o in others)  # the seed does shuffle


def test_gold_added_later_trains_and_moves_no_other_report():
    docs, kinds = synthetic_docs()
    before = make_splits(docs, kinds)
    later = ["gwr-silver-03", "gwr-silver-07"]  # silver-only reports that were annotated afterwards
    after = make_splits(docs, kinds | {d: "targeted" for d in later}, later_gold=later)
    assert after == before, "the new gold reports train and dev/test stay as they were"
    # Without the record, the new gold would be dealt anew and reshuffle dev and test.
    assert make_splits(docs, kinds | {d: "targeted" for d in later}) != before


def test_completing_held_out_gold_later_moves_no_report():
    docs, kinds = synthetic_docs()
    before = make_splits(docs, kinds)
    completed = [d for d, s in before.items() if s in ("dev", "test") and d.startswith("gwr-tgt")]
    grown = kinds | {d: "full" for d in completed}  # their targeted gold was completed to whole reports
    assert make_splits(docs, grown, completed_later=completed) == before
    # Without the record, the completed reports would be dealt in the other stratum.
    assert make_splits(docs, grown) != before


@pytest.mark.parametrize("field, load", [("later_gold", load_later_gold), ("completed_later", load_completed_later)])
def test_later_annotation_records_are_read_from_the_splits_file(tmp_path, field, load):
    path = tmp_path / "splits.json"
    path.write_text(json.dumps({"splits": {"a": "train"}, field: ["a"]}), encoding="utf-8")
    assert load(path) == ["a"]
    path.write_text(json.dumps({"splits": {"a": "train"}, field: "a"}), encoding="utf-8")
    with pytest.raises(GovtagError, match=field):
        load(path)
    assert load(SPLITS_FILE), "the project records its later gold"


def test_near_duplicates_follow_the_held_out_member():
    docs, kinds = synthetic_docs()
    split = make_splits(docs, kinds)
    test_doc = next(d for d, s in split.items() if s == "test")
    dev_doc = next(d for d, s in split.items() if s == "dev")
    train_gold = next(d for d, s in split.items() if s == "train" and d in kinds)
    # silver-00 copies a test report, silver-01 a fazhi report; silver-02 and a gold train report copy a dev report
    pairs = [(test_doc, "gwr-silver-00", 0.9), ("fz-1", "gwr-silver-01", 0.8),
             ("gwr-silver-02", dev_doc, 0.7), (train_gold, "gwr-silver-02", 0.6)]
    clusters = duplicate_clusters([d.doc_id for d in docs], pairs)
    moved = make_splits(docs, kinds, clusters)
    assert moved["gwr-silver-00"] == "test"
    assert moved["gwr-silver-01"] == "fazhi"
    assert moved["gwr-silver-02"] == moved[train_gold] == "dev"
    assert {d: s for d, s in moved.items() if d not in ("gwr-silver-00", "gwr-silver-01", "gwr-silver-02", train_gold)} == {
        d: s for d, s in split.items() if d not in ("gwr-silver-00", "gwr-silver-01", "gwr-silver-02", train_gold)}
    for a, b, _ in pairs:
        assert moved[a] == moved[b]


def test_held_out_moves_lists_reports_entering_or_leaving_dev_test_fazhi():
    recorded = {"a": "train", "b": "test", "c": "dev", "d": "train", "e": "fazhi"}
    split = {"a": "test", "b": "train", "c": "dev", "d": "train", "e": "fazhi", "f": "dev"}
    assert held_out_moves(recorded, split) == ["a: train → test", "b: test → train"]
    assert held_out_moves(recorded, recorded) == []


def test_gold_kinds_full_or_targeted():
    keys = [("a", 0, 1), ("a", 1, 2), ("b", 0, 1)]
    assert gold_kinds(keys, {"a": 2, "b": 5, "c": 3}) == {"a": "full", "b": "targeted"}


def test_leave_one_report_out_holds_out_each_report_once():
    ids = ["fz-a", "fz-b", "fz-c", "fz-d"]
    folds = list(leave_one_report_out(ids))
    assert [held for _, held in folds] == ids
    for train, held in folds:
        assert held not in train and sorted(train + [held]) == sorted(ids)
    assert list(leave_one_report_out([])) == []


def test_save_and_load_splits(tmp_path):
    path = tmp_path / "splits.json"
    save_splits({"a": "train", "b": "test"}, path, seed=3, method="m")
    assert json.loads(path.read_text(encoding="utf-8"))["seed"] == 3
    assert load_splits(path) == {"a": "train", "b": "test"}


def test_save_splits_keeps_hand_written_fields(tmp_path):
    path = tmp_path / "splits.json"
    path.write_text(json.dumps({"seed": 3, "decided": "2026-11-20, before tuning", "later_gold": ["a"],
                                "splits": {"a": "train"}}), encoding="utf-8")
    save_splits({"a": "train", "b": "dev"}, path, seed=4, later_gold=["a", "b"])
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data == {"seed": 4, "decided": "2026-11-20, before tuning", "later_gold": ["a", "b"],
                    "splits": {"a": "train", "b": "dev"}}


def test_save_splits_replaces_an_unreadable_file(tmp_path):
    path = tmp_path / "splits.json"
    path.write_text("{", encoding="utf-8")
    save_splits({"a": "train"}, path, seed=3)
    assert json.loads(path.read_text(encoding="utf-8")) == {"seed": 3, "splits": {"a": "train"}}


@pytest.mark.parametrize("content,message", [
    (None, "splits file not found"),
    ("{", "invalid JSON"),
    ('{"splits": {"a": "holdout"}}', "unknown split names \\['holdout'\\]"),
    ('{"seed": 13}', "field 'splits' is missing"),  # regression: was a KeyError traceback
    ('[1, 2]', "field 'splits' is missing"),  # regression: was an AttributeError traceback
])
def test_load_splits_errors(tmp_path, content, message):
    path = tmp_path / "splits.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(GovtagError, match=message):
        load_splits(path)


# --- the recorded splits of the project -----------------------------------------------------------

def test_recorded_splits_are_what_make_splits_gives_now(corpus_docs, corpus_units, gold_labels, corpus_dup_pairs):
    kinds = gold_kinds(gold_labels, {d: len(units) for d, units in corpus_units.items()})
    clusters = duplicate_clusters(list(corpus_docs), corpus_dup_pairs)
    recorded = json.loads(SPLITS_FILE.read_text(encoding="utf-8"))
    assert recorded["seed"] == DEFAULT_SEED
    given = make_splits(list(corpus_docs.values()), kinds, clusters, seed=DEFAULT_SEED, later_gold=recorded["later_gold"],
                        completed_later=recorded["completed_later"])
    assert given == load_splits() == recorded["splits"]


def test_recorded_splits_cover_the_corpus_and_hold_out_gold(corpus_docs, gold_labels):
    split = load_splits()
    assert set(split) == set(corpus_docs)
    assert all(split[d] == "fazhi" for d, doc in corpus_docs.items() if doc.genre == "fazhi")
    gold_docs = {k[0] for k in gold_labels}
    held_out = Counter(split[d] for d in gold_docs)
    assert held_out["test"] > 0 and held_out["dev"] > 0 and held_out["train"] > 0
    assert all(split[d] == "train" for d in corpus_docs if d not in gold_docs)


def test_no_copy_of_a_held_out_report_is_in_training(corpus_dup_pairs):
    """The documented guarantee: near-duplicate reports fall on the same side of the split."""
    split = load_splits()
    crossing = [(a, b) for a, b, _ in corpus_dup_pairs if split[a] != split[b]]
    assert not crossing
