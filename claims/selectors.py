"""Reads for articles and claims, shaped for the pages, commands and API that show them."""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db.models import Count, F, Prefetch, Q, QuerySet, Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Greatest, Substr, TruncWeek
from django.shortcuts import get_object_or_404
from django.utils import timezone

from .models import Article, Claim, ClaimEvent, ClaimLink, ClaimSource, Comment, Evidence, Sentence


def article_claims(article: Article):  # a QuerySet[Claim]
    evidence = Evidence.objects.select_related("passage", "snapshot__source").order_by("-score")
    return article.claims.order_by("start").prefetch_related(Prefetch("evidence", queryset=evidence))


def claim_as_dict(claim: Claim) -> dict[str, Any]:
    return {
        "id": claim.pk,
        "text": claim.text,
        "start": claim.start,
        "end": claim.end,
        "score": claim.score,
        "reasons": claim.reasons,
        "features": claim.features,
        "quantities": claim.quantities,
        "dates": claim.dates,
        "entities": claim.entities,
        "status": claim.status,
        "evidence": [
            {
                "id": item.pk,
                "source_url": item.snapshot.source.url,
                "passage": item.passage.text,
                "score": item.score,
                "stance": item.confirmed_stance or item.suggested_stance,
                "stance_reason": item.stance_reason,
                "snapshot_fetched_at": item.snapshot.fetched_at.isoformat(),
            }
            for item in claim.evidence.all()
        ],
    }


def article_as_dict(article: Article) -> dict[str, Any]:
    return {
        "article": {
            "id": article.pk,
            "status": article.status,
            "title": article.title,
            "byline": article.byline,
            "url": article.url,
            "published_on": article.published_on.isoformat() if article.published_on else None,
            "language": article.language,
            "text": article.text,
            "error": article.error,
            "progress": article.progress,
            "sentences": article.sentences.count(),
        },
        "claims": [claim_as_dict(claim) for claim in article_claims(article)],
    }


# --- Reviewer UI -------------------------------------------------------------------------------
# Every selector below runs a fixed number of queries whatever the amount of data (tests assert it).

# Key in the query string → (label, ordering). The id tie-breaker keeps pagination stable.
QUEUE_SORTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "-score": ("highest score first", ("-score", "-id")),
    "score": ("lowest score first", ("score", "id")),
    "-created": ("newest first", ("-created_at", "-id")),
    "created": ("oldest first", ("created_at", "id")),
    "-updated": ("recently changed first", ("-updated_at", "-id")),
    "article": ("by article, in text order", ("article_id", "start")),
    "relevance": ("best search match first", ("-rank", "-score", "-id")),
}
OPEN_STATUSES = (Claim.Status.UNREVIEWED, Claim.Status.IN_REVIEW)
ARTICLE_HEAVY_FIELDS = ("article__text", "article__submitted_body", "article__outbound_links")
# Characters of surrounding text shown around a claim or a quoted passage.
CONTEXT_CHARS = 280


def assignable_users() -> list[Any]:
    """People who review: members of the reviewer or editor group, and admins."""
    from django.contrib.auth import get_user_model

    return list(
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(groups__name__in=["reviewer", "editor"]) | Q(is_superuser=True))
        .distinct()
        .order_by("username")
    )


def claim_queue(
    *,
    user: Any,
    q: str = "",
    status: str = "open",
    min_score: float | None = None,
    article_id: int | None = None,
    assignee: str = "",
    needs_recheck: bool = False,
    created_from: date | None = None,
    created_to: date | None = None,
    sort: str = "-score",
) -> QuerySet[Claim]:
    claims = Claim.objects.select_related("article", "assignee", "reviewed_by").defer(*ARTICLE_HEAVY_FIELDS)
    if status == "open":
        claims = claims.filter(status__in=OPEN_STATUSES)
    elif status in Claim.Status.values:
        claims = claims.filter(status=status)
    if min_score is not None:
        claims = claims.filter(score__gte=min_score)
    if article_id:
        claims = claims.filter(article_id=article_id)
    if assignee == "me":
        claims = claims.filter(assignee=user)
    elif assignee == "none":
        claims = claims.filter(assignee__isnull=True)
    elif assignee.isdigit():
        claims = claims.filter(assignee_id=int(assignee))
    if needs_recheck:
        claims = claims.filter(needs_recheck=True)
    if created_from:
        claims = claims.filter(created_at__date__gte=created_from)
    if created_to:
        claims = claims.filter(created_at__date__lte=created_to)
    q = q.strip()
    if q:
        # Words as a reviewer types them (AND, "phrases", -not), plus a plain substring match so
        # numbers such as "18,000" that the parser splits still find their claim.
        query = SearchQuery(q, search_type="websearch", config="english")
        vector = SearchVector("text", config="english")
        claims = claims.annotate(search=vector, rank=SearchRank(vector, query)).filter(
            Q(search=query) | Q(text__icontains=q) | Q(article__title__icontains=q)
        )
    elif sort == "relevance":
        sort = "-score"
    ordering = QUEUE_SORTS.get(sort, QUEUE_SORTS["-score"])[1]
    return claims.order_by(*ordering)


@dataclass(frozen=True)
class ChartWeek:
    start: date
    verified: int
    disputed: int


@dataclass(frozen=True)
class Dashboard:
    status_counts: list[tuple[str, str, int]]  # (status, label, count), every status present
    needs_recheck: list[Claim]
    needs_recheck_total: int
    my_claims: list[Claim]
    activity: list[ClaimEvent]
    recent_articles: list[Article]
    verdict_weeks: list[ChartWeek]


def dashboard_for(*, user: Any, weeks: int = 8, limit: int = 8) -> Dashboard:
    counts = dict(Claim.objects.values_list("status").annotate(n=Count("id")).order_by())
    status_counts = [(value, label, counts.get(value, 0)) for value, label in Claim.Status.choices]
    light = Claim.objects.select_related("article").defer(*ARTICLE_HEAVY_FIELDS)
    needs = light.filter(needs_recheck=True).order_by("-updated_at")
    mine = light.filter(assignee=user, status__in=OPEN_STATUSES).order_by("-score", "id")
    activity = (
        ClaimEvent.objects.select_related("actor", "claim")
        .defer("claim__features", "claim__quantities", "claim__dates", "claim__entities")
        .order_by("-created_at", "-id")[:15]
    )
    articles = Article.objects.defer("text", "submitted_body", "outbound_links").order_by("-created_at")
    return Dashboard(
        status_counts=status_counts,
        needs_recheck=list(needs[:limit]),
        needs_recheck_total=needs.count(),
        my_claims=list(mine[:limit]),
        activity=list(activity),
        recent_articles=list(articles[:6]),
        verdict_weeks=verdicts_per_week(weeks=weeks),
    )


def verdicts_per_week(*, weeks: int) -> list[ChartWeek]:
    """Verdicts given (set or changed) per ISO week, oldest first, empty weeks included."""
    this_monday = timezone.localdate() - timedelta(days=timezone.localdate().weekday())
    first = this_monday - timedelta(weeks=weeks - 1)
    rows = (
        ClaimEvent.objects.filter(kind__in=["verdict_set", "verdict_changed"], created_at__date__gte=first)
        .annotate(week=TruncWeek("created_at"), verdict=KeyTextTransform("status", "after"))
        .values_list("week", "verdict")
        .annotate(n=Count("id"))
        .order_by()
    )
    found: dict[tuple[date, str], int] = {}
    for week, verdict, n in rows:
        found[(week.date() if hasattr(week, "date") else week, verdict)] = n
    return [
        ChartWeek(
            start=monday,
            verified=found.get((monday, Claim.Status.VERIFIED), 0),
            disputed=found.get((monday, Claim.Status.DISPUTED), 0),
        )
        for monday in (first + timedelta(weeks=i) for i in range(weeks))
    ]


def claim_for_page(pk: int) -> Claim:
    """One claim with what every claim page and action needs, and the article text around it."""
    before_start = Greatest(F("start") - CONTEXT_CHARS + 1, Value(1))
    return get_object_or_404(
        Claim.objects.select_related("article", "assignee", "reviewed_by", "promoted_by")
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
    )


def article_page(article: Article) -> tuple[list[Sentence], list[Claim]]:
    """The sentences and claims of an article in text order, for highlighting."""
    sentences = list(article.sentences.order_by("start"))
    claims = list(article.claims.select_related("assignee").order_by("start"))
    return sentences, claims


def source_for_view(pk: int) -> Any:
    from sources.models import Source

    return get_object_or_404(Source, pk=pk)


def snapshot_for_view(pk: int) -> Any:
    from sources.models import Snapshot

    return get_object_or_404(Snapshot.objects.select_related("source").defer("raw_body"), pk=pk)
