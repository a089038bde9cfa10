"""No N+1 on the reviewer's pages: the same number of queries for 3 rows as for 30."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims.models import ClaimEvent, ClaimLink, Comment

from .factories import (
    make_article_with_sentences,
    make_bare_claim,
    make_sentence_claim,
    make_snapshot,
    make_snapshot_evidence,
)

pytestmark = pytest.mark.django_db


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


def _grow_claim(claim, n: int, reviewer) -> None:
    """n pieces of evidence (each from its own source), comments, events, duplicates and sources."""
    other_article = make_article_with_sentences(
        text="Elsewhere.\n\nThe bridge carries 18,000 vehicles a day."
    )
    for i in range(n):
        make_snapshot_evidence(claim, make_snapshot())
        Comment.objects.create(claim=claim, author=reviewer, body=f"comment {i}")
        ClaimEvent.objects.create(
            claim=claim,
            actor=reviewer,
            kind="assigned",
            before={"assignee": None},
            after={"assignee": reviewer.pk},
        )
        source = make_snapshot().source
        ClaimEvent.objects.create(
            claim=claim, actor=reviewer, kind="source_added", after={"source": source.pk, "url": source.url}
        )
        other = make_bare_claim(other_article, f"The bridge carries 18,000 vehicles a day ({i})")
        other.reviewed_by, other.status, other.rationale = reviewer, "verified", "ok"
        other.save()
        ClaimLink.objects.create(claim=claim, other=other, similarity=0.9)


@pytest.mark.parametrize("page", ["queue", "dashboard", "article"])
def test_it_runs_the_same_queries_for_3_and_30_claims(client, reviewer, editor, page):
    client.force_login(editor)
    counts = []
    for n in (3, 30):
        article = make_article_with_sentences(user=reviewer)
        for i in range(n):
            claim = make_bare_claim(article, f"Claim {i} with 1,000 cases", score=0.5 + i / 100)
            claim.assignee = reviewer if i % 2 else editor
            claim.needs_recheck = i % 3 == 0
            claim.save()
            ClaimEvent.objects.create(
                claim=claim, actor=reviewer, kind="verdict_set", after={"status": "verified"}
            )
        url = {
            "queue": reverse("claims:queue") + "?status=all&q=cases",
            "dashboard": reverse("claims:dashboard"),
            "article": reverse("claims:article_detail", args=[article.pk]),
        }[page]
        counts.append(_queries(client, url))
    assert counts[0] == counts[1], counts
    assert counts[1] <= 12, counts


def test_the_claim_page_runs_the_same_queries_for_3_and_30_of_everything(client, reviewer, editor):
    client.force_login(editor)
    counts = []
    for n in (3, 30):
        claim = make_sentence_claim(make_article_with_sentences(user=reviewer), "18,000 vehicles")
        _grow_claim(claim, n, reviewer)
        counts.append(_queries(client, reverse("claims:claim_detail", args=[claim.pk])))
    assert counts[0] == counts[1], counts
    assert counts[1] <= 14, counts
