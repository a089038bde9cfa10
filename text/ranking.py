"""Pure ranking logic shared by the database search and the offline evaluations.

No Django here: every function takes texts (and optionally their vectors) and returns scores or orders,
so the same code ranks a candidate list from PostgreSQL, a WiCE page's sentences or the Snopes claims.

The hybrid, as DESIGN.md describes it: a BM25 ranking and an embedding-cosine ranking, fused by
reciprocal rank fusion (RRF), then re-ranked with cheap features a reviewer can see (same numbers,
agreeing years; entity overlap is computed but measured not to help, see RERANK_WEIGHTS).

Deliberately a small numpy BM25 rather than `bm25s`: the lists ranked here are a page's sentences, a
search's candidates or the 10k fact-checked claims (tokenised and indexed in ~1 s, under 1 ms a query),
and the database does the million-passage case itself. bm25s would add a dependency for no gain here.

The re-ranking features use the quantity / date / entity extractors of `text.quantities`.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from text.quantities import extract_dates, extract_entities, extract_quantities

# --- tokens --------------------------------------------------------------------------------------------

# A compact English stop list: function words only. Negations are stop words for *retrieval* (they say
# nothing about topic); stance detection looks for them separately.
STOPWORDS = frozenset(
    """a about above after again against all also am an and any are aren as at be because been before
    being below between both but by can could did didn do does doesn doing don down during each few for
    from further had hadn has hasn have haven having he her here hers herself him himself his how i if
    in into is isn it its itself just let me more most my myself no nor not now of off on once only or
    other our ours ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up upon us very via was
    wasn we were weren what when where which while who whom why will with won would wouldn you your
    yours yourself yourselves s t d ll m re ve y said says say""".split()
)
# Numbers keep their digits ("18,000" -> "18000", "3.5" stays) so a figure can match across texts.
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")


def _stem(word: str) -> str:
    """A light suffix stripper (Porter's step 1 plus a final -e): "increases", "increased",
    "increasing" and "increase" all become "increas"; short words and numbers are left alone."""
    if len(word) <= 3 or word[0].isdigit():
        return word
    if word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix in ("ingly", "edly", "ing", "ed"):
        stem = word[: -len(suffix)]
        if word.endswith(suffix) and len(stem) >= 3 and re.search(r"[aeiouy]", stem):
            # "stopped" -> "stop", but "called" keeps its double l and "missed" its double s.
            if len(stem) > 3 and stem[-1] == stem[-2] and stem[-1] not in "lsz":
                stem = stem[:-1]
            word = stem
            break
    if word.endswith("ly") and len(word) > 5:
        word = word[:-2]
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return word


def tokenize(text: str) -> list[str]:
    """Lower-cased, stop words out, lightly stemmed tokens; numbers kept (thousands commas dropped)."""
    tokens = []
    for raw in _TOKEN.findall(_THOUSANDS.sub("", text.lower())):
        if raw in STOPWORDS:
            continue
        tokens.append(raw if raw[0].isdigit() else _stem(raw))
    return tokens


# --- BM25 ----------------------------------------------------------------------------------------------


class BM25Index:
    """Okapi BM25 over a fixed list of tokenised documents, with postings as numpy arrays.

    Build once, score many queries (the claim-matching evaluation runs 1,000 tweets over 10k claims).
    `idf` lets a caller supply corpus-wide IDF (e.g. from the database's term -> document-count table)
    when the documents are only a candidate list: IDF from 50 candidates says little about rarity.
    """

    def __init__(
        self,
        docs_tokens: Sequence[Sequence[str]],
        *,
        k1: float = 1.2,
        b: float = 0.75,
        idf: Mapping[str, float] | None = None,
    ) -> None:
        self.size = len(docs_tokens)
        lengths = np.array([len(doc) for doc in docs_tokens], dtype=np.float64)
        average = float(lengths.mean()) if self.size and lengths.sum() else 1.0
        # The per-document part of BM25's denominator, computed once.
        self._norm = k1 * (1.0 - b + b * lengths / average)
        self._k1 = k1
        postings: dict[str, tuple[list[int], list[int]]] = {}
        for i, doc in enumerate(docs_tokens):
            for term, tf in Counter(doc).items():
                ids, tfs = postings.setdefault(term, ([], []))
                ids.append(i)
                tfs.append(tf)
        self._postings = {
            term: (np.array(ids, dtype=np.int64), np.array(tfs, dtype=np.float64))
            for term, (ids, tfs) in postings.items()
        }
        self._idf = idf
        # A term the supplied statistics have never seen is treated as the rarest they know.
        self._unseen_idf = max(idf.values()) if idf else 0.0

    def idf(self, term: str) -> float:
        if self._idf is not None:
            return float(self._idf.get(term, self._unseen_idf))
        df = len(self._postings[term][0]) if term in self._postings else 0
        # Lucene's variant: never negative, so a term in most documents still counts a little.
        return math.log(1.0 + (self.size - df + 0.5) / (df + 0.5))

    def scores(self, query_tokens: Sequence[str]) -> np.ndarray:
        scores = np.zeros(self.size, dtype=np.float64)
        # Each distinct query term once: a tweet repeating a hashtag should not outweigh its content.
        for term in dict.fromkeys(query_tokens):
            found = self._postings.get(term)
            if found is None:
                continue
            ids, tfs = found
            scores[ids] += self.idf(term) * tfs * (self._k1 + 1.0) / (tfs + self._norm[ids])
        return scores


def bm25_scores(
    query_tokens: Sequence[str],
    docs_tokens: Sequence[Sequence[str]],
    *,
    k1: float = 1.2,
    b: float = 0.75,
    idf: Mapping[str, float] | None = None,
) -> np.ndarray:
    """BM25 score of each document for the query (float64, one per document; 0 = no shared term).

    idf, when given, maps tokens *as tokenize() makes them* to IDF values from a larger collection
    (PostgreSQL's own stemmer makes different tokens: convert, do not mix).
    """
    return BM25Index(docs_tokens, k1=k1, b=b, idf=idf).scores(query_tokens)


def order_by(scores: np.ndarray, *, positive_only: bool = False) -> list[int]:
    """Indices best first; ties keep input order. positive_only drops documents that scored 0 or less
    (for BM25: no term in common, so no lexical evidence to fuse)."""
    order = np.argsort(-scores, kind="stable")
    if positive_only:
        order = order[scores[order] > 0]
    return [int(i) for i in order]


# --- fusion ---------------------------------------------------------------------------------------------

RRF_K = 60  # Cormack et al. 2009's constant; the database's SQL fusion uses the same value.


def reciprocal_rank_fusion(rankings: list[list[int]], *, k: int = RRF_K) -> list[tuple[int, float]]:
    """Fuse rankings (each a list of item ids, best first): score = sum over lists of 1 / (k + rank),
    rank counted from 1. Returns (id, score) best first; ties go to the smaller id, so it is stable."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(fused.items(), key=lambda pair: (-pair[1], pair[0]))


# --- re-ranking features --------------------------------------------------------------------------------

SAME_NUMBER_TOLERANCE = 0.01  # relative: "18,000" and "18,048" are the same figure, rounded
CLOSE_NUMBER_TOLERANCE = 0.10  # relative: "numbers within 10 %" still point at the same statistic


@dataclass(frozen=True)
class Facts:
    """What a text states, as far as re-ranking and stance care: amounts, years, named entities."""

    numbers: tuple[tuple[float, str, str, str], ...]  # (value, kind, unit, text as written)
    years: frozenset[int]
    entities: frozenset[str]


@lru_cache(maxsize=8192)
def facts(text: str) -> Facts:
    """Amounts, years and entities of a text (cached: a claim is compared with many passages)."""
    quantities = extract_quantities(text)
    numbers = tuple(
        (float(q["value"]), q["kind"], q["unit"], q["text"]) for q in quantities if q["kind"] != "year"
    )
    years = {int(q["value"]) for q in quantities if q["kind"] == "year"}
    for date in extract_dates(text):
        match = re.match(r"(\d{4})", str(date["value"]))
        if match:
            years.add(int(match.group(1)))
    entities = frozenset(e["text"].lower().removesuffix("'s") for e in extract_entities(text))
    return Facts(numbers=numbers, years=frozenset(years), entities=entities)


def comparable(a: tuple[float, str, str, str], b: tuple[float, str, str, str]) -> bool:
    """Two amounts measure the same sort of thing: percent with percent, dollars with dollars."""
    return a[1] == b[1] and (a[2] == b[2] or a[1] == "count")


def relative_difference(a: float, b: float) -> float:
    return abs(a - b) / max(abs(a), abs(b), 1e-9)


def rerank_features(claim: str, passage: str) -> dict[str, float]:
    """Cheap agreement features between a claim and a passage, each in [0, 1].

    numbers_same / numbers_close: share of the claim's amounts (years aside) that the passage states
    within 1 % / 10 %; numbers_conflict: 1 when both state comparable amounts and none is close;
    entity_overlap: Jaccard of entity strings; entity_coverage: share of the claim's entities that
    appear anywhere in the passage text (robust to the passage-side extractor missing one);
    years_match / years_conflict: the passage names one of the claim's years / only other years.
    """
    c, p = facts(claim), facts(passage)
    same = close = 0
    any_comparable = False
    for number in c.numbers:
        partners = [other for other in p.numbers if comparable(number, other)]
        any_comparable = any_comparable or bool(partners)
        differences = [relative_difference(number[0], other[0]) for other in partners]
        same += any(d <= SAME_NUMBER_TOLERANCE for d in differences)
        close += any(d <= CLOSE_NUMBER_TOLERANCE for d in differences)
    n_numbers = len(c.numbers)
    union = c.entities | p.entities
    lowered = passage.lower()
    return {
        "numbers_same": same / n_numbers if n_numbers else 0.0,
        "numbers_close": close / n_numbers if n_numbers else 0.0,
        "numbers_conflict": float(any_comparable and close == 0),
        "entity_overlap": len(c.entities & p.entities) / len(union) if union else 0.0,
        "entity_coverage": (
            sum(entity in lowered for entity in c.entities) / len(c.entities) if c.entities else 0.0
        ),
        "years_match": float(bool(c.years & p.years)),
        "years_conflict": float(bool(c.years) and bool(p.years) and not c.years & p.years),
    }


# Re-ranking weights, in RRF units: one list's rank-1 item scores 1/61 = 0.0164 and moving from rank 1
# to rank 10 in one list costs 0.0022, so 0.002 is worth about ten places in one list.
# Tuned by a grid over each feature (-0.004 ... 0.008) on the even-numbered rows of WiCE dev and of the
# Climate-FEVER claims; the odd rows were then checked once (hybrid without -> with re-ranking):
# WiCE recall@5 0.621 -> 0.634, recall@10 0.780 -> 0.791, MRR 0.893 -> 0.898; Climate-FEVER MRR 0.786 ->
# 0.780 (noise: 5 candidates a claim). Entity overlap and coverage *hurt* (every sentence of a page names
# its subject) and conflicts did not help, so they weigh 0 and stay available to stance and matching.
# On claim matching (tweets) no weighting helped: claims.matching does not re-rank.
RERANK_WEIGHTS: dict[str, float] = {
    "numbers_same": 0.002,
    "numbers_close": 0.0,
    "numbers_conflict": 0.0,
    "entity_overlap": 0.0,
    "entity_coverage": 0.0,
    "years_match": 0.002,
    "years_conflict": 0.0,
}
RERANK_DEPTH = 100  # only the fused top of a list is re-ranked, as the database search does


def rerank(
    claim: str, candidates: list[tuple[str, float]], *, weights: Mapping[str, float] | None = None
) -> list[float]:
    """New scores for (passage text, fused RRF score) candidates: fused score + weighted features.

    Scores stay on the RRF scale, so the caller can sort by them or store them as retrieval scores.
    """
    weights = RERANK_WEIGHTS if weights is None else weights
    adjusted = []
    for passage, fused in candidates:
        features = rerank_features(claim, passage)
        adjusted.append(fused + sum(weights.get(name, 0.0) * value for name, value in features.items()))
    return adjusted


# --- the in-memory hybrid --------------------------------------------------------------------------------


def dense_order(claim_vector: np.ndarray, passage_vectors: np.ndarray) -> list[int]:
    """Passage indices by cosine similarity (vectors are unit length, so a dot product), best first."""
    return order_by(np.asarray(passage_vectors, dtype=np.float32) @ np.asarray(claim_vector, np.float32))


def windows(sentences: list[str], *, before: int = 1, after: int = 1) -> list[str]:
    """Each sentence with its neighbours, as the passage index cuts 1-3 sentence windows."""
    return [" ".join(sentences[max(0, i - before) : i + after + 1]) for i in range(len(sentences))]


def hybrid_rank(
    claim: str,
    passages: list[str],
    *,
    passage_vectors: np.ndarray | None = None,
    claim_vector: np.ndarray | None = None,
    contiguous: bool = False,
    rerank_weights: Mapping[str, float] | None = None,
) -> list[int]:
    """Indices of passages, best first: BM25 + embedding cosine, RRF-fused, then re-ranked.

    contiguous: the passages are consecutive sentences of one text (a page), so a third ranking, BM25
    over each sentence with its neighbours, joins the fusion: evidence often spans two sentences and the
    second names its subject "it". On WiCE it lifted the fused recall@5 from 0.56 / 0.60 to 0.62 / 0.62
    on the even / odd rows; for unrelated snippets (Climate-FEVER's evidences) it means nothing: off.

    Without vectors it embeds claim and passages itself when the model is installed; without the model
    it degrades to BM25 + re-ranking. Passages matching neither way come last, in input order.
    """
    if not passages:
        return []
    claim_tokens = tokenize(claim)
    rankings = [order_by(bm25_scores(claim_tokens, [tokenize(p) for p in passages]), positive_only=True)]
    if contiguous:
        window_tokens = [tokenize(window) for window in windows(passages)]
        rankings.append(order_by(bm25_scores(claim_tokens, window_tokens), positive_only=True))
    if passage_vectors is None or claim_vector is None:
        from text.embeddings import encode, model_available

        if model_available():
            vectors = encode([claim, *passages])
            claim_vector, passage_vectors = vectors[0], vectors[1:]
    if passage_vectors is not None and claim_vector is not None:
        rankings.append(dense_order(claim_vector, passage_vectors))
    fused = reciprocal_rank_fusion(rankings)
    head, tail = fused[:RERANK_DEPTH], fused[RERANK_DEPTH:]
    scores = rerank(claim, [(passages[i], score) for i, score in head], weights=rerank_weights)
    order = [head[j][0] for j in sorted(range(len(head)), key=lambda j: -scores[j])]
    order += [i for i, _ in tail]
    seen = set(order)
    return order + [i for i in range(len(passages)) if i not in seen]
