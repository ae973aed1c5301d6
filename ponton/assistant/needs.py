"""Whether a first message needs a person, learned from examples, beside the lexicon.

The lexicon (`signals.py`) names what it sees and quotes it; it leaks on the next
phrasing of the quiet reasons (an 84-year-old lost with a new box, a contract
nobody agreed to, "third time I explain this"). This model reads the whole
message instead: the assistant's own features (`understanding._Features`: word
and character TF-IDF, and the sentence encoder's embedding when there is one)
under a multinomial logistic regression over the human reasons and "selfcare",
trained on `data/human_needs.tsv` (hand-written French and English first
messages, many phrasings per reason).

Its answer is a probability that a person is needed and the likeliest reason.
The assistant leans toward the person (DESIGN.md, laws 3 and 4): from
`HAND_OFF` on a person takes the conversation at once, unless an article
answers the message with confidence (then the need is likely routine); from
`OFFER` on, and in that case, the customer is offered both, the person first
(`policy.learned_decision`). The thresholds were chosen on the
training file's out-of-fold predictions and the datasets' dev set, never on the
held-out set (`data/eval-triage-heldout.tsv`) that `ponton bench-triage` reports.
"""

from __future__ import annotations

import csv
import threading
from dataclasses import dataclass
from pathlib import Path

from sklearn.linear_model import LogisticRegression

from ponton.assistant import embeddings
from ponton.assistant.encoders import Encoder, configured_encoder
from ponton.assistant.understanding import TrainingConfig, _Features

DATA = Path(__file__).parent / "data"
TRAINING = DATA / "human_needs.tsv"
SELFCARE = "selfcare"
SELFCARE_REASONS = frozenset({"routine", "negated_request"})

HAND_OFF = 0.4  # a person at once
OFFER = 0.25  # both offered, the person first
C = 10.0  # regularisation of the logistic regression


@dataclass(frozen=True)
class Need:
    probability: float  # that the customer needs a person
    kind: str  # the likeliest reason a person is needed (a `signals.KINDS` name)


def training_rows(lang: str) -> list[tuple[str, str]]:
    """(text, label) of the training file in `lang`: a human reason, or "selfcare"."""
    with TRAINING.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [
        (r["text"], SELFCARE if r["reason"] in SELFCARE_REASONS else r["reason"])
        for r in rows
        if r["lang"] == lang
    ]


class NeedsModel:
    def __init__(self, rows: list[tuple[str, str]], lang: str, encoder: Encoder | None) -> None:
        texts = [t for t, _ in rows]
        self.features = _Features(lang, TrainingConfig(encoder_weight=1.0), encoder)
        x = self.features.matrix(self.features.fit(texts))
        labels = [label for _, label in rows]
        # Selfcare weighs as much as all the human reasons together: a balance over the
        # eleven classes would make "a person" ten times likelier than selfcare a priori.
        selfcare = labels.count(SELFCARE)
        weight = {SELFCARE: (len(labels) - selfcare) / max(selfcare, 1)}
        self.classifier = LogisticRegression(C=C, max_iter=3000, class_weight=weight)
        self.classifier.fit(x, labels)
        self.classes = list(self.classifier.classes_)
        self.encoder = encoder

    def assess(self, message: str) -> Need:
        p = self.classifier.predict_proba(self.features.transform([message]))[0]
        selfcare = self.classes.index(SELFCARE)
        human = [(p[i], c) for i, c in enumerate(self.classes) if i != selfcare]
        best = max(human)
        return Need(probability=round(float(1.0 - p[selfcare]), 4), kind=str(best[1]))


_models: dict[tuple[str, str], NeedsModel] = {}
_lock = threading.Lock()


def model(lang: str) -> NeedsModel:
    """The model of `lang` ("fr" or "en") with the configured encoder, trained once per process."""
    encoder = configured_encoder()
    key = (lang if lang in ("fr", "en") else "fr", encoder.name if encoder else "")
    with _lock:
        if key not in _models:
            rows = training_rows(key[0])
            shipped = DATA / f"human_needs.{key[0]}.e5.npy"
            embeddings.remember_shipped(encoder, [t for t, _ in rows], shipped)
            _models[key] = NeedsModel(rows, key[0], encoder)
        return _models[key]


def assess(message: str, *, lang: str | None) -> Need:
    return model(lang or "fr").assess(message)
