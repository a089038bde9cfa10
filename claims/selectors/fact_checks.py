"""Reads of the fact-check library: a claim's matches (confirmed first, rejected left out), and a
lookup of library entries for a text through the claim-matching ranker."""

from typing import Any

from django.db.models import Case, IntegerField, Prefetch, QuerySet, Value, When

from ..matching import FACT_CHECK_SUGGEST_THRESHOLD
from ..models import FactCheck, FactCheckMatch


def claim_fact_check_matches() -> QuerySet[FactCheckMatch]:
    """Matches worth showing, confirmed ones first, then the most similar."""
    confirmed_first = Case(
        When(state=FactCheckMatch.State.CONFIRMED, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return (
        FactCheckMatch.objects.exclude(state=FactCheckMatch.State.REJECTED)
        .select_related("fact_check", "decided_by")
        .defer("fact_check__vectors")
        .order_by(confirmed_first, "-similarity", "id")
    )


def fact_checks_prefetch(prefix: str = "") -> Prefetch:
    """For a claim queryset: `claim.visible_fact_checks`, in one query for any number of claims."""
    return Prefetch(
        f"{prefix}fact_check_matches", queryset=claim_fact_check_matches(), to_attr="visible_fact_checks"
    )


def fact_check_as_dict(match: FactCheckMatch) -> dict[str, Any]:
    """One match as `ingest --json` prints it (the API's serializer gives the same fields)."""
    entry = match.fact_check
    return {
        "id": entry.pk,
        "state": match.state,
        "similarity": match.similarity,
        **library_entry_as_dict(entry),
        "decided_at": match.decided_at.isoformat() if match.decided_at else None,
    }


def library_entry_as_dict(entry: FactCheck) -> dict[str, Any]:
    return {
        "url": entry.url,
        "claim_reviewed": entry.claim_reviewed,
        "headline": entry.headline,
        "claimant": entry.claimant,
        "claim_date": entry.claim_date.isoformat() if entry.claim_date else None,
        "publisher": {"name": entry.publisher_name, "url": entry.publisher_url},
        "rating": {
            "name": entry.rating_name,
            "value": entry.rating_value,
            "best": entry.best_rating,
            "worst": entry.worst_rating,
            "text": entry.rating_text,
        },
        "language": entry.language,
        "date_published": entry.date_published.isoformat() if entry.date_published else None,
        "origin": entry.origin,
        "our_claim": entry.claim_id,
    }


def library_search(q: str, *, limit: int, include_ours: bool = False) -> list[tuple[FactCheck, float]]:
    """Library entries that review what `q` says, best first, with their similarity: the same ranker
    and threshold as a claim's matches (claims.services.factchecks.library_candidates)."""
    from text.embeddings import encode, model_available

    from ..services.factchecks import library_candidates, library_index

    if not FactCheck.objects.exists():
        return []
    library = library_index()
    vector = encode([q])[0] if model_available() else None
    found = [
        (pk, similarity)
        for pk, _, similarity in library_candidates(q, vector=vector, library=library)
        if similarity >= FACT_CHECK_SUGGEST_THRESHOLD
    ]
    entries = FactCheck.objects.defer("vectors").in_bulk([pk for pk, _ in found])
    results = [(entries[pk], similarity) for pk, similarity in found if pk in entries]
    if not include_ours:
        results = [
            (entry, similarity)
            for entry, similarity in results
            if entry.origin != FactCheck.Origin.OUR_VERDICT
        ]
    return results[:limit]
