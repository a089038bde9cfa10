"""Celery tasks for the article pipeline: ids in, pipeline functions out.

Queues (settings.CELERY_TASK_ROUTES): `fetch_article` waits on another server (`fetch`); the rest is
CPU-bound (`nlp`).
"""

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from claims.services.articles import article_fail
from factcheck.queueing import enqueue
from factcheck.taskbase import RETRY_BACKOFF_MAX_SECONDS, is_transient, retry_when_busy
from sources.services import SourceError

from . import pipeline
from .models import Article
from .taskbase import ArticleTask

logger = logging.getLogger(__name__)


@shared_task(bind=True, base=ArticleTask, max_retries=4)
def fetch_article(self, article_id: int) -> None:
    try:
        with pipeline.article_lock(article_id):
            fetched = pipeline.article_fetch(article_id)
    except pipeline.ArticleBusy:
        return retry_when_busy(self)
    except SoftTimeLimitExceeded:
        article_fail(
            Article.objects.get(pk=article_id), "Fetching the article took too long and was stopped."
        )
        return None
    except SourceError as exc:
        if self.request.retries >= self.max_retries:
            article_fail(Article.objects.get(pk=article_id), f"Gave up fetching: {exc.message}")
            return None
        countdown = min(RETRY_BACKOFF_MAX_SECONDS, 10 * 2**self.request.retries)
        raise self.retry(exc=exc, countdown=countdown) from exc
    if fetched:
        enqueue(analyse_article, article_id)
    return None


@shared_task(bind=True, base=ArticleTask)
def analyse_article(self, article_id: int) -> None:
    try:
        with pipeline.article_lock(article_id), pipeline.worker_deaths_counted(article_id):
            pipeline.article_analyse(article_id)
    except pipeline.ArticleBusy:
        return retry_when_busy(self)
    except pipeline.ArticleKillsWorkers:
        article_fail(
            Article.objects.get(pk=article_id),
            f"The analysis stopped its worker process {pipeline.MAX_WORKER_DEATHS} times "
            "(too large, or too slow to finish within the time limit), so it was given up.",
        )
    except SoftTimeLimitExceeded:
        article_fail(Article.objects.get(pk=article_id), "Analysis took too long and was stopped.")
    except Exception as exc:
        if not is_transient(exc):  # transient ones are retried (WorkbenchTask); nothing is final yet
            logger.exception("analysis of article %s failed", article_id)
        raise
    return None


@shared_task(base=ArticleTask)
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
    from claims.services.evidence import snapshot_find_evidence

    return snapshot_find_evidence(snapshot_id=snapshot_id)


@shared_task
def recheck_claims_for_change(source_id: int, old_snapshot_id: int | None, new_snapshot_id: int) -> int:
    """A re-checked source changed: flag the claims whose evidence no longer reads the same."""
    from claims.services.recheck import claims_recheck_changed_source

    flagged = claims_recheck_changed_source(
        source_id=source_id, old_snapshot_id=old_snapshot_id, new_snapshot_id=new_snapshot_id
    )
    return len(flagged)


@shared_task
def flag_claims_on_gone_source(source_id: int, reason: str = "") -> int:
    from claims.services.recheck import claims_flag_gone_source

    return len(claims_flag_gone_source(source_id=source_id, reason=reason))


# The stalled-work sweep. An unfinished article is re-queued when nobody holds its lock (no run is
# alive: locks are renewed every few seconds by their holder) and it has not moved for a while:
# - a step between extracting and matching: a minute, longer than one step's hand-over to the next;
# - fetching: four minutes, longer than a fetch retry's countdown, so retries are not doubled;
# - queued: ten minutes, as it may simply be waiting behind a backlog; a minute right after a
#   worker started (its predecessor may have taken messages with it).
# Re-queuing is always safe (every step is idempotent); these delays only keep it from being wasteful.
STALLED_STEP_SECONDS = 60
STALLED_FETCH_SECONDS = 4 * 60
STALLED_QUEUED_SECONDS = 10 * 60
STALLED_BATCH = 100


@shared_task
def requeue_stalled_articles(after_worker_start: bool = False) -> int:
    """Queue again the articles whose work was lost (a killed worker, a broker restart).

    Beat runs it every two minutes, and every worker shortly after it starts (factcheck/celery.py),
    so lost work comes back even where beat is not running. Returns how many were re-queued."""
    from datetime import timedelta

    from django.db.models import Q
    from django.utils import timezone

    from claims.services.articles import article_set_status

    now = timezone.now()
    steps = [Article.Status.EXTRACTING, Article.Status.SCORING, Article.Status.MATCHING]
    queued_after = STALLED_STEP_SECONDS if after_worker_start else STALLED_QUEUED_SECONDS
    candidates = Article.objects.filter(
        Q(status__in=steps, updated_at__lt=now - timedelta(seconds=STALLED_STEP_SECONDS))
        | Q(status=Article.Status.FETCHING, updated_at__lt=now - timedelta(seconds=STALLED_FETCH_SECONDS))
        | Q(status=Article.Status.QUEUED, updated_at__lt=now - timedelta(seconds=queued_after))
    ).order_by("updated_at")
    count = 0
    for article in candidates[: STALLED_BATCH * 2]:
        if count >= STALLED_BATCH:
            break
        if pipeline.article_is_locked(article.pk):
            continue  # a live run holds it: slow, not lost
        article_set_status(article, article.status, "No progress for a while: queued again.")
        enqueue(process_article, article.pk)
        count += 1
    return count


@shared_task
def embed_fact_checks(fact_check_ids: list[int]) -> int:
    """New library entries (our verdicts, feed items): vectors, then open claims matched to them."""
    from claims.services.factchecks import factchecks_embed, factchecks_library_grew

    embedded = factchecks_embed(fact_check_ids)
    factchecks_library_grew(fact_check_ids)
    return embedded


@shared_task
def match_open_claims_to_fact_checks(fact_check_ids: list[int]) -> int:
    """The library grew by these entries: suggest them for the open claims they match."""
    from claims.services.factchecks import open_claims_match_factchecks

    return open_claims_match_factchecks(fact_check_ids=fact_check_ids)


@shared_task
def match_claims_to_fact_checks(claim_ids: list[int]) -> int:
    """Claims made outside the pipeline (a promoted sentence): library entries suggested for them."""
    from claims.models import Claim
    from claims.services.factchecks import claims_match_factchecks

    return claims_match_factchecks(
        list(Claim.objects.filter(pk__in=claim_ids).only("pk", "text", "article_id"))
    )


@shared_task
def crawl_claimreview_feeds() -> int:
    """Beat entry point: queue a fetch of every active ClaimReview feed whose interval has passed."""
    from claims.services.factchecks import claimreview_feeds_lease_due

    feed_ids = claimreview_feeds_lease_due()
    for feed_id in feed_ids:
        enqueue(fetch_claimreview_feed, feed_id)
    return len(feed_ids)


@shared_task(bind=True, max_retries=4)
def fetch_claimreview_feed(self, feed_id: int) -> int:
    """Fetch one ClaimReview feed and import it; transient fetch failures retry with backoff."""
    from claims.services.factchecks import claimreview_feed_fetch
    from sources.http import HttpError

    try:
        report = claimreview_feed_fetch(feed_id)
    except HttpError as exc:
        countdown = min(RETRY_BACKOFF_MAX_SECONDS, 30 * 2**self.request.retries)
        raise self.retry(exc=exc, countdown=countdown) from exc
    return 0 if report is None else report.new + report.updated
