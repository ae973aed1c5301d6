"""Understanding a customer's message: which article answers it, how sure, or none.

The default needs no pretrained model and no network (DESIGN.md, "Understanding
without a cloud"). A message goes through the knowledge base's own text
pipeline (`knowledge.text`: accents folded, SMS shorthand expanded, words
stemmed) and becomes two TF-IDF blocks: stemmed word uni- and bi-grams (plus
bi-grams of content words, skipping stop words), and character 2-5-grams of
the folded words, which carry typos, missing accents and odd spellings. A
linear SVM, trained on the articles' titles and example questions, scores
every article; a temperature-scaled softmax turns the scores into calibrated
probabilities.

Declining is explicit. Examples labelled `oos` (what the assistant should
decline) train a class of their own, which is never answered; and a message
whose best article is not likely enough is declined too. The temperature and
that threshold are chosen by cross-validation on the training examples only:
out-of-fold probabilities set the temperature (least log-loss) and the
threshold, which keeps 99 % of the answers the model gets right and, when
`oos` examples exist, declines at least 90 % of them. Without an encoder, a
message none of whose content words the examples know (even within a typo or
two) is declined as well: there is nothing lexical to answer it from.

An optional dense sentence encoder (`encoders.py`) adds its embeddings as a
third block of features of the same linear model.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein
from scipy.optimize import minimize_scalar
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.preprocessing import normalize
from sklearn.svm import LinearSVC

from ponton.knowledge import text

if TYPE_CHECKING:
    from ponton.assistant.encoders import Encoder

OOS = "oos"
"""The label of examples to decline: never an answer."""


@dataclass(frozen=True)
class Prediction:
    """What the model understood of one message."""

    ranked: list[tuple[str, float]]  # (label, calibrated probability), best first, never OOS
    out_of_scope: bool  # True: do not answer (unknown or declined)

    @property
    def top(self) -> str | None:
        if self.out_of_scope or not self.ranked:
            return None
        return self.ranked[0][0]

    @property
    def confidence(self) -> float:
        return self.ranked[0][1] if self.ranked else 0.0


@dataclass(frozen=True)
class TrainingConfig:
    """The knobs of training. The features and C were chosen on CLINC150's
    validation split and on held-out parts of the BANKING77 and HWU64 training
    files, never on their test splits (see benchmark.py); `keep_correct` and
    `oos_recall` are the product's choice of operating point."""

    c: float = 1.0  # SVM regularisation
    tol: float = 1e-2  # SVM stopping tolerance: tighter changes nothing measurable, costs time
    char_ngrams: tuple[int, int] = (2, 5)
    encoder_weight: float = 4.0  # weight of the dense block against each TF-IDF block
    folds: int = 5
    keep_correct: float = 0.99  # the threshold keeps this share of out-of-fold right answers
    oos_recall: float = 0.90  # ... and declines at least this share of `oos` examples
    max_threshold: float = 0.95
    default_temperature: float = 5.0  # when too few examples to fit one
    min_calibration_rows: int = 20
    parallel_from: int = 200  # examples from which folds train on two threads


DEFAULT_CONFIG = TrainingConfig()


# Features ---------------------------------------------------------------------------


class _WordGrams:
    """Stemmed word uni- and bi-grams, and bi-grams of content words across stop words."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __call__(self, message: str) -> list[str]:
        folded = text.words(message)
        stems = [text.stem(w, self.lang) for w in folded]
        grams = stems + [f"{a} {b}" for a, b in pairwise(stems)]
        content = [
            s for w, s in zip(folded, stems, strict=True) if not text.is_stop_word(w, self.lang)
        ]
        grams += [f"~{a} {b}" for a, b in pairwise(content)]
        return grams


def _folded(message: str) -> str:
    return " ".join(text.words(message))


def _idf(counts: sp.csr_matrix) -> np.ndarray:
    """Smoothed inverse document frequency over these rows; 0 for n-grams they lack,
    so a model never weighs what it was not trained on."""
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    idf = np.log((1.0 + counts.shape[0]) / (1.0 + df)) + 1.0
    return np.where(df > 0, idf, 0.0).astype(np.float32)


def _weigh(counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """Sublinear TF-IDF rows of unit length."""
    weighted = counts.copy()
    weighted.data = (1.0 + np.log(weighted.data)) * idf[weighted.indices]
    return sp.csr_matrix(normalize(weighted, copy=False))


@dataclass
class _Encoded:
    """A set of texts as the model sees them before weighting: raw n-gram counts of
    each block, and embeddings when there is an encoder."""

    counts: list[sp.csr_matrix]
    dense: np.ndarray | None

    def rows(self, index: np.ndarray) -> _Encoded:
        dense = None if self.dense is None else self.dense[index]
        return _Encoded([c[index] for c in self.counts], dense)


class _Features:
    """Word and character TF-IDF blocks (each row of unit length), and the
    encoder's embeddings when there is one."""

    def __init__(self, lang: str, config: TrainingConfig, encoder: Encoder | None) -> None:
        self.vectorizers = [
            CountVectorizer(analyzer=_WordGrams(lang), token_pattern=None, dtype=np.float32),
            CountVectorizer(
                analyzer="char_wb",
                ngram_range=config.char_ngrams,
                preprocessor=_folded,
                token_pattern=None,
                dtype=np.float32,
            ),
        ]
        self.idf: list[np.ndarray] = []
        self.encoder = encoder
        self.encoder_weight = config.encoder_weight

    def fit(self, texts: Sequence[str]) -> _Encoded:
        counts = [sp.csr_matrix(v.fit_transform(texts)) for v in self.vectorizers]
        self.idf = [_idf(c) for c in counts]
        return _Encoded(counts, self._embed(texts))

    def encode(self, texts: Sequence[str]) -> _Encoded:
        return _Encoded(
            [sp.csr_matrix(v.transform(texts)) for v in self.vectorizers], self._embed(texts)
        )

    def matrix(self, encoded: _Encoded, idf: list[np.ndarray] | None = None) -> sp.csr_matrix:
        blocks: list[Any] = [
            _weigh(c, i) for c, i in zip(encoded.counts, idf or self.idf, strict=True)
        ]
        if encoded.dense is not None:
            blocks.append(sp.csr_matrix(encoded.dense * self.encoder_weight))
        return sp.csr_matrix(sp.hstack(blocks, format="csr"))

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        return self.matrix(self.encode(texts))

    def _embed(self, texts: Sequence[str]) -> np.ndarray | None:
        if self.encoder is None:
            return None
        return np.asarray(self.encoder.encode(list(texts)), dtype=np.float32)


# Calibration ------------------------------------------------------------------------


def _softmax(scores: np.ndarray) -> np.ndarray:
    shifted = scores - scores.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return np.asarray(exp / exp.sum(axis=1, keepdims=True))


def _fit_temperature(scores: np.ndarray, y: np.ndarray) -> float:
    """The factor on SVM scores whose softmax has the least log-loss."""
    rows = np.arange(len(y))

    def log_loss(log_t: float) -> float:
        probabilities = _softmax(scores * math.exp(log_t))[rows, y]
        return float(-np.log(probabilities + 1e-12).mean())

    best = minimize_scalar(log_loss, bounds=(math.log(0.2), math.log(50.0)), method="bounded")
    return float(math.exp(best.x))


def _fold_of_each_example(y: np.ndarray, folds: int, rng: np.random.Generator) -> np.ndarray:
    """Stratified fold numbers: each label's examples dealt round the folds from a
    random start, so even labels with two examples are split."""
    fold = np.empty(len(y), dtype=np.int64)
    for label in np.unique(y):
        members = np.flatnonzero(y == label)
        rng.shuffle(members)
        fold[members] = (np.arange(len(members)) + rng.integers(folds)) % folds
    return fold


def _fit_svm(x: sp.csr_matrix, y: np.ndarray, config: TrainingConfig) -> LinearSVC:
    with warnings.catch_warnings():
        # A few labels that are hard to separate must not stop a retrain.
        warnings.simplefilter("ignore", ConvergenceWarning)
        # A fixed seed for liblinear's order of coordinates: the same examples give the same
        # model in every process, so a borderline reading never flips from one start to the next.
        return LinearSVC(C=config.c, tol=config.tol, max_iter=2000, random_state=0).fit(x, y)


def _scores(svm: LinearSVC, x: sp.csr_matrix, n_classes: int) -> np.ndarray:
    """Decision scores for every class (a label absent from this SVM scores very low)."""
    raw = svm.decision_function(x)
    if raw.ndim == 1:  # two classes: one score, for classes_[1]
        raw = np.column_stack([-raw, raw])
    out = np.full((x.shape[0], n_classes), -20.0)
    out[:, svm.classes_] = raw
    return out


def _out_of_fold_scores(
    features: _Features, encoded: _Encoded, y: np.ndarray, n_classes: int, config: TrainingConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Scores of each example by a model that did not see it, and whether its
    label was in that model's training fold (otherwise it cannot be scored fairly).

    Each fold weighs n-grams with its own document frequencies and ignores those
    only its held-out examples contain, as the final model will for new messages."""
    counts = np.bincount(y, minlength=n_classes)
    folds = int(min(config.folds, max(2, counts.max())))
    fold = _fold_of_each_example(y, folds, np.random.default_rng(0))

    def one(f: int) -> tuple[int, np.ndarray, np.ndarray]:
        train, held = np.flatnonzero(fold != f), np.flatnonzero(fold == f)
        train_rows = encoded.rows(train)
        idf = [_idf(c) for c in train_rows.counts]
        svm = _fit_svm(features.matrix(train_rows, idf), y[train], config)
        seen = np.isin(y[held], svm.classes_)
        return f, _scores(svm, features.matrix(encoded.rows(held), idf), n_classes), seen

    jobs = 2 if len(y) >= config.parallel_from else 1
    results = Parallel(n_jobs=jobs, prefer="threads")(delayed(one)(f) for f in range(folds))
    scores = np.zeros((len(y), n_classes))
    evaluable = np.zeros(len(y), dtype=bool)
    for f, fold_scores, seen in results:
        held = np.flatnonzero(fold == f)
        scores[held] = fold_scores
        evaluable[held] = seen
    return scores, evaluable


# Lexical evidence ---------------------------------------------------------------------


class _Vocabulary:
    """The content words of the answerable examples. A message none of whose content
    words is known, even within a typo or two, gives a lexical model nothing to go
    on: it is declined, whatever the classifier's scores."""

    def __init__(self, texts: Sequence[str], lang: str) -> None:
        self.lang = lang
        self.words = {w for t in texts for w in text.words(t) if len(w) > 1}
        self.stems = {text.stem(w, lang) for w in self.words}
        self._by_length: dict[int, list[str]] = {}
        for word in self.words:
            self._by_length.setdefault(len(word), []).append(word)

    def knows_some(self, message: str) -> bool:
        """True when the message has no content word (greetings, "yes", "no"), or
        when one of them is known as it is, by its stem, or within one edit (two
        for long words)."""
        content = [
            w
            for w in text.words(message)
            if len(w) > 1 and not w.isdigit() and not text.is_stop_word(w, self.lang)
        ]
        if not content:
            return True
        if any(w in self.words or text.stem(w, self.lang) in self.stems for w in content):
            return True
        for word in content:
            limit = 1 if len(word) <= 5 else 2
            for length in range(len(word) - limit, len(word) + limit + 1):
                candidates = self._by_length.get(length, ())
                if candidates and process.extractOne(
                    word, candidates, scorer=Levenshtein.distance, score_cutoff=limit
                ):
                    return True
        return False


# The model --------------------------------------------------------------------------


@dataclass
class TrainingReport:
    """How the model was made, for benchmarks and the admin."""

    examples: int
    labels: int
    oos_examples: int
    temperature: float
    threshold: float
    seconds: float
    calibration_rows: int
    notes: list[str] = field(default_factory=list)


class IntentModel:
    """Scores a message against every article it was trained on."""

    def __init__(
        self,
        *,
        lang: str,
        labels: list[str],
        features: _Features,
        weights: np.ndarray,
        intercepts: np.ndarray,
        temperature: float,
        threshold: float,
        report: TrainingReport,
        vocabulary: _Vocabulary,
    ) -> None:
        self.lang = lang
        self.labels = labels  # column order of the scores; may include OOS
        self._features = features
        self._weights = weights  # features x labels, float32
        self._intercepts = intercepts
        self.temperature = temperature
        self.threshold = threshold
        self.report = report
        self._vocabulary = vocabulary
        self._oos_column = labels.index(OOS) if OOS in labels else -1

    @property
    def encoder(self) -> Encoder | None:
        return self._features.encoder

    @classmethod
    def train(
        cls,
        examples: Sequence[tuple[str, str]],
        *,
        lang: str,
        encoder: Encoder | None = None,
        config: TrainingConfig = DEFAULT_CONFIG,
    ) -> IntentModel:
        """Train on (text, label) pairs; label OOS marks examples to decline."""
        started = time.perf_counter()
        pairs = [(t.strip(), label) for t, label in examples if t and t.strip()]
        examples_count = len(pairs)
        if not any(label != OOS for _, label in pairs):
            raise ValueError("An intent model needs at least one example of an answer.")
        notes: list[str] = []
        texts = [t for t, _ in pairs]
        labels = sorted({label for _, label in pairs})
        if len(labels) == 1:
            # One article: an SVM needs a second class, so the empty message stands for
            # "anything else".
            labels.append(OOS)
            pairs.append(("", OOS))
            texts.append("")
            notes.append("single article: trained against the empty message")
        features = _Features(lang, config, encoder)
        encoded = features.fit(texts)
        x = features.matrix(encoded)
        y = np.array([labels.index(label) for _, label in pairs])
        oos_column = labels.index(OOS) if OOS in labels else -1

        temperature, threshold, calibration_rows = config.default_temperature, 0.0, 0
        if len(y) >= 4:
            scores, evaluable = _out_of_fold_scores(features, encoded, y, len(labels), config)
            calibration_rows = int(evaluable.sum())
            if calibration_rows >= config.min_calibration_rows:
                temperature = _fit_temperature(scores[evaluable], y[evaluable])
            else:
                notes.append("too few examples to calibrate: default temperature")
            threshold = _choose_threshold(
                _softmax(scores * temperature), y, evaluable, oos_column, config, notes
            )
        svm = _fit_svm(x, y, config)
        coef, intercept = svm.coef_, svm.intercept_
        if coef.shape[0] == 1:  # two classes: one hyperplane, for classes_[1]
            coef, intercept = (
                np.vstack([-coef[0], coef[0]]),
                np.array([-intercept[0], intercept[0]]),
            )
        # Kept as one features x labels matrix: a message is scored with one sparse product.
        weights = np.ascontiguousarray(coef.T, dtype=np.float32)
        intercepts = np.asarray(intercept, dtype=np.float64)
        report = TrainingReport(
            examples=examples_count,
            labels=len([label for label in labels if label != OOS]),
            oos_examples=sum(1 for t, label in pairs if label == OOS and t),
            temperature=round(temperature, 4),
            threshold=round(threshold, 4),
            seconds=round(time.perf_counter() - started, 3),
            calibration_rows=calibration_rows,
            notes=notes,
        )
        return cls(
            lang=lang,
            labels=labels,
            features=features,
            weights=weights,
            intercepts=intercepts,
            temperature=temperature,
            threshold=threshold,
            report=report,
            vocabulary=_Vocabulary([t for t, label in pairs if label != OOS], lang),
        )

    def probabilities(self, message: str) -> np.ndarray:
        """Calibrated probability of every label (OOS included), in `labels` order."""
        x = self._features.transform([message])
        scores = np.asarray(x @ self._weights, dtype=np.float64) + self._intercepts
        return _softmax(scores * self.temperature)[0]

    def predict(self, message: str, *, k: int = 3) -> Prediction:
        if not text.words(message):
            return Prediction(ranked=[], out_of_scope=True)
        probabilities = self.probabilities(message)
        order = [i for i in np.argsort(-probabilities) if i != self._oos_column][:k]
        ranked = [(self.labels[i], float(probabilities[i])) for i in order]
        declined = (
            int(np.argmax(probabilities)) == self._oos_column
            or not ranked
            or ranked[0][1] < self.threshold
            or (self.encoder is None and not self._vocabulary.knows_some(message))
        )
        return Prediction(ranked=ranked, out_of_scope=declined)


def _choose_threshold(
    probabilities: np.ndarray,
    y: np.ndarray,
    evaluable: np.ndarray,
    oos_column: int,
    config: TrainingConfig,
    notes: list[str],
) -> float:
    """The lowest probability at which an answer is still given, from out-of-fold
    predictions: keep `keep_correct` of the right answers, and decline
    `oos_recall` of the `oos` examples when there are some."""
    answerable = probabilities.copy()
    if oos_column >= 0:
        answerable[:, oos_column] = -1.0
    best = answerable.argmax(axis=1)
    best_probability = answerable.max(axis=1)
    is_oos = y == oos_column
    right = evaluable & ~is_oos & (best == y)
    if right.sum() >= config.min_calibration_rows:
        threshold = float(np.quantile(best_probability[right], 1.0 - config.keep_correct))
    else:
        # Too little to measure: decline what is no likelier than a coin toss
        # between two articles.
        threshold = min(0.5, 2.0 / max(2, answerable.shape[1]))
        notes.append("too few examples for a measured threshold: default threshold")
    oos_rows = evaluable & is_oos
    if oos_rows.sum() >= 5:
        by_class = probabilities[oos_rows].argmax(axis=1) == oos_column
        needed = math.ceil(config.oos_recall * int(oos_rows.sum())) - int(by_class.sum())
        if needed > 0:
            remaining = np.sort(best_probability[oos_rows][~by_class])
            threshold = max(threshold, float(remaining[needed - 1]) + 1e-6)
    return min(threshold, config.max_threshold)
