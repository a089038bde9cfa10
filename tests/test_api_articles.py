"""Submitting articles through the partner API, safely retried with an Idempotency-Key."""

import pytest

from claims.models import Article
from partners.models import PartnerSubmission
from tests.factories import auth, make_partner

pytestmark = pytest.mark.django_db


def _submit(client, key: str, body: dict, idempotency_key: str | None = None):
    headers = auth(key) | ({"Idempotency-Key": idempotency_key} if idempotency_key else {})
    return client.post("/api/v1/articles/", body, content_type="application/json", headers=headers)


def test_it_accepts_an_article_and_queues_its_pipeline(client, django_capture_on_commit_callbacks):
    partner, key = make_partner()

    with django_capture_on_commit_callbacks() as queued:
        response = _submit(client, key, {"text": "The harbour budget doubled in 2024.", "title": "Budget"})

    assert response.status_code == 202
    body = response.json()
    assert body == {"id": body["id"], "status": "queued", "created": True}
    assert response.headers["Location"] == f"/api/v1/articles/{body['id']}/"
    article = Article.objects.get(pk=body["id"])
    assert (article.input_kind, article.submitted_body, article.title) == (
        "text", "The harbour budget doubled in 2024.", "Budget")  # fmt: skip
    submission = PartnerSubmission.objects.get(article=article)
    assert submission.partner == partner and submission.api_key == partner.api_keys.get()
    assert len(queued) == 1  # process_article, once the row is committed

    status = client.get(response.headers["Location"], headers=auth(key)).json()
    assert status["status"] == "queued" and status["progress"][0]["step"] == "queued"
    assert status["claims"] == []


def test_it_takes_a_url_or_html_too(client, django_capture_on_commit_callbacks):
    _, key = make_partner()
    with django_capture_on_commit_callbacks():
        by_url = _submit(client, key, {"url": "https://harbour.example/budget"}).json()
        by_html = _submit(client, key, {"html": "<p>The budget doubled.</p>"}).json()
    assert Article.objects.get(pk=by_url["id"]).input_kind == "url"
    assert Article.objects.get(pk=by_url["id"]).url == "https://harbour.example/budget"
    assert Article.objects.get(pk=by_html["id"]).input_kind == "html"


def test_it_returns_the_same_article_for_a_repeated_idempotency_key(
    client, django_capture_on_commit_callbacks
):
    partner, key = make_partner()
    other_partner, other_key = make_partner("Valley Courier")
    body = {"url": "https://harbour.example/budget"}

    with django_capture_on_commit_callbacks() as queued:
        first = _submit(client, key, body, idempotency_key="7d5e-retry-1")
        retry = _submit(client, key, body, idempotency_key="7d5e-retry-1")

    assert first.status_code == retry.status_code == 202
    assert retry.json() == {"id": first.json()["id"], "status": "queued", "created": False}
    assert Article.objects.count() == 1 and PartnerSubmission.objects.count() == 1
    assert len(queued) == 1  # the pipeline runs once

    # Keys belong to one partner: another partner's identical key is a different submission.
    with django_capture_on_commit_callbacks():
        theirs = _submit(client, other_key, body, idempotency_key="7d5e-retry-1")
    assert theirs.json()["id"] != first.json()["id"] and theirs.json()["created"] is True

    reused = _submit(client, key, {"url": "https://harbour.example/other"}, idempotency_key="7d5e-retry-1")
    assert reused.status_code == 409
    assert reused.json()["error"]["code"] == "idempotency_conflict"
    assert PartnerSubmission.objects.filter(partner=partner).count() == 1
    assert PartnerSubmission.objects.filter(partner=other_partner).count() == 1


def test_it_explains_what_is_wrong_with_a_submission(client):
    _, key = make_partner()

    nothing = _submit(client, key, {})
    assert nothing.status_code == 400
    assert nothing.json()["error"]["code"] == "invalid"
    assert nothing.json()["error"]["details"] == {
        "non_field_errors": ["Give exactly one of url, html or text."]
    }
    assert _submit(client, key, {"url": "https://a.example/", "text": "Both."}).status_code == 400

    not_http = _submit(client, key, {"url": "file:///etc/passwd"})
    assert not_http.status_code == 400
    assert not_http.json()["error"]["details"] == {"url": ["Enter an http:// or https:// address."]}
    blank = _submit(client, key, {"text": " \n\t "})
    assert blank.status_code == 400 and "text" in blank.json()["error"]["details"]
    not_json = client.post("/api/v1/articles/", "text=hi", content_type="text/plain", headers=auth(key))
    assert not_json.status_code == 415
    assert Article.objects.count() == 0
