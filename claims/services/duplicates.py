"""Near-duplicate claims across articles: trigram candidates (pg_trgm) and, where pgvector exists,
embedding neighbours; scored by `claims.matching.claim_similarity` and linked in both directions.

Two thresholds (`claims.matching.link_decision`): at SUGGEST a link is offered to reviewers; at
AUTO_LINK it is confirmed by the machine — but never for texts under eight words, where short generic
sentences ("Prices rose.") look alike without saying the same thing, nor when amounts or years differ.
"""

from functools import lru_cache

import numpy as np
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from sources.passages import vector_literal

from ..matching import SUGGEST_THRESHOLD, TRIGRAM_WEIGHT, claim_similarity, link_decision
from ..models import Claim, ClaimLink
from .claims import claim_record_event

CANDIDATES = 20
# A vector neighbour further than this cannot reach SUGGEST_THRESHOLD even with identical trigrams
# (similarity = w·trigram + (1 − w)·cosine); near-identical texts come from the trigram query anyway.
MAX_VECTOR_DISTANCE = 1 - (SUGGEST_THRESHOLD - TRIGRAM_WEIGHT) / (1 - TRIGRAM_WEIGHT)


@lru_cache(maxsize=1)
def _claim_vectors_enabled() -> bool:
    from text.embeddings import model_available

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
            literal = vector_literal(vector)
            cursor.execute(
                "SELECT id, text FROM claims_claim WHERE embedding IS NOT NULL AND article_id <> %s "
                "AND embedding <=> %s::vector <= %s ORDER BY embedding <=> %s::vector LIMIT %s",
                [claim.article_id, literal, MAX_VECTOR_DISTANCE, literal, CANDIDATES],
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


def claims_embed(claims: list[Claim], *, known: dict[int, np.ndarray] | None = None) -> dict[int, np.ndarray]:
    """Embed and store the vectors of several claims in one batch (one model call, one statement).
    `known` holds vectors already computed for some claims (their sentences' embeddings from scoring)."""
    if not claims or not _claim_vectors_enabled():
        return {}
    from text.embeddings import encode

    known = known or {}
    missing = [claim for claim in claims if claim.pk not in known]
    encoded = dict(zip((c.pk for c in missing), encode([c.text for c in missing]), strict=True))
    vectors = [known[claim.pk] if claim.pk in known else encoded[claim.pk] for claim in claims]
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
    if not candidates:
        return 0
    vectors = _vectors_of(list(candidates)) if vector is not None else {}
    vector = _encode_missing(claim, vector, candidates, vectors)
    rows = []
    for other_id, other_text in candidates.items():
        similarity = claim_similarity(claim.text, other_text, va=vector, vb=vectors.get(other_id))
        decision = link_decision(claim.text, other_text, similarity)
        if decision is None:
            continue
        auto = decision == "auto"
        rows += [
            _link_row(claim.pk, other_id, similarity, auto),
            _link_row(other_id, claim.pk, similarity, auto),
        ]
    return _store_links(rows)


def _encode_missing(
    claim: Claim, vector: np.ndarray | None, candidates: dict[int, str], vectors: dict[int, np.ndarray]
) -> np.ndarray | None:
    """Fill in vectors the database does not hold (no pgvector) in one batch, so that
    claim_similarity never encodes pair by pair. Returns the claim's vector."""
    from text.embeddings import encode, model_available

    missing = [pk for pk in candidates if pk not in vectors]
    if not model_available() or (not missing and vector is not None):
        return vector
    texts = [candidates[pk] for pk in missing] + ([claim.text] if vector is None else [])
    encoded = encode(texts)
    vectors.update(zip(missing, encoded[: len(missing)], strict=True))
    return encoded[-1] if vector is None else vector


def _link_row(claim_id: int, other_id: int, similarity: float, auto: bool) -> ClaimLink:
    return ClaimLink(
        claim_id=claim_id,
        other_id=other_id,
        similarity=round(similarity, 4),
        state=ClaimLink.State.CONFIRMED if auto else ClaimLink.State.SUGGESTED,
        decided_at=timezone.now() if auto else None,
    )


def _store_links(rows: list[ClaimLink]) -> int:
    """Insert both directions of every link in one statement, in (claim, other) order. Returns how
    many links (pairs) are new.

    Two articles of one story link the same pairs at the same moment. Inserted one by one, A's (a→b)
    then (b→a) against B's (b→a) then (a→b) deadlocked; one statement taking its index locks in one
    global order cannot wait in a cycle. A pair linked before keeps its row (and any decision on it).
    """
    if not rows:
        return 0
    rows.sort(key=lambda row: (row.claim_id, row.other_id))
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO claims_claimlink (claim_id, other_id, similarity, state, decided_at, created_at) "
            "SELECT r.claim_id, r.other_id, r.similarity, r.state, r.decided_at, now() "
            "FROM unnest(%s::bigint[], %s::bigint[], %s::float8[], %s::text[], %s::timestamptz[]) "
            "WITH ORDINALITY AS r(claim_id, other_id, similarity, state, decided_at, n) "
            "ORDER BY r.n ON CONFLICT DO NOTHING RETURNING claim_id, other_id",
            [
                [row.claim_id for row in rows],
                [row.other_id for row in rows],
                [row.similarity for row in rows],
                [row.state for row in rows],
                [row.decided_at for row in rows],
            ],
        )
        inserted = cursor.fetchall()
    return len(inserted) // 2


def claim_link_decide(*, link: ClaimLink, user: AbstractBaseUser, confirmed: bool) -> ClaimLink:
    """A reviewer confirms or rejects a near-duplicate link; both directions change, who and when kept."""
    state = ClaimLink.State.CONFIRMED if confirmed else ClaimLink.State.REJECTED
    with transaction.atomic():
        now = timezone.now()
        ClaimLink.objects.filter(
            Q(claim_id=link.claim_id, other_id=link.other_id)
            | Q(claim_id=link.other_id, other_id=link.claim_id)
        ).update(state=state, decided_by=user, decided_at=now)
        claim_record_event(
            claim=link.claim,
            kind="duplicate_confirmed" if confirmed else "duplicate_rejected",
            actor=user,
            before={"state": link.state},
            after={"other": link.other_id, "state": state, "similarity": link.similarity},
        )
    link.refresh_from_db()
    return link
