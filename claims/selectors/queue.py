"""The claim queue: filters, search and sort, as the queue page uses them."""

from datetime import date
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db.models import FloatField, Q, QuerySet, Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce

from ..models import Claim
from .common import ARTICLE_HEAVY_FIELDS, OPEN_STATUSES
from .demand import with_demand

# Key in the query string → (label, ordering). The id tie-breaker keeps pagination stable.
QUEUE_SORTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "-score": ("highest score first", ("-score", "-id")),
    # The pipeline's triage order (claims.checkworthiness.triage_priority): a stated quantity first.
    "checkable": ("quantities first, then score", ("-states_quantity", "-score", "-id")),
    "score": ("lowest score first", ("score", "id")),
    "-created": ("newest first", ("-created_at", "-id")),
    "created": ("oldest first", ("created_at", "id")),
    "-updated": ("recently changed first", ("-updated_at", "-id")),
    "article": ("by article, in text order", ("article_id", "start")),
    "relevance": ("best search match first", ("-rank", "-score", "-id")),
    "-demand": (
        "most partners and articles first",
        ("-demand_partners", "-demand_articles", "-score", "-id"),
    ),
}


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
    min_partners: int | None = None,
    sort: str = "-score",
) -> QuerySet[Claim]:
    claims = with_demand(
        Claim.objects.select_related("article", "assignee", "reviewed_by").defer(*ARTICLE_HEAVY_FIELDS)
    )
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
    if min_partners:
        claims = claims.filter(demand_partners__gte=min_partners)
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
    if "-states_quantity" in ordering:
        quantity = Cast(KeyTextTransform("type_quantity", "features"), FloatField())
        claims = claims.annotate(states_quantity=Coalesce(quantity, Value(0.0)))
    return claims.order_by(*ordering)
