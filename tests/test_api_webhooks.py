"""Webhooks: registered through the API, written to the outbox with the change, signed, retried."""

import socket

import pytest
from django.db import transaction

from claims.models import Article, Claim
from claims.services.articles import article_finish
from claims.services.claims import claim_set_verdict
from claims.signals import claim_changed
from partners.models import Webhook, WebhookDelivery
from partners.webhooks import delivery_attempt
from tests.conftest import wait_for
from tests.factories import auth, make_article, make_claim, make_partner, submitted_by
from tests.httpserver import Reply, verify_signature

ALL_EVENTS = ["article.processed", "claim.verdict_set", "claim.verdict_changed", "claim.needs_recheck"]


def _register(client, key: str, url: str, events=ALL_EVENTS, own_only: bool = True):
    return client.post(
        "/api/v1/webhooks/",
        {"url": url, "events": events, "own_submissions_only": own_only},
        content_type="application/json",
        headers=auth(key),
    )


@pytest.mark.django_db
def test_it_refuses_private_and_metadata_webhook_urls(client, settings):
    _, key = make_partner()
    settings.FETCH_ALLOWED_PRIVATE_HOSTS = []
    for url in (
        "http://127.0.0.1:9/hook",
        "http://10.1.2.3/hook",
        "http://0x7f000001/",
        "http://100.64.0.1/",
    ):
        response = _register(client, key, url)
        assert response.status_code == 400, url
        assert response.json()["error"]["code"] == "invalid_webhook_url"
        assert "Refused" in response.json()["error"]["message"]
    assert _register(client, key, "ftp://example.org/").json()["error"]["details"]["url"]
    # Cloud metadata stays refused even under an allow-list broad enough to cover it.
    settings.FETCH_ALLOWED_PRIVATE_HOSTS = ["169.254.0.0/16"]
    assert _register(client, key, "http://169.254.169.254/latest").status_code == 400
    assert not Webhook.objects.exists()


@pytest.mark.django_db
def test_it_manages_webhooks_per_partner(client, receiver):
    _, key = make_partner()
    _, other_key = make_partner("Valley Courier")

    created = _register(client, key, receiver.url("/hook"), events=["claim.verdict_set"])
    assert created.status_code == 201
    body = created.json()
    assert body["secret"].startswith("whsec_") and body["events"] == ["claim.verdict_set"]

    listed = client.get("/api/v1/webhooks/", headers=auth(key)).json()
    assert [w["id"] for w in listed] == [body["id"]] and "secret" not in listed[0]
    detail = client.get(f"/api/v1/webhooks/{body['id']}/", headers=auth(key)).json()
    assert detail["deliveries"] == []
    assert client.get(f"/api/v1/webhooks/{body['id']}/", headers=auth(other_key)).status_code == 404
    assert client.delete(f"/api/v1/webhooks/{body['id']}/", headers=auth(other_key)).status_code == 404
    assert client.delete(f"/api/v1/webhooks/{body['id']}/", headers=auth(key)).status_code == 204
    assert not Webhook.objects.exists()
    bad_event = _register(client, key, receiver.url("/hook"), events=["claim.deleted"])
    assert bad_event.status_code == 400 and "events" in bad_event.json()["error"]["details"]


@pytest.mark.django_db
def test_it_delivers_a_signed_verdict_webhook(client, receiver, reviewer, django_capture_on_commit_callbacks):
    partner, key = make_partner()
    secret = _register(client, key, receiver.url("/hook")).json()["secret"]
    claim = make_claim(submitted_by(partner, make_article()), "Ferry fares rose by 12% last year.")

    with django_capture_on_commit_callbacks(execute=True):
        claim_set_verdict(
            claim=claim, user=reviewer, status="verified", rationale="Fare tables.", expected_version=1
        )

    [(headers, body)] = receiver.received
    payload = verify_signature(secret, headers["x-factcheck-signature"], body)
    assert payload["type"] == "claim.verdict_set" == headers["x-factcheck-event"]
    assert payload["id"] == headers["x-factcheck-delivery"]
    assert payload["data"]["claim"]["id"] == claim.pk
    assert payload["data"]["claim"]["verdict"] == "verified"
    assert "alice" not in body.decode()  # the reviewer stays anonymous
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "delivered" and delivery.response_status == 200 and delivery.attempts == 1
    assert delivery.delivered_at is not None
    # The timestamp is signed too: a captured body and signature replayed under a newer time fail.
    signed_at = int(headers["x-factcheck-signature"].split(",")[0][2:])
    with pytest.raises(AssertionError, match="bad signature"):
        verify_signature(secret, f"t={signed_at + 1},v1={headers['x-factcheck-signature'][-64:]}", body)


@pytest.fixture
def eager_retries():
    """Eager Celery runs a task's retry at once, but only when it does not propagate the Retry."""
    from factcheck.celery import app

    app.conf.task_eager_propagates = False
    try:
        yield
    finally:
        app.conf.task_eager_propagates = True


@pytest.mark.django_db
@pytest.mark.usefixtures("eager_retries")
def test_it_retries_after_a_server_error_and_logs_it(
    client, receiver, reviewer, django_capture_on_commit_callbacks
):
    partner, key = make_partner()
    secret = _register(client, key, receiver.url("/hook")).json()["secret"]
    claim = make_claim(submitted_by(partner, make_article()))
    answers = iter([Reply(500, b"database down"), Reply(200, b"ok")])
    receiver.handle("/hook", lambda request: next(answers))

    # Celery runs eagerly here, so the retry (after backoff in production) runs at once.
    with django_capture_on_commit_callbacks(execute=True):
        claim_set_verdict(claim=claim, user=reviewer, status="disputed", rationale="No.", expected_version=1)

    assert len(receiver.received) == 2
    for headers, body in receiver.received:
        verify_signature(secret, headers["x-factcheck-signature"], body)
    assert receiver.received[0][1] == receiver.received[1][1]  # the same event, sent again
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("delivered", 2, 200)


@pytest.mark.django_db
def test_it_backs_off_then_gives_up(receiver, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    settings.WEBHOOK_RETRY_BASE_SECONDS = 30
    partner, _ = make_partner()
    webhook = Webhook.objects.create(
        partner=partner, url=receiver.url("/hook"), secret="s", events=ALL_EVENTS
    )
    delivery = WebhookDelivery.objects.create(
        webhook=webhook,
        event="claim.verdict_set",
        event_id="6f1c1c1e-0000-4000-8000-000000000001",
        payload={},
    )
    receiver.route("/hook", status=503, body="busy")

    waits = [delivery_attempt(delivery_id=delivery.pk).retry_in for _ in range(3)]

    assert waits == [30, 60, None]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("failed", 3, 503)
    assert "503" in delivery.last_error and "busy" in delivery.last_error
    assert delivery_attempt(delivery_id=delivery.pk) is None  # settled: nothing more is sent
    assert receiver.hits["/hook"] == 3


@pytest.mark.django_db
def test_it_does_not_retry_a_client_error(receiver):
    partner, _ = make_partner()
    webhook = Webhook.objects.create(
        partner=partner, url=receiver.url("/hook"), secret="s", events=ALL_EVENTS
    )
    delivery = WebhookDelivery.objects.create(
        webhook=webhook,
        event="claim.verdict_set",
        event_id="6f1c1c1e-0000-4000-8000-000000000002",
        payload={},
    )
    receiver.route("/hook", status=410, body="gone")

    assert delivery_attempt(delivery_id=delivery.pk).retry_in is None
    delivery.refresh_from_db()
    assert (delivery.status, delivery.response_status) == ("failed", 410)


@pytest.mark.django_db
def test_it_refuses_to_deliver_to_an_address_that_is_not_allowed(receiver, settings):
    partner, _ = make_partner()
    webhook = Webhook.objects.create(
        partner=partner, url=receiver.url("/hook"), secret="s", events=ALL_EVENTS
    )
    delivery = WebhookDelivery.objects.create(
        webhook=webhook,
        event="claim.verdict_set",
        event_id="6f1c1c1e-0000-4000-8000-000000000003",
        payload={},
    )
    settings.FETCH_ALLOWED_PRIVATE_HOSTS = []  # e.g. the URL was saved before the rules tightened

    assert delivery_attempt(delivery_id=delivery.pk).retry_in is None
    delivery.refresh_from_db()
    assert delivery.status == "failed" and "loopback" in delivery.last_error
    assert receiver.hits["/hook"] == 0


def _delivery_to(partner, url: str, event_id: str) -> WebhookDelivery:
    webhook = Webhook.objects.create(partner=partner, url=url, secret="s", events=ALL_EVENTS)
    return WebhookDelivery.objects.create(
        webhook=webhook, event="claim.verdict_set", event_id=event_id, payload={}
    )


@pytest.mark.django_db
def test_it_retries_a_receiver_that_cannot_be_reached_for_now(receiver, local_tls_server, settings, fake_dns):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 30
    settings.WEBHOOK_TOTAL_TIMEOUT = 0.5
    with socket.socket() as probe:  # a port nothing listens on once the probe is closed
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    fake_dns["hooks.example.com"] = "fail"
    dribble = Reply(body=b"x" * 2000, chunked=True, chunk_size=100, chunk_delay=0.2)
    receiver.handle("/slow", lambda request: dribble)
    partner, _ = make_partner()
    deliveries = {
        "refused": _delivery_to(
            partner, f"http://127.0.0.1:{closed}/hook", "6f1c1c1e-0000-4000-8000-000000000011"
        ),
        # A name that does not exist is retried too: a partner's DNS can come back within the budget.
        "no such name": _delivery_to(
            partner, "http://no-such-host.invalid/hook", "6f1c1c1e-0000-4000-8000-000000000012"
        ),
        "resolver down": _delivery_to(
            partner, "http://hooks.example.com/hook", "6f1c1c1e-0000-4000-8000-000000000013"
        ),
        # So is a certificate that does not verify (a fetch gives up on it): the receiver may fix it.
        "bad certificate": _delivery_to(
            partner, local_tls_server.url("/hook"), "6f1c1c1e-0000-4000-8000-000000000015"
        ),
        "past the deadline": _delivery_to(
            partner, receiver.url("/slow"), "6f1c1c1e-0000-4000-8000-000000000014"
        ),
    }

    waits = {name: delivery_attempt(delivery_id=d.pk).retry_in for name, d in deliveries.items()}

    assert waits == dict.fromkeys(deliveries, 30)
    errors = {name: WebhookDelivery.objects.get(pk=d.pk).last_error for name, d in deliveries.items()}
    assert WebhookDelivery.objects.filter(status="pending").count() == 5
    assert errors["refused"] == "Could not connect to 127.0.0.1: Connection refused"
    assert errors["no such name"].startswith("Could not resolve no-such-host.invalid: ")
    assert errors["bad certificate"].startswith(
        "Secure connection to 127.0.0.1 failed: certificate verify failed"
    )
    assert errors["past the deadline"] == f"Gave up on {receiver.url('/slow')}: no full answer within 0.5 s"


@pytest.mark.django_db
def test_it_sends_events_only_to_partners_who_may_see_them(
    client, receiver, reviewer, django_capture_on_commit_callbacks
):
    harbour, harbour_key = make_partner()
    valley, valley_key = make_partner("Valley Courier")
    _register(client, harbour_key, receiver.url("/hook"), own_only=True)
    everything = _register(client, harbour_key, receiver.url("/hook"), own_only=False).json()["id"]
    valley_hook = _register(client, valley_key, receiver.url("/hook")).json()["id"]
    article = submitted_by(valley, make_article())
    open_claim, judged = make_claim(article, "Mine jobs doubled."), make_claim(article, "Mine jobs halved.")

    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():  # as the re-check service will send it
            claim_changed.send(sender=Claim, claim=open_claim, kind="needs_recheck", actor=None)
        claim_set_verdict(
            claim=judged, user=reviewer, status="verified", rationale="Payroll.", expected_version=1
        )
        article_finish(Article.objects.get(pk=article.pk), "Done.")

    sent = {(d.webhook_id, d.event) for d in WebhookDelivery.objects.all()}
    assert sent == {
        (valley_hook, "claim.needs_recheck"),
        (valley_hook, "claim.verdict_set"),
        (valley_hook, "article.processed"),
        # Verdicts are public: a partner who asked for all of them gets this one too...
        (everything, "claim.verdict_set"),
        # ...but never another partner's unreviewed claim or article.
    }
    assert WebhookDelivery.objects.filter(status="delivered").count() == 4


@pytest.mark.django_db
def test_it_writes_no_event_when_the_change_rolls_back(client, receiver, reviewer):
    partner, key = make_partner()
    _register(client, key, receiver.url("/hook"))
    claim = make_claim(submitted_by(partner, make_article()))

    with pytest.raises(RuntimeError):
        with transaction.atomic():
            claim_set_verdict(
                claim=claim, user=reviewer, status="verified", rationale="x", expected_version=1
            )
            assert WebhookDelivery.objects.count() == 1  # written in the same transaction...
            raise RuntimeError("the request failed after the verdict")

    assert WebhookDelivery.objects.count() == 0  # ...and gone with it
    assert receiver.received == []


@pytest.mark.integration
def test_it_delivers_through_a_real_worker(client, receiver, reviewer, celery_worker):
    partner, key = make_partner()
    secret = _register(client, key, receiver.url("/hook"), events=["claim.verdict_set"]).json()["secret"]
    claim = make_claim(submitted_by(partner, make_article()), "Ferry fares rose by 12% last year.")

    claim_set_verdict(
        claim=claim, user=reviewer, status="verified", rationale="Fare tables.", expected_version=1
    )

    assert wait_for(lambda: WebhookDelivery.objects.filter(status="delivered").exists(), timeout=60)
    [(headers, body)] = receiver.received
    assert verify_signature(secret, headers["x-factcheck-signature"], body)["data"]["claim"]["id"] == claim.pk


def test_every_task_names_its_queue_and_the_ones_that_wait_on_other_servers_use_fetch():
    from factcheck.celery import app

    app.loader.import_default_modules()
    ours = {
        name: task
        for name, task in app.tasks.items()
        if name.split(".")[0] in {"claims", "sources", "partners"}
    }
    network = {
        "partners.tasks.deliver_webhook",
        "sources.tasks.fetch_source",
        "sources.tasks.recheck_source",
        "sources.tasks.crawl_feed",
        "claims.tasks.fetch_article",
        "claims.tasks.fetch_claimreview_feed",
    }
    assert network <= set(ours)
    for name in ours:
        # Network-bound work beside the fetchers, away from the CPU-bound nlp queue, and back; routed as
        # apply_async and send_task route it.
        route = app.amqp.router.route({}, name)
        assert route["queue"].name == ("fetch" if name in network else "nlp"), name
