"""Partners' claim requests: "has anyone checked this?" about a text they have not submitted.

Answered at once with the matching verdicts and published fact-checks. When no verdict matches, the
request is recorded (demand) and its partner subscribed: once a claim that says the same thing gets a
verdict, the partner's `claim.verdict_set` webhooks hear about it. "Says the same thing" is the
near-duplicate step's own test (claims.matching.link_decision at its SUGGEST threshold).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.db import IntegrityError, transaction
from django.utils import timezone

from claims.matching import claim_similarity, link_decision
from claims.models import Claim, FactCheck
from claims.selectors.fact_checks import library_search
from claims.services.claims import claim_record_event, fingerprint

from .models import ClaimRequest, Partner, WebhookDelivery
from .selectors import claim_search
from .webhooks import outbox_record_request_answered

SEARCH_LIMIT = 10
# Open requests compared with each new verdict, newest first: a bound on one task's work.
MAX_OPEN_REQUESTS = 5000
DIMENSIONS = 384


@dataclass(frozen=True)
class RequestAnswer:
    verdicts: list[Claim]
    fact_checks: list[tuple[FactCheck, float]]
    request: ClaimRequest | None  # recorded (and subscribed) when no verdict matched


def _encode(text: str) -> np.ndarray | None:
    from text.embeddings import encode, model_available

    return encode([text])[0] if model_available() else None


def claim_request_make(*, partner: Partner, text: str) -> RequestAnswer:
    """Answer a partner's question about a text; record it when no verdict matches."""
    text = " ".join(text.split())
    verdicts = claim_search(partner=partner, q=text, limit=SEARCH_LIMIT)
    fact_checks = library_search(text, limit=SEARCH_LIMIT)
    if verdicts:
        return RequestAnswer(verdicts, fact_checks, None)
    vector = _encode(text)
    digest = fingerprint(text)
    try:
        with transaction.atomic():
            request, _ = ClaimRequest.objects.get_or_create(
                partner=partner,
                fingerprint=digest,
                answered_at=None,
                defaults={
                    "text": text,
                    "vector": None if vector is None else vector.astype(np.float32).tobytes(),
                },
            )
    except IntegrityError:  # the same question twice at once: the other insert won
        request = ClaimRequest.objects.get(partner=partner, fingerprint=digest, answered_at=None)
    return RequestAnswer(verdicts, fact_checks, request)


def _vector(data: bytes | memoryview | None) -> np.ndarray | None:
    if data is None:
        return None
    array = np.frombuffer(bytes(data), dtype=np.float32)
    return array if array.size == DIMENSIONS else None


def claim_requests_answer(*, claim_id: int) -> list[WebhookDelivery]:
    """A claim got a verdict: tell the partners whose open requests say the same thing.

    Each request is claimed with a conditional UPDATE before its event is written (in one
    transaction), so a redelivered task never tells a partner twice."""
    claim = Claim.objects.filter(pk=claim_id).first()
    if claim is None or not claim.has_verdict:
        return []
    requests = list(ClaimRequest.objects.filter(answered_at__isnull=True).order_by("-id")[:MAX_OPEN_REQUESTS])
    if not requests:
        return []
    vector = _encode(claim.text)
    deliveries: list[WebhookDelivery] = []
    for request in requests:
        other = _vector(request.vector)
        if vector is None or other is None:
            from claims.matching import trigram_similarity

            similarity = trigram_similarity(claim.text, request.text)
        else:
            similarity = claim_similarity(claim.text, request.text, va=vector, vb=other)
        if link_decision(claim.text, request.text, similarity) is None:
            continue
        with transaction.atomic():
            claimed = ClaimRequest.objects.filter(pk=request.pk, answered_at__isnull=True).update(
                answered_claim=claim, answered_at=timezone.now()
            )
            if claimed == 1:
                # On the claim's record: who asked (counted as its demand) and how alike the texts were.
                claim_record_event(
                    claim=claim,
                    kind="requested",
                    actor_label=f"partner:{request.partner_id}",
                    after={
                        "request": request.pk,
                        "text": request.text[:300],
                        "similarity": round(similarity, 4),
                    },
                )
                deliveries += outbox_record_request_answered(
                    request=request, claim=claim, similarity=similarity
                )
    return deliveries
