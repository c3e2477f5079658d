"""Baselines that follow the predictor protocol: ``labels`` plus ``predict_proba(rows)``.

Each has ``fit(rows)`` (training uses only rows with a gold ``label``) so a harness can treat them
alike. They set the floor a trained tagger must clear:

- :class:`MajorityBaseline`: the label prior, i.e. what knowing nothing about a unit gets.
- :class:`TfidfBaseline`: character n-grams of the unit, optionally of its section path too —
  the gap between the two shows how much the heading context matters.
- :class:`RulesBaseline`: the silver labeller, scored against gold.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np

from ..errors import GovtagError
from ..labels import LABELS
from .report import labelled_indices

LabelFunction = Callable[[list[dict]], list[str]]


def _gold(rows: list[dict], labels: Sequence[str]) -> tuple[list[dict], list[str]]:
    """The labelled training rows and their labels, checked against the predictor's label set."""
    labelled = [rows[i] for i in labelled_indices(rows, labels, "training rows")]
    return labelled, [r["label"] for r in labelled]


class MajorityBaseline:
    """Predicts the training label distribution for every unit.

    Its argmax is the majority label (ties go to the earlier label in ``labels``); returning the
    whole prior rather than a one-hot vector gives a meaningful calibration reference as well.
    """

    def __init__(self, labels: Sequence[str] = LABELS):
        self.labels = tuple(labels)
        self.prior: np.ndarray | None = None

    def fit(self, rows: list[dict]) -> MajorityBaseline:
        _, y = _gold(rows, self.labels)
        counts = Counter(y)
        self.prior = np.array([counts[label] for label in self.labels], dtype=float) / len(y)
        return self

    def _fitted_prior(self) -> np.ndarray:
        if self.prior is None:
            raise GovtagError("MajorityBaseline is not fitted; call fit(rows) first")
        return self.prior

    @property
    def majority(self) -> str:
        return self.labels[int(self._fitted_prior().argmax())]

    def predict_proba(self, rows: list[dict]) -> np.ndarray:
        return np.tile(self._fitted_prior(), (len(rows), 1))


SECTION_DEPTH = 2


def section_text(row: dict) -> str:
    """The innermost ``SECTION_DEPTH`` headings above the unit, outermost first.

    The nearest headings carry the cue that turns a bare imperative into a measure or a plan
    (「（三）2025年重点任务」 vs 「（三）主要举措」) and name the line of work. Two, not the whole path:
    on dev, macro-F1 was 0.752 with the last two headings and 0.724 with the full path, whose top
    levels are often report-specific titles that add sparse n-grams.
    """
    return " > ".join(row["section"][-SECTION_DEPTH:])


class TfidfBaseline:
    """TF-IDF character 1–3-grams (sublinear tf) + class-balanced logistic regression.

    Characters, not words: Chinese has no spaces and the cues are short morphemes (将、已、不足、
    下一步). With ``with_section=True`` the section path (:func:`section_text`) gets its own
    vectoriser, so its n-grams are features distinct from the same n-grams in the unit text.
    """

    def __init__(self, with_section: bool = False, labels: Sequence[str] = LABELS, max_iter: int = 5000):
        self.with_section = with_section
        self.labels = tuple(labels)
        self.max_iter = max_iter
        self.pipeline = None

    def _columns(self, rows: list[dict]) -> np.ndarray:
        columns = [[r["text"], section_text(r)] if self.with_section else [r["text"]] for r in rows]
        return np.array(columns, dtype=object).reshape(len(rows), 2 if self.with_section else 1)

    def fit(self, rows: list[dict]) -> TfidfBaseline:
        from sklearn.compose import ColumnTransformer
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import Pipeline

        labelled, y = _gold(rows, self.labels)
        if len(set(y)) < 2:
            raise GovtagError(f"TF-IDF baseline needs at least two labels in training, got only {y[0]!r}")

        def vectoriser() -> TfidfVectorizer:
            return TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)

        fields = [("text", vectoriser(), 0)] + ([("section", vectoriser(), 1)] if self.with_section else [])
        self.pipeline = Pipeline([
            ("features", ColumnTransformer(fields)),
            ("classifier", LogisticRegression(class_weight="balanced", max_iter=self.max_iter)),
        ])
        self.pipeline.fit(self._columns(labelled), y)
        return self

    def predict_proba(self, rows: list[dict]) -> np.ndarray:
        """Probabilities in ``self.labels`` order; labels never seen in training get 0."""
        if self.pipeline is None:
            raise GovtagError("TfidfBaseline is not fitted; call fit(rows) first")
        probs = np.zeros((len(rows), len(self.labels)))
        if rows:
            # scikit-learn orders columns by its sorted classes_, not by our label order.
            columns = [self.labels.index(c) for c in self.pipeline.classes_]
            probs[:, columns] = self.pipeline.predict_proba(self._columns(rows))
        return probs


class RulesBaseline:
    """One-hot probabilities from a rule labeller ``label_rows(rows) -> list[str]``.

    Defaults to the silver labeller ``govtag.training.silver.label_rows``, imported on first use
    so this module loads (and its tests run) whether or not the training package has it yet.
    """

    def __init__(self, label_rows: LabelFunction | None = None, labels: Sequence[str] = LABELS):
        self.label_rows = label_rows
        self.labels = tuple(labels)

    def fit(self, rows: list[dict]) -> RulesBaseline:
        """Rules learn nothing; here so every baseline can be driven by the same fit/predict loop."""
        return self

    def _labeller(self) -> LabelFunction:
        if self.label_rows is None:
            try:
                from ..training.silver import label_rows
            except ImportError as e:
                raise GovtagError(f"the silver labeller govtag.training.silver.label_rows is not available ({e})") from None
            self.label_rows = label_rows
        return self.label_rows

    def predict_proba(self, rows: list[dict]) -> np.ndarray:
        predicted = list(self._labeller()(rows))
        if len(predicted) != len(rows):
            raise GovtagError(f"rule labeller returned {len(predicted)} labels for {len(rows)} rows")
        unknown = sorted({p for p in predicted if p not in self.labels}, key=str)
        if unknown:
            raise GovtagError(f"rule labeller returned labels outside {', '.join(self.labels)}: {unknown}")
        probs = np.zeros((len(rows), len(self.labels)))
        probs[np.arange(len(rows)), [self.labels.index(p) for p in predicted]] = 1.0
        return probs
