"""Every partner list runs the same number of queries whatever the page holds (no N+1)."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from claims.models import Claim
from partners.models import Webhook, WebhookDelivery
from tests.factories import auth, make_article, make_claim, make_evidence, make_partner, submitted_by

pytestmark = pytest.mark.django_db


def _queries(client, url: str, key: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, headers=auth(key))
    assert response.status_code == 200, response.content
    return len(captured)


def _world(n: int, name: str) -> tuple[str, dict[str, str]]:
    """A partner with `n` articles, `n` claims (with verdicts and evidence) and `n` deliveries."""
    partner, key = make_partner(name)
    article = submitted_by(partner, make_article())
    for i in range(n):
        submitted_by(partner, make_article(title=f"Story {i}"))
        claim = make_claim(
            article, f"Claim {i}: unemployment fell to 4.{i}% in March.", status=Claim.Status.VERIFIED
        )
        make_evidence(claim, source_url=f"https://stats.example.org/{i}", confirmed=True)
        make_evidence(article.claims.first(), source_url=f"https://other.example.org/{i}")
    webhook = Webhook.objects.create(partner=partner, url="https://hooks.example/", secret="s", events=["a"])
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(webhook=webhook, event="claim.verdict_set", event_id=uuid.uuid4(), payload={})
        for _ in range(n)
    )
    urls = {
        "claims": "/api/v1/claims/?page_size=50",
        "claims filtered": "/api/v1/claims/?page_size=50&verdict=any&q=unemployment",
        "articles": "/api/v1/articles/?page_size=50",
        "article": f"/api/v1/articles/{article.pk}/",
        "claim": f"/api/v1/claims/{article.claims.first().pk}/",
        "search": "/api/v1/claims/search/?q=unemployment fell&limit=50",
        "webhook": f"/api/v1/webhooks/{webhook.pk}/",
    }
    return key, urls


def test_it_runs_a_fixed_number_of_queries_whatever_the_page_size(client):
    small_key, small = _world(2, "Harbour Gazette")
    large_key, large = _world(20, "Valley Courier")
    # The first request of a key notes its last use (one UPDATE a minute); get that out of the way.
    client.get("/api/v1/claims/", headers=auth(small_key))
    client.get("/api/v1/claims/", headers=auth(large_key))

    counts = {name: (_queries(client, small[name], small_key), _queries(client, large[name], large_key))
              for name in small}  # fmt: skip

    assert all(few == many for few, many in counts.values()), counts
    # The key lookup, then one query a list (more where related rows are prefetched: a claim's evidence
    # and its fact-check library matches).
    assert counts["claims"][0] == 2 and counts["articles"][0] == 2 and counts["claim"][0] == 4
