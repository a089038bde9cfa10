"""Demand: the articles that carried a claim or a confirmed duplicate of it, and the distinct partners
that sent those articles or asked about the claim; shown on the claim and in the API, sorted and filtered
in the queue."""

import pytest
from django.urls import reverse

from claims.models import ClaimLink
from claims.selectors.queue import claim_queue
from claims.services.claims import claim_record_event
from partners.services import partner_label
from tests.factories import auth, make_article, make_claim, make_partner, submitted_by

TEXT = "The harbour tunnel carried 31,000 cars a day in 2025."


def link(a, b, state):
    ClaimLink.objects.create(claim=a, other=b, similarity=0.9, state=state)
    ClaimLink.objects.create(claim=b, other=a, similarity=0.9, state=state)


def via(partner, article):
    article.submitted_via = partner_label(partner)
    article.save(update_fields=["submitted_via"])
    return submitted_by(partner, article)


@pytest.fixture
def carried(db):
    gazette, key = make_partner("Harbour Gazette")
    courier, _ = make_partner("Valley Courier")
    asker, _ = make_partner("Coast Radio")
    first = make_claim(via(gazette, make_article()), TEXT)
    confirmed = make_claim(via(courier, make_article()), TEXT + " (reprint)")
    suggested = make_claim(via(asker, make_article()), TEXT + " (maybe)")
    link(first, confirmed, ClaimLink.State.CONFIRMED)
    link(first, suggested, ClaimLink.State.SUGGESTED)
    lonely = make_claim(make_article(), "Ferry fares rose 12% in May.")
    return {"first": first, "lonely": lonely, "asker": asker, "key": key}


def test_it_counts_articles_and_partners_of_confirmed_duplicates_only(carried, reviewer):
    queue = {claim.pk: claim for claim in claim_queue(user=reviewer)}

    first = queue[carried["first"].pk]
    assert (first.demand_articles, first.demand_partners) == (2, 2)
    assert (queue[carried["lonely"].pk].demand_articles, queue[carried["lonely"].pk].demand_partners) == (
        1,
        0,
    )

    claim_record_event(claim=carried["first"], kind="requested", actor_label=partner_label(carried["asker"]))

    again = claim_queue(user=reviewer).get(pk=carried["first"].pk)
    assert again.demand_partners == 3


def test_the_queue_sorts_and_filters_by_demand(client, reviewer, carried):
    client.force_login(reviewer)

    ordered = list(claim_queue(user=reviewer, sort="-demand").values_list("pk", flat=True))
    filtered = list(claim_queue(user=reviewer, min_partners=2).values_list("pk", flat=True))
    page = client.get(reverse("claims:queue"), {"sort": "-demand", "min_partners": "2"}).content.decode()

    # The two confirmed duplicates carry the same demand (each other's articles); the lonely claim is last.
    assert carried["first"].pk in ordered[:2] and ordered[-1] == carried["lonely"].pk
    assert carried["first"].pk in filtered and carried["lonely"].pk not in filtered
    assert "2 art. · 2 partn." in page and "Ferry fares" not in page


def test_the_claim_page_and_the_api_show_it(client, reviewer, carried):
    client.force_login(reviewer)
    page = client.get(reverse("claims:claim_detail", args=[carried["first"].pk])).content.decode()
    detail = client.get(f"/api/v1/claims/{carried['first'].pk}/", headers=auth(carried["key"])).json()

    assert "demand: 2 articles, 2 partners" in page
    assert detail["demand"] == {"articles": 2, "partners": 2}


@pytest.mark.django_db
def test_a_partner_submission_names_its_sender_on_the_article():
    from partners.services import partner_submit_article

    partner, _ = make_partner("Valley Courier")
    article, created = partner_submit_article(
        partner=partner, api_key=None, text="Ferry fares rose 12% in May."
    )

    assert created and article.submitted_via == f"partner:{partner.pk}"
