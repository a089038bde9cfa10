"""Reads for the partner API: what one partner may see, shaped with the joins its responses need.

Visibility, in one place: a partner sees the articles it submitted and all of their claims, plus any
claim that has a verdict (verdicts are published work). Another partner's unreviewed claims and
articles stay invisible; comments and reviewer identities are never read here at all.
"""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.postgres.search import (
    SearchQuery,
    SearchRank,
    SearchVector,
    TrigramSimilarity,
    TrigramWordSimilarity,
)
from django.db.models import Count, F, FloatField, Prefetch, Q, QuerySet
from django.db.models.functions import Greatest, Upper

from claims.models import Article, Claim, Evidence
from claims.selectors.demand import with_demand
from claims.selectors.fact_checks import fact_checks_prefetch

from .models import ApiKey, Partner, PartnerSubmission, Webhook, WebhookDelivery

VERDICTS = (Claim.Status.VERIFIED, Claim.Status.DISPUTED)
# Below these a "match" is mostly shared stop-word trigrams (checked on the demo and test claims).
SEARCH_MIN_SIMILARITY = 0.3
SEARCH_MIN_WORD_SIMILARITY = 0.6
# Article columns that can be large and that claim responses never show.
ARTICLE_HEAVY_FIELDS = ("article__text", "article__submitted_body", "article__outbound_links")


@dataclass(frozen=True)
class ClaimFilters:
    status: str | None = None
    verdict: str | None = None  # "verified", "disputed", "any" or "none"
    updated_since: datetime | None = None
    article_id: int | None = None
    q: str | None = None
    needs_recheck: bool | None = None


def api_key_by_prefix(*, prefix: str) -> ApiKey | None:
    return ApiKey.objects.select_related("partner").filter(prefix=prefix).first()


def partner_articles(*, partner: Partner) -> QuerySet[Article]:
    return Article.objects.filter(partner_submission__partner=partner)


def partner_article_list(*, partner: Partner) -> QuerySet[Article]:
    return (
        partner_articles(partner=partner)
        .defer("text", "submitted_body", "outbound_links")
        .annotate(claim_count=Count("claims"))
        .order_by("-created_at")
    )


def partner_article_detail(*, partner: Partner) -> QuerySet[Article]:
    """Own articles with their claims (all of them: they are the partner's own work)."""
    return partner_articles(partner=partner).prefetch_related(
        Prefetch("claims", queryset=Claim.objects.order_by("start"))
    )


def visible_claims(*, partner: Partner) -> QuerySet[Claim]:
    own_articles = PartnerSubmission.objects.filter(partner=partner).values("article_id")
    return Claim.objects.filter(Q(status__in=VERDICTS) | Q(article_id__in=own_articles))


def claim_list(*, partner: Partner, filters: ClaimFilters) -> QuerySet[Claim]:
    claims = visible_claims(partner=partner)
    if filters.status:
        claims = claims.filter(status=filters.status)
    if filters.verdict == "any":
        claims = claims.filter(status__in=VERDICTS)
    elif filters.verdict == "none":
        claims = claims.exclude(status__in=VERDICTS)
    elif filters.verdict:
        claims = claims.filter(status=filters.verdict)
    if filters.updated_since:
        claims = claims.filter(updated_at__gte=filters.updated_since)
    if filters.article_id is not None:
        claims = claims.filter(article_id=filters.article_id)
    if filters.needs_recheck is not None:
        claims = claims.filter(needs_recheck=filters.needs_recheck)
    if filters.q:
        # UPPER(text) LIKE UPPER(q): served by the trigram index on UPPER(text).
        claims = claims.filter(text__icontains=filters.q)
    return claims


def claim_detail(*, partner: Partner) -> QuerySet[Claim]:
    """Visible claims with the evidence a partner may read: everything a reviewer did not reject."""
    evidence = (
        Evidence.objects.filter(is_rejected=False)
        .select_related("passage", "snapshot__source")
        .defer("snapshot__raw_body", "snapshot__text", "snapshot__headers")
        .order_by("-is_confirmed", "-score", "id")
    )
    return (
        with_demand(visible_claims(partner=partner))
        .select_related("article")
        .defer(*ARTICLE_HEAVY_FIELDS)
        .prefetch_related(
            Prefetch("evidence", queryset=evidence, to_attr="visible_evidence"), fact_checks_prefetch()
        )
    )


def claim_search(*, partner: Partner, q: str, limit: int) -> list[Claim]:
    """Claims with a verdict whose text is like `q`, best first: a fact-check lookup.

    Trigram similarity catches reworded sentences, word similarity a short phrase inside a long
    claim, full-text search the same words in other forms ("vaccinated" ~ "vaccines"). Verdicts are
    a small, slowly growing set, reached through the status index; no new index is needed yet.
    """
    del partner  # every partner sees every verdict; kept so the signature says whose search it is
    upper_q = q.upper()
    vector = SearchVector("text", config="english")
    query = SearchQuery(q, config="english", search_type="plain")
    return list(
        Claim.objects.filter(status__in=VERDICTS)
        .annotate(
            document=vector,
            similarity=TrigramSimilarity(Upper("text"), upper_q),
            word_similarity=TrigramWordSimilarity(upper_q, Upper("text")),
            text_rank=SearchRank(vector, query),
        )
        .filter(
            Q(similarity__gte=SEARCH_MIN_SIMILARITY)
            | Q(word_similarity__gte=SEARCH_MIN_WORD_SIMILARITY)
            | Q(document=query)  # @@: ts_rank is never 0, even for no match
        )
        .annotate(
            relevance=Greatest(
                F("similarity"), F("word_similarity"), F("text_rank"), output_field=FloatField()
            )
        )
        .order_by("-relevance", "-reviewed_at", "-id")[:limit]
    )


def claim_owner_id(*, claim: Claim) -> int | None:
    """The partner that submitted the claim's article, if a partner did."""
    return (
        PartnerSubmission.objects.filter(article_id=claim.article_id)
        .values_list("partner_id", flat=True)
        .first()
    )


def claim_is_visible(*, partner_id: int, claim: Claim, owner_id: int | None) -> bool:
    return claim.status in VERDICTS or owner_id == partner_id


def partner_webhooks(*, partner: Partner) -> QuerySet[Webhook]:
    return Webhook.objects.filter(partner=partner).order_by("id")


def webhook_recent_deliveries(*, webhook: Webhook, limit: int = 20) -> list[WebhookDelivery]:
    return list(webhook.deliveries.order_by("-created_at", "-id")[:limit])


def webhooks_for_event(*, event: str) -> QuerySet[Webhook]:
    return Webhook.objects.filter(is_active=True, partner__is_active=True, events__contains=[event])
