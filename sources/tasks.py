"""Celery tasks for sources. Queues (settings.CELERY_TASK_ROUTES): `fetch` for the ones that wait on other
servers, `nlp` for indexing (CPU-bound); the beat entry points only select work and send it on."""

from celery import shared_task

from factcheck.locks import LockBusy, renewed_lock
from factcheck.queueing import enqueue
from factcheck.taskbase import RETRY_BACKOFF_MAX_SECONDS

from .models import Snapshot, Source
from .passages import snapshot_index
from .services import SourceError, source_fetch
from .signals import snapshot_indexed


@shared_task(bind=True, max_retries=3)
def fetch_source(self, source_id: int) -> None:
    """Fetch a source, then index what it holds now.

    The index step runs even when the text did not change: a claim linked to this source since the
    last fetch (another article linking the same page, a reviewer adding it) must still be matched
    against it, and indexing an already indexed snapshot costs one query before the announcement.
    """
    # One fetch per source at a time across all workers; a duplicate delivery just returns (the
    # holder's index step matches every claim linked by then).
    try:
        with renewed_lock(f"fetch:source:{source_id}"):
            outcome = source_fetch(source=Source.objects.get(pk=source_id))
    except LockBusy:
        return
    except SourceError as exc:
        if not exc.permanent and self.request.retries < self.max_retries:
            countdown = min(RETRY_BACKOFF_MAX_SECONDS, 30 * 2**self.request.retries)
            raise self.retry(exc=exc, countdown=countdown) from exc
        return
    if outcome.snapshot is not None:
        enqueue(index_snapshot, outcome.snapshot.pk)


@shared_task
def index_snapshot(snapshot_id: int) -> None:
    """Cut and index a snapshot's passages (idempotent), then announce it so claims are matched."""
    snapshot_index(Snapshot.objects.get(pk=snapshot_id))
    snapshot_indexed.send(sender=Snapshot, snapshot_id=snapshot_id)


# --- scheduled re-checks and feeds (the beat entry points select; the fetching runs on `fetch`) ---


@shared_task
def recheck_due(limit: int | None = None) -> int:
    """Beat entry point: lease a batch of due sources and queue one fetch task per source."""
    from .recheck import lease_due_sources

    leased = lease_due_sources(limit=limit)
    for source_id, stamp in leased:
        recheck_source.delay(source_id, stamp)
    return len(leased)


@shared_task(acks_late=True)
def recheck_source(source_id: int, leased_at: str | None = None) -> str:
    from .recheck import source_recheck

    return source_recheck(source_id, leased_at=leased_at).outcome


@shared_task
def crawl_feeds() -> int:
    """Beat entry point: queue a crawl of every active feed whose interval has passed."""
    from .feeds import feeds_lease_due

    feed_ids = feeds_lease_due()
    for feed_id in feed_ids:
        crawl_feed.delay(feed_id)
    return len(feed_ids)


@shared_task
def crawl_feed(feed_id: int) -> int:
    from .feeds import feed_crawl

    return feed_crawl(feed_id).created
