"""Hybrid passage search in one SQL statement: rare-term full-text candidates and vector k-NN,
fused by reciprocal rank.

Why this shape (measured, see DESIGN.md): AND-style tsqueries return nothing for most claims; ranking
every passage that matches an OR of all terms costs ~10 µs a row (seconds at 1M passages) and
`ts_rank_cd` has no IDF. So we take the claim's rarest terms from a term-statistics table, fetch only
passages containing at least two of them, and score those by the summed IDF of the claim's terms
they contain. Vector k-NN uses the HNSW index where pgvector exists; without it, search is full-text
only.
"""

import math
from dataclasses import dataclass

import numpy as np
from django.db import connection

from .passages import TOTAL_TERM, vector_literal, vectors_enabled

RARE_TERMS = 5
SCORED_TERMS = 12
CANDIDATES = 100
RRF_K = 60


@dataclass(frozen=True)
class Hit:
    passage_id: int
    score: float  # fused reciprocal-rank score
    lexical_rank: int | None
    vector_rank: int | None


def _quote_lexeme(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def query_terms(text: str) -> list[tuple[str, float]]:
    """The claim's lexemes that occur in the corpus, with their IDF, rarest first."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.term, t.ndoc, total.ndoc FROM sources_termstat t "
            "CROSS JOIN (SELECT ndoc FROM sources_termstat WHERE term = %s) total "
            "WHERE t.term = ANY(tsvector_to_array(to_tsvector('english', %s))) AND t.term <> %s",
            [TOTAL_TERM, text, TOTAL_TERM],
        )
        rows = cursor.fetchall()
    weighted = [
        (term, math.log(1 + (total - ndoc + 0.5) / (ndoc + 0.5))) for term, ndoc, total in rows if ndoc > 0
    ]
    return sorted(weighted, key=lambda item: -item[1])


def _candidate_query(rare: list[str]) -> str:
    """Passages with at least two of the rare terms (one if the claim has only one)."""
    if len(rare) == 1:
        return _quote_lexeme(rare[0])
    pairs = [f"({_quote_lexeme(a)} & {_quote_lexeme(b)})" for i, a in enumerate(rare) for b in rare[i + 1 :]]
    return " | ".join(pairs)


def search_passages(
    text: str,
    *,
    limit: int = 20,
    snapshot_ids: list[int] | None = None,
    use_vectors: bool | None = None,
    vector: np.ndarray | None = None,
) -> list[Hit]:
    """Best passages for a claim, fused from lexical and vector rankings.

    `vector` is the claim's embedding when the caller already has it (encoding costs ~20 ms a text).
    """
    terms = query_terms(text)
    use_vectors = vectors_enabled() if use_vectors is None else use_vectors
    if not terms and not use_vectors:
        return []

    params: dict[str, object] = {"candidates": CANDIDATES, "limit": limit, "k": RRF_K}
    snapshot_filter = ""
    if snapshot_ids is not None:
        snapshot_filter = "AND p.snapshot_id = ANY(%(snapshots)s)"
        params["snapshots"] = list(snapshot_ids)

    parts = []
    if terms:
        scored = terms[:SCORED_TERMS]
        score_sql = " + ".join(
            f"(CASE WHEN p.search_vector @@ %(t{i})s::tsquery THEN %(w{i})s ELSE 0 END)"
            for i in range(len(scored))
        )
        for i, (term, weight) in enumerate(scored):
            params[f"t{i}"], params[f"w{i}"] = _quote_lexeme(term), weight
        params["candidate_query"] = _candidate_query([term for term, _ in terms[:RARE_TERMS]])
        parts.append(
            f"""lexical AS (
                SELECT id, row_number() OVER (ORDER BY s DESC, id) AS r FROM (
                    SELECT p.id, ({score_sql}) AS s FROM sources_passage p
                    WHERE p.search_vector @@ %(candidate_query)s::tsquery {snapshot_filter}
                    ORDER BY s DESC, p.id LIMIT %(candidates)s) c)"""
        )
    if use_vectors:
        if vector is None:
            from text.embeddings import encode

            vector = encode([text])[0]
        params["vector"] = vector_literal(vector)
        parts.append(
            f"""vector AS (
                SELECT id, row_number() OVER (ORDER BY d, id) AS r FROM (
                    SELECT p.id, p.embedding <=> %(vector)s::vector AS d FROM sources_passage p
                    WHERE p.embedding IS NOT NULL {snapshot_filter}
                    ORDER BY p.embedding <=> %(vector)s::vector LIMIT %(candidates)s) c)"""
        )
    lexical_rank = "max(r) FILTER (WHERE kind = 'l')"
    vector_rank = "max(r) FILTER (WHERE kind = 'v')"
    union = " UNION ALL ".join(
        ["SELECT id, r, 'l' AS kind FROM lexical"] * bool(terms)
        + ["SELECT id, r, 'v' AS kind FROM vector"] * use_vectors
    )
    sql = (
        f"WITH {', '.join(parts)} "
        f"SELECT id, sum(1.0 / (%(k)s + r)) AS score, {lexical_rank}, {vector_rank} "
        f"FROM ({union}) ranked GROUP BY id ORDER BY score DESC, id LIMIT %(limit)s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [
        Hit(passage_id=row[0], score=float(row[1]), lexical_rank=row[2], vector_rank=row[3]) for row in rows
    ]
