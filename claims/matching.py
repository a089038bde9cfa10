"""Claim matching, the pure part: how alike two claims are, and ranking fact-checked claims for a text.

`claim_similarity` is what the near-duplicate step compares against its two thresholds (the database
narrows candidates first with pg_trgm and pgvector; this scores them the same way in Python).
`rank_verified_claims` is the fused BM25 + embedding ranker the CLEF 2020 claim-retrieval evaluation
measures. Tweets are used as they come: the design measured that stripping @handles and URLs hurt.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Sequence

import numpy as np

from text.ranking import BM25Index, order_by, reciprocal_rank_fusion, rerank_features, tokenize

# --- similarity of two claims -------------------------------------------------------------------------

_WORD = re.compile(r"[^\W_]+")


def trigrams(text: str) -> frozenset[str]:
    """pg_trgm's trigrams: each lower-cased alphanumeric word padded with two spaces before and one
    after, so short words and word starts weigh as they do in PostgreSQL's `similarity()`."""
    grams: set[str] = set()
    for word in _WORD.findall(text.lower()):
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return frozenset(grams)


def trigram_similarity(a: str, b: str) -> float:
    """|shared trigrams| / |all trigrams|, as pg_trgm's `similarity(a, b)`."""
    ta, tb = trigrams(a), trigrams(b)
    union = len(ta | tb)
    return len(ta & tb) / union if union else 0.0


# Share of the trigram score in the combined similarity; the rest is embedding cosine. Chosen on pairs
# from the CLEF 2020 task 2 *train* data: 800 tweets with their fact-checked claim (positives) and with
# the 3 nearest wrong claims (hard negatives), plus 1,500 Snopes claims with their own headline (a true
# paraphrase) and with their nearest other claim. Pooled ROC AUC was flat from 0.2 to 0.5 (0.825-0.826)
# and lower outside; tweet pairs alone preferred more trigram weight, paraphrase pairs less. 0.3 keeps
# near-verbatim copies near 1.0 while letting cosine carry rewordings.
TRIGRAM_WEIGHT = 0.3

# Thresholds on claim_similarity, read off the same pairs:
# - SUGGEST maximises F1 on them (precision 0.76, recall 0.71). The negatives are each text's *nearest*
#   wrong neighbour, and CLEF's gold is incomplete (several "wrong" pairs quote the same statement), so
#   the precision of real suggestions is higher. A suggestion costs a reviewer one glance.
# - AUTO_LINK: above 0.92 the only "negatives" left were true duplicates in the Snopes list (the same
#   claim filed twice, differing in quote marks); the highest genuinely different pair, "Publix is giving
#   away $100 coupons" vs "$75 and $80 coupons", scored 0.91. An automatic link is shown as settled, so
#   it also needs the numbers and years of both texts to agree (link_decision), and texts under
#   MIN_WORDS_FOR_AUTO_LINK words are only ever suggested: short texts ("Prices rose.") match by accident.
SUGGEST_THRESHOLD = 0.50
AUTO_LINK_THRESHOLD = 0.92
MIN_WORDS_FOR_AUTO_LINK = 8


def claim_similarity(a: str, b: str, *, va: np.ndarray | None = None, vb: np.ndarray | None = None) -> float:
    """Similarity in [0, 1]: TRIGRAM_WEIGHT x trigram similarity + the rest x embedding cosine.

    Vectors are computed when not given and the model is installed; without the model the score is the
    trigram similarity alone (thresholds were calibrated on the combined score: expect fewer matches).
    """
    trigram = trigram_similarity(a, b)
    if va is None or vb is None:
        from text.embeddings import encode, model_available

        if not model_available():
            return trigram
        va, vb = encode([a, b])
    cosine = float(np.clip(np.dot(np.asarray(va, np.float32), np.asarray(vb, np.float32)), 0.0, 1.0))
    return TRIGRAM_WEIGHT * trigram + (1.0 - TRIGRAM_WEIGHT) * cosine


def link_decision(a: str, b: str, similarity: float) -> str | None:
    """Return "auto", "suggest" or None for two claims with this claim_similarity.

    Auto-linking also needs both texts to be at least MIN_WORDS_FOR_AUTO_LINK words long and to
    state no conflicting amounts or years ("$100" vs "$75" is a different claim however alike).
    """
    if similarity < SUGGEST_THRESHOLD:
        return None
    long_enough = min(len(a.split()), len(b.split())) >= MIN_WORDS_FOR_AUTO_LINK
    if similarity >= AUTO_LINK_THRESHOLD and long_enough and _facts_agree(a, b) and _facts_agree(b, a):
        return "auto"
    return "suggest"


def _facts_agree(a: str, b: str) -> bool:
    """No amount of a is contradicted or merely approximated in b, and no year conflicts."""
    features = rerank_features(a, b)
    return (
        not features["numbers_conflict"]
        and not features["years_conflict"]
        and features["numbers_same"] == features["numbers_close"]
    )


# --- ranking fact-checked claims for a text (CLEF 2020 task 2) ----------------------------------------

# How deep each single ranking goes into the fusion: a claim's 200th-best BM25 match adds noise, not
# recall, to a top-100 answer.
FUSION_DEPTH = 200
# RRF's k for claim matching, chosen on the 800 CLEF train queries over {5, 10, 20, 60}: MAP@5 0.903,
# 0.900, 0.896, 0.891 (5 and 10 tie within noise; 10 taken as the less extreme). A smaller k than the
# passage search's 60 trusts the top of each list more, which suits a task with one right answer.
MATCHING_RRF_K = 10
# Re-ranking by numbers / entities / years did not help here (dates in tweets' sign-off lines hurt):
# on the train queries it moved MAP@5 from 0.891 to between 0.857 and 0.891, so claim matching fuses only.


class VerifiedClaimIndex:
    """A fixed list of fact-checked claims, indexed once for BM25 and (optionally) held as vectors.

    corpus_vectors are dotted with the query vector. They may be the mean of several unit vectors per
    claim: the score is then the mean cosine. The evaluation passes the mean of the statement's and the
    headline's vectors (train MAP@5 of embeddings alone: statement 0.822, headline 0.814, mean 0.840).
    """

    def __init__(
        self,
        corpus: Sequence[str],
        *,
        corpus_vectors: np.ndarray | None = None,
        bm25: BM25Index | None = None,
    ) -> None:
        self.corpus = list(corpus)
        self.bm25 = bm25 if bm25 is not None else BM25Index([tokenize(text) for text in self.corpus])
        self.vectors = None if corpus_vectors is None else np.asarray(corpus_vectors, dtype=np.float32)

    def lexical(self, query: str) -> list[int]:
        return order_by(self.bm25.scores(tokenize(query)), positive_only=True)[:FUSION_DEPTH]

    def dense(self, query_vector: np.ndarray) -> list[int]:
        if self.vectors is None:
            return []
        return order_by(self.vectors @ np.asarray(query_vector, dtype=np.float32))[:FUSION_DEPTH]

    def rank(self, query: str, *, query_vector: np.ndarray | None = None) -> list[int]:
        """Corpus indices best first: BM25 and cosine rankings fused by RRF; unmatched ones last."""
        rankings = [self.lexical(query)]
        if query_vector is not None and self.vectors is not None:
            rankings.append(self.dense(query_vector))
        order = [i for i, _ in reciprocal_rank_fusion(rankings, k=MATCHING_RRF_K)]
        seen = set(order)
        return order + [i for i in range(len(self.corpus)) if i not in seen]


_bm25_lock = threading.Lock()
_last_bm25: tuple[str, BM25Index] | None = None


def _bm25_for(corpus: Sequence[str]) -> BM25Index:
    """The BM25 index of the last corpus seen, rebuilt only when its texts change (hashing 10k claims
    takes milliseconds, tokenising them about a second)."""
    global _last_bm25
    digest = hashlib.sha1(usedforsecurity=False)
    for text in corpus:
        digest.update(text.encode("utf-8") + b"\x00")
    key = digest.hexdigest()
    with _bm25_lock:
        if _last_bm25 is None or _last_bm25[0] != key:
            _last_bm25 = (key, BM25Index([tokenize(text) for text in corpus]))
        return _last_bm25[1]


def rank_verified_claims(
    query: str,
    corpus: list[str],
    *,
    corpus_vectors: np.ndarray | None = None,
    query_vector: np.ndarray | None = None,
) -> list[int]:
    """Indices of corpus (fact-checked claims) best first for a query text, BM25 + embeddings fused.

    Ranking many queries against one corpus builds its BM25 index once. Without corpus_vectors the
    ranking is BM25 alone: embedding a corpus is the caller's job, done once and stored (the database
    keeps claim vectors; the evaluation caches them). The query is embedded here when corpus vectors
    are given and no query vector is.
    """
    if corpus_vectors is not None and query_vector is None:
        from text.embeddings import encode, model_available

        if model_available():
            query_vector = encode([query])[0]
    index = VerifiedClaimIndex(corpus, corpus_vectors=corpus_vectors, bm25=_bm25_for(corpus))
    return index.rank(query, query_vector=query_vector)


# --- the fact-check library: the same ranker, then the duplicates' similarity decides -----------------

# A claim is compared with the FACT_CHECK_DEPTH best library entries of the fused ranking above (what
# `evaluate claim-matching` scores as MAP@5); an entry is suggested when its claim_similarity (trigram +
# cosine, the duplicate step's score) with the claim reaches FACT_CHECK_SUGGEST_THRESHOLD.
# Fitted by bench/fit_factcheck_threshold.py on the CLEF 2020 task 2 *dev* queries (197 tweets against
# the 10,375 Snopes claims, through the library's own code): 0.46 maximises F1 of the top-5 suggestions
# against CLEF's gold (precision 0.663, recall 0.646; about one suggestion a query). On the 800 train
# queries, never used for it: precision 0.682, recall 0.690. 0.50 would trade recall for precision
# (dev 0.723 / 0.515). Tweets are noisier than article sentences; the gold is incomplete (several
# "wrong" Snopes claims state the same thing), so real precision is somewhat higher.
FACT_CHECK_DEPTH = 5
FACT_CHECK_SUGGEST_THRESHOLD = 0.46


def fact_check_candidates(
    index: VerifiedClaimIndex,
    statements: Sequence[str],
    statement_vectors: np.ndarray | None,
    query: str,
    *,
    query_vector: np.ndarray | None = None,
    excluded: frozenset[int] = frozenset(),
    depth: int = FACT_CHECK_DEPTH,
) -> list[tuple[int, int, float]]:
    """(corpus index, rank from 1, claim_similarity) of the `depth` best library entries for a text,
    in ranking order, leaving out `excluded` indices (the claim's own verdict, its article's)."""
    found: list[tuple[int, int, float]] = []
    for i in index.rank(query, query_vector=query_vector):
        if i in excluded:
            continue
        if len(found) >= depth:
            break
        vector = None if statement_vectors is None else statement_vectors[i]
        if vector is not None and not vector.any():
            vector = None  # not embedded yet: trigram similarity only
        if query_vector is None or vector is None:
            similarity = trigram_similarity(query, statements[i])
        else:
            similarity = claim_similarity(query, statements[i], va=query_vector, vb=vector)
        found.append((i, len(found) + 1, similarity))
    return found
