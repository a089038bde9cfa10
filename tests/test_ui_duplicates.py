"""Reviewers decide on suggested near-duplicate links; who decided and when is kept, both ways."""

import pytest
from django.urls import reverse

from claims.models import ClaimEvent, ClaimLink

from .factories import make_article_with_sentences, make_bare_claim


@pytest.fixture
def suggested_link(db):
    first = make_bare_claim(
        make_article_with_sentences(title="First"), "Prices rose sharply in May across the region."
    )
    second = make_bare_claim(
        make_article_with_sentences(title="Second"), "Prices rose sharply in May across the region!"
    )
    link = ClaimLink.objects.create(claim=second, other=first, similarity=0.8)
    ClaimLink.objects.create(claim=first, other=second, similarity=0.8)
    return link


def test_it_confirms_a_suggested_duplicate_in_both_directions(client, reviewer, suggested_link):
    client.force_login(reviewer)
    page = client.get(reverse("claims:claim_detail", args=[suggested_link.claim_id]))
    assert b"Same claim" in page.content

    url = reverse("claims:claim_link_decide", args=[suggested_link.claim_id, suggested_link.pk])
    response = client.post(url, {"decision": "confirm"})

    assert response.status_code == 302
    for link in ClaimLink.objects.all():
        assert link.state == ClaimLink.State.CONFIRMED
        assert link.decided_by == reviewer and link.decided_at is not None
    assert ClaimEvent.objects.filter(claim=suggested_link.claim, kind="duplicate_confirmed").exists()


def test_it_hides_a_rejected_duplicate(client, reviewer, suggested_link):
    client.force_login(reviewer)
    url = reverse("claims:claim_link_decide", args=[suggested_link.claim_id, suggested_link.pk])
    client.post(url, {"decision": "reject"})

    assert set(ClaimLink.objects.values_list("state", flat=True)) == {ClaimLink.State.REJECTED}
    page = client.get(reverse("claims:claim_detail", args=[suggested_link.claim_id]))
    assert b"Same claim elsewhere (0)" in page.content


def test_it_refuses_a_link_of_another_claim(client, reviewer, suggested_link):
    client.force_login(reviewer)
    url = reverse("claims:claim_link_decide", args=[suggested_link.other_id, suggested_link.pk])
    assert client.post(url, {"decision": "confirm"}).status_code == 404
