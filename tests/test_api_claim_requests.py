"""`POST /api/v1/claims/requests/`: a partner asks about a text it has not submitted; answered at once,
recorded and subscribed when no verdict matches; told by webhook when a matching claim gets one."""

import pytest

from claims.models import Claim, FactCheck
from claims.services.claims import claim_set_verdict
from partners.models import ClaimRequest, Webhook, WebhookDelivery
from tests.factories import auth, make_article, make_claim, make_partner

URL = "/api/v1/claims/requests/"
ASKED = "The harbour tunnel carries 31,000 cars every day."
CLAIMED = "The harbour tunnel carried 31,000 cars a day in 2025, the roads agency said."


def ask(client, key: str, text: str):
    return client.post(URL, {"text": text}, content_type="application/json", headers=auth(key))


@pytest.mark.django_db
def test_a_matching_verdict_answers_at_once_and_nothing_is_recorded(client, reviewer):
    claim = make_claim(make_article(), CLAIMED, status=Claim.Status.VERIFIED, reviewed_by=reviewer)
    _, key = make_partner()

    response = ask(client, key, "harbour tunnel carried 31,000 cars a day")

    assert response.status_code == 200, response.content
    body = response.json()
    assert [row["id"] for row in body["verdicts"]] == [claim.pk]
    assert body["request"] is None
    assert ClaimRequest.objects.count() == 0


@pytest.mark.django_db
def test_without_a_verdict_the_request_is_recorded_once_with_the_fact_checks_found(client):
    FactCheck.objects.create(
        url="https://checkers.example/tunnel",
        claim_reviewed="The harbour tunnel carries 31,000 cars daily.",
        publisher_name="Harbour Checkers",
        origin="import",
    )
    partner, key = make_partner()

    first = ask(client, key, ASKED)
    again = ask(client, key, ASKED + "  ")

    assert first.status_code == 201, first.content
    body = first.json()
    assert body["verdicts"] == []
    assert [entry["url"] for entry in body["fact_checks"]] == ["https://checkers.example/tunnel"]
    assert body["request"]["subscribed"] is True and body["request"]["text"] == ASKED
    assert again.json()["request"]["id"] == body["request"]["id"]
    assert ClaimRequest.objects.get().partner == partner


@pytest.mark.django_db
def test_it_refuses_an_empty_question(client):
    _, key = make_partner()
    response = client.post(URL, {"text": 7}, content_type="application/json", headers=auth(key))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


@pytest.mark.django_db(transaction=True)
def test_a_verdict_on_a_matching_claim_reaches_the_partner_that_asked(client, reviewer, receiver):
    partner, key = make_partner()
    hook = Webhook.objects.create(
        partner=partner, url=receiver.url("/hook"), secret="s", events=["claim.verdict_set"]
    )
    request_id = ask(client, key, ASKED).json()["request"]["id"]
    matching = make_claim(make_article(), CLAIMED)
    unrelated = make_claim(make_article(), "Ferry fares rose 12% in May, the port authority said.")

    for claim in (unrelated, matching):
        claim_set_verdict(
            claim=claim, user=reviewer, status=Claim.Status.VERIFIED, rationale="Counts agree.",
            expected_version=claim.version,
        )  # fmt: skip

    [delivery] = WebhookDelivery.objects.filter(webhook=hook)
    assert (delivery.event, delivery.status) == ("claim.verdict_set", "delivered")
    assert len(receiver.received) == 1
    assert delivery.payload["data"]["claim"]["id"] == matching.pk
    assert delivery.payload["data"]["request"]["id"] == request_id
    answered = ClaimRequest.objects.get(pk=request_id)
    assert answered.answered_claim == matching and answered.answered_at is not None

    claim_set_verdict(
        claim=matching, user=reviewer, status=Claim.Status.DISPUTED, rationale="New counts.",
        expected_version=Claim.objects.get(pk=matching.pk).version,
    )  # fmt: skip
    assert WebhookDelivery.objects.filter(webhook=hook).count() == 1  # told once
