"""Hostile, oversized or unlucky input: a clear 4xx or a stored note, never a 500 or a flood.

Redis being away is real here too: the cache is pointed at a port nothing listens on, which is
exactly what a client sees while the server restarts.
"""

import socket

import pytest
from django.urls import reverse

from claims import pipeline
from claims.models import Article, Claim
from claims.services.articles import article_submit
from tests.factories import auth, make_partner

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_away(settings):
    with socket.socket() as probe:  # a free port: nothing answers on it once the probe is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5},
        }
    }
    return settings


def test_the_api_answers_503_with_retry_after_while_redis_is_away(client, redis_away):
    _, key = make_partner()

    response = client.get("/api/v1/claims/", headers=auth(key))

    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    assert response.json()["error"]["code"] == "service_unavailable"
    submitted = client.post(
        "/api/v1/articles/",
        {"text": "The budget doubled."},
        content_type="application/json",
        headers=auth(key),
    )
    assert submitted.status_code == 503
    assert not Article.objects.exists(), "refused before anything was committed"


def test_the_login_page_says_so_while_redis_is_away(client, reviewer, redis_away):
    response = client.post(reverse("login"), {"username": "alice", "password": "alice-password"})

    assert response.status_code == 503
    assert "briefly unavailable" in response.content.decode()


def test_an_api_body_over_the_limit_gets_413(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100_000
    _, key = make_partner()

    body = '{"text": "' + "x" * 200_000 + '"}'
    response = client.post("/api/v1/articles/", body, content_type="application/json", headers=auth(key))

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert "100,000 bytes" in response.json()["error"]["message"]


def test_login_is_throttled_per_account(client, reviewer, settings):
    settings.LOGIN_THROTTLE_ATTEMPTS = 5
    for _ in range(5):
        wrong = client.post(reverse("login"), {"username": "alice", "password": "guess"})
        assert wrong.status_code == 200 and "Too many" not in wrong.content.decode()

    right = client.post(reverse("login"), {"username": "alice", "password": "alice-password"})

    assert right.status_code == 200, "the right password is refused too, until the window passes"
    assert "Too many failed logins" in right.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_successful_login_clears_the_accounts_count(client, reviewer, settings):
    settings.LOGIN_THROTTLE_ATTEMPTS = 3
    for _ in range(2):
        client.post(reverse("login"), {"username": "alice", "password": "guess"})
    assert (
        client.post(reverse("login"), {"username": "alice", "password": "alice-password"}).status_code == 302
    )
    client.logout()
    for _ in range(2):
        client.post(reverse("login"), {"username": "alice", "password": "guess"})
    assert (
        client.post(reverse("login"), {"username": "alice", "password": "alice-password"}).status_code == 302
    )


def test_repeated_sentences_become_one_claim_and_claims_are_capped(settings):
    settings.PIPELINE_MAX_CLAIMS_PER_ARTICLE = 5
    repeated = "The council spent $4.2 million on road repairs in 2023, the auditor said. "
    distinct = " ".join(
        f"The agency hired {100 + n} inspectors in {2000 + n}, according to its annual report."
        for n in range(12)
    )
    article = article_submit(text=repeated * 200 + distinct)

    pipeline.article_analyse(article.pk)

    article.refresh_from_db()
    claims = list(Claim.objects.filter(article=article))
    assert article.status == Article.Status.DONE
    assert len(claims) == 5
    assert sum("$4.2 million" in claim.text for claim in claims) <= 1
    matching = next(step["message"] for step in article.progress if step["step"] == "matching")
    assert "repeated sentences counted once" in matching
    assert "at most 5 claims for this article" in matching
    assert article.sentences.count() > 200, "every sentence is kept and can be promoted"


def test_text_over_the_limit_is_cut_with_a_note(settings):
    settings.PIPELINE_MAX_TEXT_CHARS = 1000
    text = "The ferry carried 2.1 million passengers in 2024. " * 60  # about 3,000 characters

    article = article_submit(text=text)
    pipeline.article_analyse(article.pk)

    article.refresh_from_db()
    assert len(article.text) <= 1000
    assert any("only the first 1,000 are checked" in step["message"] for step in article.progress)
