"""The dashboard: status tiles, claims needing a re-check, the reviewer's own, activity, verdicts per week."""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Count
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import TruncWeek
from django.utils import timezone

from ..models import Article, Claim, ClaimEvent
from .common import ARTICLE_HEAVY_FIELDS, OPEN_STATUSES


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
