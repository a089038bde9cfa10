"""Near-duplicate claims across articles: trigram candidates (pg_trgm) and, where pgvector exists,
embedding neighbours; scored by `claims.matching.claim_similarity` and linked in both directions.

Two thresholds (`claims.matching.link_decision`): at SUGGEST a link is offered to reviewers; at
AUTO_LINK it is confirmed by the machine — but never for texts under eight words, where short generic
sentences ("Prices rose.") look alike without saying the same thing, nor when amounts or years differ.
"""

from functools import lru_cache

import numpy as np
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from sources.passages import vector_literal

from .matching import claim_similarity, link_decision
from .models import Claim, ClaimLink

CANDIDATES = 20


@lru_cache(maxsize=1)
def _claim_vectors_enabled() -> bool:
    from sources.embeddings import model_available

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM information_schema.columns "
            "WHERE table_name = 'claims_claim' AND column_name = 'embedding'"
        )
        return cursor.fetchone() is not None and model_available()


def _candidates(claim: Claim, vector: np.ndarray | None) -> dict[int, str]:
    with connection.cursor() as cursor:
        # `%%` is pg_trgm's similarity operator (threshold 0.3), served by the trigram GIN index.
        cursor.execute(
            "SELECT id, text FROM claims_claim WHERE upper(text) %% upper(%s) "
            "AND article_id <> %s ORDER BY similarity(upper(text), upper(%s)) DESC LIMIT %s",
            [claim.text, claim.article_id, claim.text, CANDIDATES],
        )
        found = dict(cursor.fetchall())
        if vector is not None:
            cursor.execute(
                "SELECT id, text FROM claims_claim WHERE embedding IS NOT NULL AND article_id <> %s "
                "ORDER BY embedding <=> %s::vector LIMIT %s",
                [claim.article_id, vector_literal(vector), CANDIDATES],
            )
            found.update(cursor.fetchall())
    return found


def _vectors_of(ids: list[int]) -> dict[int, np.ndarray]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, embedding::text FROM claims_claim WHERE id = ANY(%s) AND embedding IS NOT NULL",
            [ids],
        )
        return {pk: np.array(text.strip("[]").split(","), dtype=np.float32) for pk, text in cursor.fetchall()}


def claims_embed(claims: list[Claim]) -> dict[int, np.ndarray]:
    """Embed and store the vectors of several claims in one batch (one model call, one statement)."""
    if not claims or not _claim_vectors_enabled():
        return {}
    from sources.embeddings import encode

    vectors = encode([claim.text for claim in claims])
    with connection.cursor() as cursor:
        cursor.executemany(
            "UPDATE claims_claim SET embedding = %s::vector WHERE id = %s",
            [(vector_literal(v), claim.pk) for claim, v in zip(claims, vectors, strict=True)],
        )
    return {claim.pk: vector for claim, vector in zip(claims, vectors, strict=True)}


def claim_find_duplicates(claim: Claim, *, vector: np.ndarray | None = None) -> int:
    """Link a claim to its near-duplicates in other articles. Returns the number of new links.

    `vector` is the claim's stored embedding when the caller embedded a batch (claims_embed).
    """
    if vector is None:
        vector = claims_embed([claim]).get(claim.pk)
    candidates = _candidates(claim, vector)
    vectors = _vectors_of(list(candidates)) if vector is not None else {}
    created = 0
    for other_id, other_text in candidates.items():
        similarity = claim_similarity(claim.text, other_text, va=vector, vb=vectors.get(other_id))
        decision = link_decision(claim.text, other_text, similarity)
        if decision is None:
            continue
        auto = decision == "auto"
        created += _link(claim.pk, other_id, similarity, auto)
        _link(other_id, claim.pk, similarity, auto)
    return created


def _link(claim_id: int, other_id: int, similarity: float, auto: bool) -> int:
    try:
        with transaction.atomic():
            _, created = ClaimLink.objects.get_or_create(
                claim_id=claim_id,
                other_id=other_id,
                defaults={
                    "similarity": round(similarity, 4),
                    "state": ClaimLink.State.CONFIRMED if auto else ClaimLink.State.SUGGESTED,
                    "decided_at": timezone.now() if auto else None,
                },
            )
    except IntegrityError:
        return 0
    return int(created)
