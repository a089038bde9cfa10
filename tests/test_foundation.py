"""The foundation: settings validation, the health check, a real worker running the pipeline."""

import os
import subprocess
import sys

import pytest
from django.urls import reverse

from claims.models import Article, Claim, ClaimEvent
from claims.services.articles import article_submit

from .conftest import BASE_DIR, wait_for

ARTICLE_TEXT = (
    "Harbour City Opens New Water Plant\n\n"
    "The Harbour City water authority opened a treatment plant on Monday that can process "
    "120 million litres a day, according to the authority's chief engineer.\n\n"
    "The plant cost $310 million, up from an estimate of $240 million in 2021, the city's "
    "auditor said in a report published last week.\n\n"
    "I think it looks lovely from the river."
)


def _settings_error(**env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    clean.update(env)
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={**clean, "DJANGO_SETTINGS_MODULE": "factcheck.settings"},
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    return result.stderr


def test_it_refuses_to_start_without_a_database_url():
    assert "DATABASE_URL is required" in _settings_error(REDIS_URL="redis://127.0.0.1:6379/0")


def test_it_refuses_a_database_other_than_postgresql():
    stderr = _settings_error(DATABASE_URL="sqlite:///x.db", REDIS_URL="redis://127.0.0.1:6379/0")
    assert "must point at PostgreSQL" in stderr


def test_it_refuses_nonsense_in_numeric_settings():
    stderr = _settings_error(
        DATABASE_URL="postgresql://postgres@127.0.0.1/x",
        REDIS_URL="redis://127.0.0.1:6379/0",
        FETCH_MAX_BYTES="lots",
    )
    assert "FETCH_MAX_BYTES='lots' is not an integer" in stderr


def test_it_refuses_to_run_in_production_without_a_secret_key():
    stderr = _settings_error(
        DATABASE_URL="postgresql://postgres@127.0.0.1/x",
        REDIS_URL="redis://127.0.0.1:6379/0",
        FACTCHECK_DEV="false",
        SECRET_KEY="",
    )
    assert "SECRET_KEY is required" in stderr


@pytest.mark.django_db
def test_it_requires_login_everywhere_but_login_and_health(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert client.get("/accounts/login/").status_code == 200


@pytest.mark.django_db
def test_it_sends_a_content_security_policy_without_inline_scripts(client, reviewer):
    client.force_login(reviewer)
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy


@pytest.mark.django_db
def test_it_reports_health_degraded_when_no_worker_answers(client):
    response = client.get(reverse("healthz"))
    body = response.json()
    assert body["database"]["ok"] is True
    assert body["redis"]["ok"] is True
    # No worker runs in a unit test: the check must say so rather than pretend.
    assert response.status_code == 503
    assert body["workers"]["ok"] is False


@pytest.mark.integration
def test_it_reports_healthy_with_a_worker(client, celery_worker, settings):
    settings.HEALTH_TOKEN = "monitoring-token"
    response = client.get(reverse("healthz"))
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    # Anyone learns up or down; only monitoring (or staff) sees worker names and error texts.
    assert body["workers"] == {"ok": True, "count": 1}
    detailed = client.get(reverse("healthz"), headers={"Authorization": "Bearer monitoring-token"}).json()
    assert any("nlp" in queues for queues in detailed["workers"]["workers"].values())
    assert client.get(reverse("healthz"), headers={"Authorization": "Bearer wrong"}).json()["workers"] == {
        "ok": True,
        "count": 1,
    }


@pytest.mark.integration
def test_it_runs_a_submitted_article_on_a_real_worker(celery_worker, reviewer):
    article = article_submit(text=ARTICLE_TEXT, user=reviewer)

    assert wait_for(lambda: Article.objects.get(pk=article.pk).status in {"done", "failed"})
    article.refresh_from_db()
    assert article.status == Article.Status.DONE, article.error
    steps = [entry["step"] for entry in article.progress]
    assert steps[0] == "queued" and "scoring" in steps and steps[-1] == "done"
    claim_texts = list(Claim.objects.filter(article=article).values_list("text", flat=True))
    assert any("120 million litres" in text for text in claim_texts)
    assert not any("looks lovely" in text for text in claim_texts)
    assert ClaimEvent.objects.filter(claim__article=article, kind="created").count() == len(claim_texts)


@pytest.mark.django_db
def test_it_creates_no_duplicate_claims_when_the_pipeline_runs_twice(reviewer):
    from claims import pipeline

    article = article_submit(text=ARTICLE_TEXT, user=reviewer)
    pipeline.article_analyse(article.pk)
    first = set(Claim.objects.filter(article=article).values_list("id", flat=True))
    # A redelivered task after the article was reset mid-way must not duplicate anything.
    Article.objects.filter(pk=article.pk).update(status=Article.Status.SCORING)
    pipeline.article_analyse(article.pk)
    assert set(Claim.objects.filter(article=article).values_list("id", flat=True)) == first
    assert first


@pytest.mark.django_db
def test_it_requeues_an_article_whose_task_was_lost(reviewer, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    from claims.tasks import requeue_stalled_articles

    # Both queue their task on commit, which never comes inside the test's transaction: lost.
    lost = article_submit(text=ARTICLE_TEXT, user=reviewer)
    fresh = article_submit(text=ARTICLE_TEXT + " Again.", user=reviewer)
    Article.objects.filter(pk=lost.pk).update(updated_at=timezone.now() - timedelta(minutes=30))

    with django_capture_on_commit_callbacks(execute=True):  # Celery runs eagerly in unit tests
        assert requeue_stalled_articles() == 1
    lost.refresh_from_db()
    fresh.refresh_from_db()
    assert lost.status == Article.Status.DONE
    assert any("queued again" in step["message"] for step in lost.progress)
    assert fresh.status == Article.Status.QUEUED  # not stalled yet: left alone


@pytest.mark.django_db
def test_it_requeues_a_step_only_when_no_live_run_holds_the_article(
    reviewer, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    from claims import pipeline
    from claims.tasks import requeue_stalled_articles

    held = article_submit(text=ARTICLE_TEXT, user=reviewer)
    orphan = article_submit(text=ARTICLE_TEXT + " Again.", user=reviewer)
    two_minutes_ago = timezone.now() - timedelta(minutes=2)
    Article.objects.filter(pk__in=[held.pk, orphan.pk]).update(status="matching", updated_at=two_minutes_ago)

    with pipeline.article_lock(held.pk):  # a live run, renewing its lock
        with django_capture_on_commit_callbacks(execute=True):
            assert requeue_stalled_articles() == 1

    held.refresh_from_db()
    orphan.refresh_from_db()
    assert held.status == "matching", "slow, not lost: left to the run that holds it"
    assert orphan.status == Article.Status.DONE, "nobody held it: its run died, so it was run again"
    assert not pipeline.article_is_locked(held.pk), "the lock is given back when the run ends"
