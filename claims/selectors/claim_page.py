"""One claim's page: the claim with its context, evidence cards, duplicates, comments, history, sources."""

from dataclasses import dataclass
from typing import Any

from django.db.models import F, Value
from django.db.models.functions import Greatest, Substr
from django.shortcuts import get_object_or_404

from ..models import Claim, ClaimEvent, ClaimLink, ClaimSource, Comment, Evidence, FactCheckMatch
from .common import ARTICLE_HEAVY_FIELDS, CONTEXT_CHARS
from .demand import with_demand
from .fact_checks import claim_fact_check_matches


def claim_for_page(pk: int) -> Claim:
    """One claim with what every claim page and action needs, and the article text around it."""
    before_start = Greatest(F("start") - CONTEXT_CHARS + 1, Value(1))
    return get_object_or_404(
        with_demand(Claim.objects.select_related("article", "assignee", "reviewed_by", "promoted_by"))
        .defer(*ARTICLE_HEAVY_FIELDS)
        .annotate(
            # Slices of the article text in SQL: a long article is not loaded for a few lines of context.
            context_before=Substr("article__text", before_start, F("start") + 1 - before_start),
            context_after=Substr("article__text", F("end") + 1, CONTEXT_CHARS),
        ),
        pk=pk,
    )


@dataclass(frozen=True)
class SourceProgress:
    source: Any  # sources.Source
    evidence_count: int
    matched: bool  # its passages have been matched against this claim

    @property
    def pending(self) -> bool:
        """Still on its way: not fetched yet, being fetched, or fetched and not yet matched."""
        if self.source.status == "new" or self.source.fetching_since is not None:
            return True
        return self.source.status in {"ok", "unchanged"} and not self.matched


@dataclass(frozen=True)
class ClaimPage:
    evidence: list[Evidence]
    links: list[ClaimLink]
    comments: list[Comment]
    events: list[ClaimEvent]
    sources: list[SourceProgress]
    fact_checks: list[FactCheckMatch]

    @property
    def sources_pending(self) -> bool:
        return any(item.pending for item in self.sources)

    @property
    def latest_recheck(self) -> ClaimEvent | None:
        """The newest "needs_recheck" event, found among the events already loaded (no query)."""
        return next((event for event in reversed(self.events) if event.kind == "needs_recheck"), None)


def claim_evidence(claim: Claim) -> list[Evidence]:
    """The claim's evidence cards, best first. A source's newest snapshot replaces its older ones,
    except where a reviewer decided on an older card (a verdict rests on what they saw)."""
    before_start = Greatest(F("passage__start") - CONTEXT_CHARS + 1, Value(1))
    rows = list(
        claim.evidence.select_related("passage", "snapshot__source", "decided_by")
        .defer("passage__search_vector", "snapshot__raw_body", "snapshot__headers", "snapshot__text")
        .annotate(
            context_before=Substr("snapshot__text", before_start, F("passage__start") + 1 - before_start),
            context_after=Substr("snapshot__text", F("passage__end") + 1, CONTEXT_CHARS),
        )
        .order_by("is_rejected", "-is_confirmed", "-score", "id")
    )
    newest: dict[int, Any] = {}
    for row in rows:
        source_id = row.snapshot.source_id
        if source_id not in newest or row.snapshot.fetched_at > newest[source_id]:
            newest[source_id] = row.snapshot.fetched_at
    return [
        row
        for row in rows
        if row.is_confirmed or row.is_rejected or row.snapshot.fetched_at == newest[row.snapshot.source_id]
    ]


def claim_sources(claim: Claim, evidence: list[Evidence]) -> list[SourceProgress]:
    """Sources people (or feeds) added for this claim, with how much evidence each brought so far.

    The article's own links are left out: they are many, and they show as evidence when they bear."""
    per_source: dict[int, int] = {}
    for item in evidence:
        per_source[item.snapshot.source_id] = per_source.get(item.snapshot.source_id, 0) + 1
    links = (
        claim.source_links.exclude(origin=ClaimSource.Origin.ARTICLE_LINK)
        .select_related("source")
        .order_by("-added_at", "-id")
    )
    return [
        SourceProgress(link.source, per_source.get(link.source_id, 0), link.matched_at is not None)
        for link in links
    ]


def claim_page(claim: Claim) -> ClaimPage:
    evidence = claim_evidence(claim)
    links = (
        claim.links.exclude(state=ClaimLink.State.REJECTED)
        .select_related("other__article", "other__reviewed_by", "decided_by")
        .defer(*(f"other__{field}" for field in ARTICLE_HEAVY_FIELDS))
        .order_by("-similarity", "id")
    )
    return ClaimPage(
        evidence=evidence,
        links=list(links),
        comments=list(claim.comments.select_related("author")),
        events=list(claim.events.select_related("actor").order_by("created_at", "id")),
        sources=claim_sources(claim, evidence),
        fact_checks=list(claim_fact_check_matches().filter(claim=claim)),
    )
