"""Celery tasks for the article pipeline: ids in, pipeline functions out.

Routing (settings.CELERY_TASK_ROUTES): `fetch_*` tasks go to the `fetch` queue (network-bound),
the rest of `claims.tasks` to `nlp` (CPU-bound).
"""

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from factcheck.queueing import enqueue
from sources.services import SourceError

from . import pipeline
from .models import Article
from .services import article_fail

logger = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=4)
def fetch_article(self, article_id: int) -> None:
    try:
        with pipeline.article_lock(article_id):
            fetched = pipeline.article_fetch(article_id)
    except pipeline.ArticleBusy:
        return  # a duplicate delivery while another worker holds the article
    except SourceError as exc:
        if self.request.retries >= self.max_retries:
            article_fail(Article.objects.get(pk=article_id), f"Gave up fetching: {exc.message}")
            return
        raise self.retry(exc=exc, countdown=min(300, 10 * 2**self.request.retries)) from exc
    if fetched:
        enqueue(analyse_article, article_id)


@shared_task(bind=True)
def analyse_article(self, article_id: int) -> None:
    try:
        with pipeline.article_lock(article_id):
            pipeline.article_analyse(article_id)
    except pipeline.ArticleBusy:
        return
    except SoftTimeLimitExceeded:
        article_fail(Article.objects.get(pk=article_id), "Analysis took too long and was stopped.")
    except Exception:
        # Unexpected: record it for the user, then let Celery log the traceback.
        logger.exception("analysis of article %s failed", article_id)
        article_fail(Article.objects.get(pk=article_id), "An internal error stopped the analysis.")
        raise


@shared_task
def process_article(article_id: int) -> None:
    """Entry point after submission: URL articles are fetched first, others analysed directly."""
    article = Article.objects.only("input_kind", "snapshot_id").get(pk=article_id)
    if article.input_kind == Article.InputKind.URL and not article.snapshot_id:
        enqueue(fetch_article, article_id)
    else:
        enqueue(analyse_article, article_id)


@shared_task
def match_snapshot(snapshot_id: int) -> int:
    """A snapshot was indexed: look in it for evidence for the claims that could use it.

    Returns how many evidence rows were added."""
    from .evidence import snapshot_find_evidence

    return snapshot_find_evidence(snapshot_id=snapshot_id)


@shared_task
def recheck_claims_for_change(source_id: int, old_snapshot_id: int | None, new_snapshot_id: int) -> int:
    """A re-checked source changed: flag the claims whose evidence no longer reads the same."""
    from .recheck import claims_recheck_changed_source

    flagged = claims_recheck_changed_source(
        source_id=source_id, old_snapshot_id=old_snapshot_id, new_snapshot_id=new_snapshot_id
    )
    return len(flagged)


@shared_task
def flag_claims_on_gone_source(source_id: int, reason: str = "") -> int:
    from .recheck import claims_flag_gone_source

    return len(claims_flag_gone_source(source_id=source_id, reason=reason))


# An article that has not moved for this long lost its task (broker restart, worker killed).
STALLED_AFTER_MINUTES = 10
STALLED_BATCH = 100


@shared_task
def requeue_stalled_articles() -> int:
    """Queue again the articles stuck in a pipeline step. Safe because every step is idempotent;
    the article's progress says it happened, and its updated_at moves so the next sweep waits again."""
    from datetime import timedelta

    from django.utils import timezone

    from .services import article_set_status

    cutoff = timezone.now() - timedelta(minutes=STALLED_AFTER_MINUTES)
    unfinished = [status for status in Article.Status.values if status not in {"done", "failed"}]
    stalled = Article.objects.filter(status__in=unfinished, updated_at__lt=cutoff).order_by("updated_at")
    count = 0
    for article in stalled[:STALLED_BATCH]:
        article_set_status(
            article, article.status, f"No progress for {STALLED_AFTER_MINUTES} minutes: queued again."
        )
        enqueue(process_article, article.pk)
        count += 1
    return count
