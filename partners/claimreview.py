"""schema.org ClaimReview JSON-LD for a claim with a verdict (what search engines and partners read)."""

from typing import Any

from django.conf import settings

from claims.models import Claim

# A two-valued verdict on schema.org's usual 1–5 scale, with the words in alternateName.
RATINGS = {Claim.Status.VERIFIED: (5, "Verified"), Claim.Status.DISPUTED: (1, "Disputed")}
BEST_RATING, WORST_RATING = 5, 1


def claim_review(*, claim: Claim, review_url: str, organization_url: str) -> dict[str, Any]:
    """The ClaimReview of `claim`, which must have a verdict.

    `itemReviewed.datePublished` is when the claim was made: the article's publication date, or
    when we first saw the article if the page did not say. The review's own `datePublished` is the
    verdict's date.
    """
    if claim.status not in RATINGS:
        raise ValueError(f"claim {claim.pk} has no verdict")
    value, label = RATINGS[Claim.Status(claim.status)]
    article = claim.article
    item: dict[str, Any] = {
        "@type": "Claim",
        "datePublished": (article.published_on or article.created_at.date()).isoformat(),
    }
    appearance = {
        key: value
        for key, value in (("url", article.canonical_url or article.url), ("headline", article.title))
        if value
    }
    if appearance:
        item["appearance"] = [{"@type": "CreativeWork", **appearance}]
    reviewed_at = claim.reviewed_at or claim.updated_at
    return {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": review_url,
        "claimReviewed": claim.text,
        "datePublished": reviewed_at.date().isoformat(),
        "author": {
            "@type": "Organization",
            "name": str(settings.CLAIMREVIEW_ORGANIZATION_NAME or "Fact-checking workbench"),
            "url": str(settings.CLAIMREVIEW_ORGANIZATION_URL or organization_url),
        },
        "reviewRating": {
            "@type": "Rating",
            "ratingValue": value,
            "bestRating": BEST_RATING,
            "worstRating": WORST_RATING,
            "alternateName": claim.rating_label or label,
        },
        "itemReviewed": item,
    }
