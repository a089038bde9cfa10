"""Check-worthiness: how much a sentence looks like a factual claim worth checking.

A logistic regression over named hand features (numbers, dates, agencies, comparisons, attribution,
statistical verbs; against: questions, opinion, hedging, first person, length), the claim types of
`text/claim_types.py`, a vocabulary of content words and phrases, one of character n-grams, and two
MiniLM vectors from one forward pass: the sentence embedding and its 4th layer's mean.
The weights live in `claims/data/checkworthiness_model.json`, written by
`bench/fit_checkworthiness.py` (recipe: `claims/evaluation/checkworthiness_training.py`) from the
shared ClaimBuster and CLEF 2020 data; see `claims/data/README.md` for provenance and metrics. Each
score carries its features and the reasons behind it, so a reviewer can see why a sentence was
picked; `triage_priority` and `claims_to_pick` decide which sentences of an article become claims.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from text import embeddings
from text.claim_types import CLAIM_TYPES, ClaimType, claim_types
from text.quantities import extract_quantities

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer

__all__ = [
    "CLAIM_SHARE",
    "CLAIM_THRESHOLD",
    "FEATURES",
    "Checkworthiness",
    "claims_to_pick",
    "triage_priority",
    "hand_features",
    "lexical_terms",
    "score_sentences",
]

MODEL_PATH = Path(__file__).resolve().parent / "data" / "checkworthiness_model.json"

# The probability cut-off that makes a sentence a Claim. bench/fit_checkworthiness.py picks it as the
# threshold that maximises the positive-class F1 of out-of-fold ClaimBuster predictions and stores it
# in the model file; a test keeps this constant and the file in step.
CLAIM_THRESHOLD: float = 0.35


# By default an article's claims are its best sentences over the threshold, and at most this share
# of its sentences (but three at least): a reviewer starts from the top third to half of a typical
# article, and any other sentence is one click ("+ claim") away.
CLAIM_SHARE: float = 0.5
MIN_CLAIMS_PICKED: int = 3


def claims_to_pick(sentence_count: int) -> int:
    """How many of an article's sentences may become claims by default."""
    return max(MIN_CLAIMS_PICKED, math.ceil(CLAIM_SHARE * sentence_count))


def triage_priority(score: float, features: dict[str, float]) -> float:
    """The order in which a reviewer meets an article's sentences: over the threshold, a sentence
    that states a quantity (a figure, a change between figures, a record) comes before one that
    does not, then by score. Quantities are what a fact-checker can check against data (Full Fact's
    claim types); the model, fitted on debates, ranks a long sentence naming officials as high as a
    figure, and on news nearly every sentence is long. Below the threshold the score alone orders.
    On CLEF debates this order costs MAP 0.004–0.008 against the score alone (both are reported by
    `manage.py evaluate checkworthiness`)."""
    quantity = features.get("type_quantity", 0.0) > 0
    return score + (1.0 if quantity and score >= CLAIM_THRESHOLD else 0.0)


@dataclass(frozen=True)
class Checkworthiness:
    score: float  # 0..1
    features: dict[str, float]  # named hand features, as stored on a claim
    reasons: list[str]  # the strongest contributions, as short phrases
    # The sentence's MiniLM embedding when the model read one: the pipeline stores it as the claim's
    # vector instead of encoding the same text again.
    vector: np.ndarray | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class _Text:
    raw: str
    words: tuple[str, ...]  # lower-cased
    grams: frozenset[str]  # the words, bigrams and trigrams, for phrase look-ups


def _text(sentence: str) -> _Text:
    words = _WORD.findall(sentence.lower())
    bigrams = [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]
    trigrams = [f"{ab} {c}" for ab, c in zip(bigrams, words[2:], strict=False)]
    return _Text(sentence, tuple(words), frozenset(words + bigrams + trigrams))


Check = Callable[[_Text], bool]


def _any(spec: str) -> Check:
    """True when any listed word or phrase (up to three words, "|"-separated) occurs. One set
    look-up: case-insensitive regex alternations cost ~20 µs a sentence each."""
    items = frozenset(w.strip() for w in spec.split("|") if w.strip())
    assert all(item.count(" ") < 3 for item in items), "phrases are matched up to three words"
    return lambda t: not items.isdisjoint(t.grams)


def _re(pattern: str, flags: int = 0) -> Check:
    search = re.compile(pattern, flags).search
    return lambda t: search(t.raw) is not None


def _either(first: Check, second: Check) -> Check:
    return lambda t: first(t) or second(t)


_NOT_SUPERLATIVE = frozenset(
    "interest honest forest request protest suggest invest west rest test latest modest digest "
    "arrest contest manifest harvest guest chest nest pest quest".split()
)


def _superlative_word(t: _Text) -> bool:
    return any(w.endswith("est") and len(w) > 5 and w not in _NOT_SUPERLATIVE for w in t.words)


_WORD = re.compile(r"[a-z]+(?:['’][a-z]+)?|\d[\d,.]*\d|\d")
# name -> (check, phrase shown when it pushes the score up or down). Ordered as stored.
_CHECKS: dict[str, tuple[Check, str]] = {
    "has_number": (
        _either(
            _re(r"(?<![\w-])\d"),
            _any(
                "two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|"
                "fifty|hundred|hundreds|thousand|thousands|million|millions|billion|billions|"
                "trillion|dozen|dozens|half"
            ),
        ),
        "has a number",
    ),
    "has_percent": (_either(_re("%"), _any("percent|per cent|percentage")), "has a percentage"),
    "has_money": (
        _either(_re(r"[$£€¥]\s?\d"), _any("dollars|euros|pounds|budget|debt|deficit|taxes|tax")),
        "has a money amount",
    ),
    "has_year": (_re(r"(?<![\d,.$£€])\b(?:1[89]|20)\d\d(?:s|\b)(?![,.]\d)"), "names a year"),
    "has_date": (
        _either(
            _re(
                r"\b(?:January|February|March|April|June|July|August|September|October|"
                r"November|December)\b"
            ),
            _any(
                "last year|next year|this year|last month|past decade|last decade|fiscal|"
                "quarter|annually|annual|yesterday|since|ago"
            ),
        ),
        "names a date or period",
    ),
    "names_agency": (
        _either(
            _re(
                r"\b[A-Z]\w* (?:Agency|Department|Ministry|Bureau|Commission|Council|Office|"
                r"Services?|Administration|Authority|Institute|Bank|Board|Committee|Court|Police|"
                r"Organi[sz]ation|University|Party|Fund|Union)\b|"
                r"\b(?:Department|Ministry|Bank|University|Office|Bureau) of [A-Z]"
            ),
            _any("congress|senate|parliament|pentagon|reuters|government|agency|police|census"),
        ),
        "names an agency or organisation",
    ),
    "acronym": (_re(r"\b(?!I\b)(?:[A-Z]{2,6}s?|(?:[A-Z]\.){2,})(?!\w)"), "names an acronym"),
    "named_entity": (_re(r"[\w,;:] (?!I\b)[A-Z][a-z]"), "names a person, place or body"),
    "comparative": (
        _any(
            "than|compared|higher|lower|larger|smaller|bigger|greater|fewer|faster|slower|"
            "cheaper|twice|times as|half as"
        ),
        "makes a comparison",
    ),
    "superlative": (
        _either(
            _superlative_word,
            _any("most|least|record|all-time|decade high|first time|ever|unprecedented|number one"),
        ),
        "superlative or record",
    ),
    "attribution": (
        _any(
            "according to|said|says|reported|report|reports|told|stated|announced|confirmed|"
            "estimated|estimates|data|study|studies|survey|figures|statistics|document|records|"
            "shows|showed|found"
        ),
        "attributes it to a source",
    ),
    "change_verb": (
        _any(
            "increase|increased|increases|increasing|decrease|decreased|decreases|rose|risen|"
            "rising|fell|fallen|falling|doubled|tripled|grew|grown|growing|decline|declined|"
            "declining|dropped|cut|cuts|raised|lost|gained|jumped|spent|spend|cost|costs|"
            "created|reduced|soared|hit|reached|went up|went down"
        ),
        "states a change",
    ),
    "official_act": (
        _any(
            "voted|signed|passed|approved|vetoed|issued|deported|banned|enacted|elected|"
            "appointed|succeeded|declined|refused|ruled|sanctioned|imposed|launched|introduced|"
            "repealed|funded|ordered|agreed"
        ),
        "reports an official act",
    ),
    "question": (_re(r"\?\s*[\"”’')]*\s*$|^(?:Why|How|What|Who|Is|Are|Do|Does|Can)\b"), "a question"),
    "opinion_marker": (
        _any(
            "i think|i believe|i feel|i hope|i want|i guess|in my opinion|we need|we must|great|"
            "wonderful|terrible|horrible|amazing|fantastic|beautiful|disgrace|disaster|love|"
            "hate|incredible|tremendous|ridiculous|shame|proud|frankly"
        ),
        "reads as opinion",
    ),
    "hedge_modal": (
        _any("should|may|might|could|would|must|ought|perhaps|maybe|probably|possibly|seem|seems|likely"),
        "hedged or modal",
    ),
    "future": (
        _either(_any("will|going to|gonna|plan to|plans to|aim to|aims to"), _re(r"\w'll\b")),
        "about the future",
    ),
    "first_person_singular": (_any("i|me|my|mine|i'm|i've|i'd|myself"), "speaks in the first person"),
    "first_person_plural": (_any("we|us|our|ours|we're|we've"), "says we / our"),
    "second_person": (_any("you|your|you're|you've"), "addresses you"),
    "pleasantry": (
        _any(
            "thank you|thanks|welcome|good evening|good morning|congratulations|"
            "ladies and gentlemen|applause|laughter|crosstalk|okay|yeah"
        ),
        "pleasantry or filler",
    ),
    "conditional": (_either(_re(r"^\W*[Ii]f\b"), _any("unless")), "conditional"),
}
_LENGTH_FEATURES = {"too_short": "too short", "too_long": "very long", "log_words": ""}
# The claim types are features too; their reasons are the types' own labels, with the trigger words.
_TYPE_FEATURES = {f"type_{name}": "" for name in CLAIM_TYPES}
# How many figures (not years): 0, 1/3, 2/3 or 1 for three or more; a change "from X to Y"; a
# statement about the future that carries a figure (a target is checkable against its baseline,
# "we will do great things" is not).
_COUNT_FEATURES = {"figures": "", "figure_change": "", "future_figure": ""}
FEATURES: tuple[str, ...] = (*_CHECKS, *_LENGTH_FEATURES, *_TYPE_FEATURES, *_COUNT_FEATURES)
_PHRASES = (
    {name: phrase for name, (_, phrase) in _CHECKS.items()}
    | _LENGTH_FEATURES
    | _TYPE_FEATURES
    | _COUNT_FEATURES
)
_TOKEN = re.compile(r"(?:[a-z]\.){2,}|[a-z]+(?:'[a-z]+)?|\d+(?:[.,]\d+)*|[%$£€]")


FULL_SENTENCE_WORDS = 20


def hand_features(sentence: str) -> dict[str, float]:
    """The named features of one sentence; values are 0/1 except log_words and figures."""
    return _features_and_types(sentence)[0]


def _features_and_types(sentence: str) -> tuple[dict[str, float], list[ClaimType]]:
    """The named features and the claim types they include, the sentence's quantities read once."""
    text = _text(sentence)
    values = {name: 1.0 if check(text) else 0.0 for name, (check, _) in _CHECKS.items()}
    n_words = len(text.words)
    values["too_short"] = 1.0 if n_words < 6 else 0.0
    values["too_long"] = 1.0 if n_words > 45 else 0.0
    # Debate lines run from "Thank you." to long turns, and short ones are seldom claims; but past a
    # full sentence, length says nothing about checkability, and every news sentence is that long.
    values["log_words"] = round(
        math.log1p(min(n_words, FULL_SENTENCE_WORDS)) / math.log1p(FULL_SENTENCE_WORDS), 4
    )
    quantities = extract_quantities(sentence)
    found = claim_types(sentence, quantities)
    types = {t.name for t in found}
    values.update({f"type_{name}": 1.0 if name in types else 0.0 for name in CLAIM_TYPES})
    figures = [q for q in quantities if q["kind"] not in {"year", "duration"}]
    values["figures"] = round(min(len(figures), 3) / 3, 4)
    values["figure_change"] = 1.0 if {"from", "to"} <= {q.get("role") for q in figures} else 0.0
    values["future_figure"] = 1.0 if figures and (values["future"] or "prediction" in types) else 0.0
    return values, found


_FUNCTION_WORDS = frozenset(
    "a an the to of in on at for with by from and or but as is are was were be been it its this that "
    "these those there".split()
)


def lexical_terms(sentence: str) -> list[str]:
    """Lower-cased words and bigrams with numbers folded into classes, so the vocabulary learns
    "<num> jobs" rather than every figure."""
    tokens = []
    for tok in _TOKEN.findall(sentence.lower().replace("’", "'")):
        if tok[0].isdigit():
            tok = "<year>" if len(tok) == 4 and tok[:2] in {"18", "19", "20"} else "<num>"
        elif tok in "%$£€":
            tok = "<pct>" if tok == "%" else "<money>"
        tokens.append(tok)
    # Function words alone are debate style ("to", "the"), not content; in a bigram they keep
    # the phrase ("to increase", "in <year>").
    words = [t for t in tokens if t not in _FUNCTION_WORDS]
    pairs = [f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)]
    return words + [p for p in pairs if not all(w in _FUNCTION_WORDS for w in p.split())]


def char_vectorizer(*, max_features: int | None = None, min_df: int = 1) -> TfidfVectorizer:
    """The character block's vectorizer: 3- to 5-grams inside lower-cased words, space-padded
    (scikit-learn's "char_wb"). The runtime uses only its analyzer, so both sides split alike."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=min_df, max_features=max_features
    )


@lru_cache(maxsize=1)
def _char_grams() -> Callable[[str], list[str]]:
    return char_vectorizer().build_analyzer()


@dataclass(frozen=True)
class _Model:
    """One fitted variant: the logistic regression's weights, split by the block they read."""

    intercept: float
    hand_scale: float
    hand_weights: dict[str, float]
    terms: dict[str, tuple[float, float]]  # term -> (idf, coef)
    char_grams: dict[str, tuple[float, float]]  # character n-gram -> (idf, coef)
    embedding_coef: np.ndarray | None  # (384,) weights of the sentence embedding, or None
    embedding_scale: float
    middle_coef: np.ndarray | None  # (384,) weights of the middle-layer vector, or None
    middle_scale: float
    threshold: float


@dataclass(frozen=True)
class _Models:
    with_embeddings: _Model
    without_embeddings: _Model  # used when the embedding model is not installed
    meta: dict[str, Any]


def _vocabulary(raw: dict[str, Any]) -> dict[str, tuple[float, float]]:
    return {
        t: (float(i), float(c)) for t, i, c in zip(raw["vocabulary"], raw["idf"], raw["coef"], strict=True)
    }


def _variant(raw: dict[str, Any]) -> _Model:
    embedding = raw.get("embedding")
    return _Model(
        intercept=float(raw["intercept"]),
        hand_scale=float(raw["hand_scale"]),
        hand_weights={k: float(v) for k, v in raw["hand_weights"].items()},
        terms=_vocabulary(raw["lexical"]),
        char_grams=_vocabulary(raw["characters"]),
        embedding_coef=np.asarray(embedding["coef"], dtype=np.float64) if embedding else None,
        embedding_scale=float(embedding["scale"]) if embedding else 0.0,
        middle_coef=np.asarray(embedding["middle_coef"], dtype=np.float64) if embedding else None,
        middle_scale=float(embedding["middle_scale"]) if embedding else 0.0,
        threshold=float(raw["threshold"]),
    )


@lru_cache(maxsize=1)
def load_model(path: Path = MODEL_PATH) -> _Models:
    raw = json.loads(path.read_text(encoding="utf-8"))
    variants = raw["variants"]
    return _Models(
        with_embeddings=_variant(variants["with_embeddings"]),
        without_embeddings=_variant(variants["without_embeddings"]),
        meta={k: v for k, v in raw.items() if k != "variants"},
    )


def _tfidf_contribution(vocabulary: dict[str, tuple[float, float]], terms: list[str]) -> float:
    """A vocabulary block's share of the logit: sublinear tf * idf, l2-normalised, times the
    coefficients (the same arithmetic as scikit-learn's TfidfVectorizer used at fit time)."""
    counts: dict[str, int] = {}
    for term in terms:
        if term in vocabulary:
            counts[term] = counts.get(term, 0) + 1
    weights = {t: (1.0 + math.log(n)) * vocabulary[t][0] for t, n in counts.items()}
    norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
    return sum(w / norm * vocabulary[t][1] for t, w in weights.items())


# A block of the logit this large (in either direction) is worth a reason of its own.
_NOTABLE = 0.5


# The features a reviewer reads as reasons for, and against, checking a sentence. A feature can carry
# a weight of the other sign next to correlated ones (a year beside a figure): that is no reason.
_FOR = frozenset(
    "has_number has_percent has_money has_date names_agency acronym named_entity comparative "
    "superlative attribution change_verb official_act".split()
)
_AGAINST = frozenset(
    "question opinion_marker hedge_modal future first_person_singular second_person pleasantry "
    "conditional too_short".split()
)


def _reasons(types: list[ClaimType], hand: dict[str, float], wording: float, *, picked: bool) -> list[str]:
    """Phrases a reviewer reads: the claim types first, then the named features that pushed the
    score up, then the overall wording, then what held it down."""
    shown_types = [t.label for t in types if t.name != "personal"]
    ups = sorted(((c, n) for n, c in hand.items() if c > 0.15 and n in _FOR), reverse=True)
    against = _AGAINST - ({"future"} if any(t.name == "prediction" for t in types) else set())
    downs = sorted((c, n) for n, c in hand.items() if c < -0.15 and n in against)
    reasons = shown_types + [_PHRASES[n] for _, n in ups[: max(1, 4 - len(shown_types))]]
    if wording > _NOTABLE and len(reasons) < 2 and picked:
        # Only when the named features hardly explain the score: on most news sentences the wording
        # leans that way, and a reason every sentence carries tells a reviewer nothing. Never on a
        # sentence left out, where it would contradict its own score.
        reasons.append("worded like statements fact-checkers check")
    against = [t.label for t in types if t.name == "personal"] + [_PHRASES[n] for _, n in downs[:2]]
    if wording < -_NOTABLE and not picked:
        # Only to explain a sentence left out, likewise.
        against.append("worded like opinion or talk rather than a checkable fact")
    # "but:" only after a reason for: a sentence with none simply says what held it down.
    return reasons + [f"but: {reason}" if reasons else reason for reason in against]


def score_one(
    model: _Model, sentence: str, vector: np.ndarray | None = None, middle: np.ndarray | None = None
) -> Checkworthiness:
    """The score of one sentence; `vector` and `middle` are its sentence embedding and middle-layer
    vector (text.embeddings.encode_with_middle) when `model` reads them."""
    features, types = _features_and_types(sentence)
    hand = {n: model.hand_weights.get(n, 0.0) * v * model.hand_scale for n, v in features.items()}
    wording = _tfidf_contribution(model.terms, lexical_terms(sentence))
    wording += _tfidf_contribution(model.char_grams, _char_grams()(sentence))
    if model.embedding_coef is not None and model.middle_coef is not None:
        if vector is None or middle is None:
            raise ValueError("this variant reads the sentence's vectors: pass both")
        wording += float(np.dot(model.embedding_coef, vector)) * model.embedding_scale
        wording += float(np.dot(model.middle_coef, middle)) * model.middle_scale
    logit = model.intercept + sum(hand.values()) + wording
    score = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, logit))))
    # A question claims nothing: its words may look like a prediction, but that is no reason to check it.
    reasons = _reasons([] if features["question"] else types, hand, wording, picked=score >= model.threshold)
    return Checkworthiness(score=round(score, 4), features=features, reasons=reasons, vector=vector)


def score_sentences(sentences: list[str]) -> list[Checkworthiness]:
    """Score a batch of sentences with the shipped model (loaded once per process). The sentence
    embeddings are computed in one batch; without the embedding model the lexical variant scores."""
    models = load_model()
    if not sentences:
        return []
    if embeddings.model_available():
        vectors, middles = embeddings.encode_with_middle(sentences)
        return [
            score_one(models.with_embeddings, s, v, m)
            for s, v, m in zip(sentences, vectors, middles, strict=True)
        ]
    return [score_one(models.without_embeddings, s) for s in sentences]
