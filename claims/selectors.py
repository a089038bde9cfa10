"""Reads for articles and claims, shaped for the pages, commands and API that show them."""

from typing import Any

from django.db.models import Prefetch

from .models import Article, Claim, Evidence


def article_claims(article: Article):  # noqa: ANN201 - a QuerySet[Claim]
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
