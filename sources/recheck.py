"""Scheduled re-checks of sources: pick due work safely, fetch cheaply, judge change and link rot.

Flow: `lease_due_sources` leases a batch of due sources (`FOR UPDATE SKIP LOCKED`, then a stamp in
`fetching_since`), `source_recheck` fetches one leased source (conditional GET; change is judged
on the extracted text by `source_fetch`), records the outcome, reschedules it and announces
changes with `sources.signals.snapshot_changed` / `source_gone`. No transaction is held across the
network call. An unchanged re-check writes no history row: it bumps a counter on the source.
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from factcheck.queueing import enqueue

from .http import HttpError
from .models import Snapshot, Source, SourceCheck
from .services import FETCH_LEASE_TTL, SourceError, source_fetch
from .signals import snapshot_changed, source_gone
from .tasks import index_snapshot

# Failures that say the page itself is gone rather than "not now": they count towards `gone`.
GONE_STATUSES = frozenset({404, 410})
# Kinds that are neither link rot nor transient: a robots.txt refusal or a refused address is a
# policy decision, not a dead page. They are recorded and retried on the normal schedule.
POLICY_KINDS = frozenset({"robots", "blocked_address"})
# Transient failures (5xx, timeouts) in a row after which they count as one "persistent error" strike.
PERSISTENT_AFTER = 8


@dataclass(frozen=True)
class RecheckResult:
    source_id: int
    outcome: str  # a SourceCheck.Outcome value, or "skipped" when another worker holds the source
    snapshot_id: int | None = None
    message: str = ""


def _hours(name: str) -> timedelta:
    return timedelta(hours=float(getattr(settings, name)))


def base_interval(source: Source) -> timedelta:
    """Sources a verdict rests on are checked daily by default, the rest weekly."""
    if source.backs_verdict:
        return _hours("RECHECK_VERDICT_INTERVAL_HOURS")
    return _hours("RECHECK_DEFAULT_INTERVAL_HOURS")


def max_interval(source: Source) -> timedelta:
    # A verdict's source never drifts past a week between checks, however stable it looks.
    cap = _hours("RECHECK_MAX_INTERVAL_HOURS")
    return min(cap, timedelta(days=7)) if source.backs_verdict else cap


def jittered(delta: timedelta) -> timedelta:
    """±10 %: sources registered together drift apart instead of hitting a site in one burst."""
    return delta * random.uniform(0.9, 1.1)


def _current_interval(source: Source) -> timedelta:
    return source.check_interval or base_interval(source)


# --- picking due work ----------------------------------------------------------------------------

_DUE_SQL = """
    SELECT id, domain FROM sources_source
    WHERE (next_check_at <= %(now)s OR (next_check_at IS NULL AND last_fetched_at <= %(first)s))
      AND status NOT IN ('gone', 'blocked')
      AND (fetching_since IS NULL OR fetching_since < %(stale)s)
    ORDER BY next_check_at NULLS FIRST, id
    LIMIT %(scan)s
    FOR UPDATE SKIP LOCKED
"""


def _domain_minute_key(domain: str, now: datetime) -> str:
    return f"recheck:minute:{domain}:{now:%Y%m%d%H%M}"


def lease_due_sources(*, limit: int | None = None) -> list[tuple[int, str]]:
    """Claim up to `limit` due sources; return (source id, claim stamp) pairs for the fetch tasks.

    Rows another transaction is looking at are skipped (SKIP LOCKED), and the chosen rows get
    `fetching_since` before commit, so two overlapping beat ticks or workers can never lease the same
    source. Per-domain limits (in flight, started per minute) hold back some due rows; those are
    nudged a couple of minutes later so the next scan sees other domains instead of the same ones.
    """
    limit = limit or int(settings.RECHECK_MAX_PER_RUN)
    per_domain = int(settings.RECHECK_DOMAIN_CONCURRENCY)
    per_minute = int(settings.RECHECK_DOMAIN_PER_MINUTE)
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        # Fetched by the pipeline but never scheduled: first re-check a verdict-interval after the fetch.
        first = now - _hours("RECHECK_VERDICT_INTERVAL_HOURS")
        params = {"now": now, "first": first, "stale": now - FETCH_LEASE_TTL, "scan": limit * 4}
        cursor.execute(_DUE_SQL, params)
        rows = cursor.fetchall()
        if not rows:
            return []
        domains = sorted({domain for _, domain in rows})
        in_flight = dict(
            Source.objects.filter(domain__in=domains, fetching_since__gte=now - FETCH_LEASE_TTL)
            .values_list("domain")
            .annotate(n=Count("id"))
            .values_list("domain", "n")
        )
        minute_keys = {d: _domain_minute_key(d, now) for d in domains}
        started = {d: int(v) for d, v in cache.get_many(list(minute_keys.values())).items()}
        started = {d: started.get(key, 0) for d, key in minute_keys.items()}
        chosen: list[int] = []
        held_back: list[int] = []
        taken: dict[str, int] = {}
        for source_id, domain in rows:
            n = taken.get(domain, 0)
            if (
                len(chosen) < limit
                and in_flight.get(domain, 0) + n < per_domain
                and started[domain] + n < per_minute
            ):
                chosen.append(source_id)
                taken[domain] = n + 1
            elif len(chosen) < limit:
                held_back.append(source_id)
        Source.objects.filter(pk__in=chosen).update(fetching_since=now)
        if held_back:
            Source.objects.filter(pk__in=held_back).update(next_check_at=now + jittered(timedelta(minutes=2)))
    for domain, n in taken.items():
        key = minute_keys[domain]
        cache.add(key, 0, timeout=120)
        try:
            cache.incr(key, n)
        except ValueError:  # evicted (or the cache was flushed) between add and incr
            cache.set(key, n, timeout=120)
    stamp = now.isoformat()
    return [(source_id, stamp) for source_id in chosen]


def _lease_one(source_id: int) -> datetime | None:
    """Claim one source for an operator's `recheck --source` (due or not); None if it is busy."""
    now = timezone.now()
    free = Q(fetching_since__isnull=True) | Q(fetching_since__lt=now - FETCH_LEASE_TTL)
    return now if Source.objects.filter(free, pk=source_id).update(fetching_since=now) == 1 else None


# --- one re-check --------------------------------------------------------------------------------


def source_recheck(source_id: int, *, leased_at: str | None = None) -> RecheckResult:
    """Re-check one source. `leased_at` is the stamp from `lease_due_sources`; without it the
    source is leased here. A stale stamp (the lease expired and someone re-leased it) does nothing."""
    if leased_at is None:
        stamp = _lease_one(source_id)
        if stamp is None:
            return RecheckResult(source_id, "skipped", message="another worker is checking it")
    else:
        stamp = datetime.fromisoformat(leased_at)
        if not Source.objects.filter(pk=source_id, fetching_since=stamp).exists():
            return RecheckResult(source_id, "skipped", message="lease expired or taken over")
    source = Source.objects.get(pk=source_id)
    old_snapshot_id = source.current_snapshot_id
    try:
        outcome = source_fetch(source=source)
    except SourceError as exc:
        cause = exc.__cause__ if isinstance(exc.__cause__, HttpError) else None
        return _record_error(source, exc.message, cause)
    except BaseException:
        Source.objects.filter(pk=source_id, fetching_since=stamp).update(fetching_since=None)
        raise
    snapshot = outcome.snapshot
    # Compare with the snapshot we had, not `outcome.changed`: a page that went back to an older
    # text reuses that older snapshot, and that is a change too.
    if snapshot is None or snapshot.pk == old_snapshot_id:
        return _record_unchanged(source, not_modified=snapshot is None or outcome.document is None)
    return _record_change(source, old_snapshot_id, snapshot)


def _reschedule(source: Source, interval: timedelta, *, delay: timedelta | None = None) -> dict:
    """Fields that release the lease and set the next check."""
    return {
        "fetching_since": None,
        "check_interval": interval,
        "next_check_at": timezone.now() + jittered(delay if delay is not None else interval),
    }


def _record_unchanged(source: Source, *, not_modified: bool) -> RecheckResult:
    interval = min(_current_interval(source) * 2, max_interval(source))
    # One UPDATE, no new row: what keeps an unchanged re-check near zero bytes of growth.
    Source.objects.filter(pk=source.pk).update(
        unchanged_checks=F("unchanged_checks") + 1, link_rot_count=0, **_reschedule(source, interval)
    )
    outcome = SourceCheck.Outcome.NOT_MODIFIED if not_modified else SourceCheck.Outcome.UNCHANGED
    return RecheckResult(source.pk, outcome, source.current_snapshot_id)


def _record_change(source: Source, old_snapshot_id: int | None, snapshot: Snapshot) -> RecheckResult:
    # Changed pages come back sooner: half the base interval, however far it had backed off.
    interval = max(base_interval(source) / 2, timedelta(hours=1))
    now = timezone.now()
    message = f"The text changed ({len(snapshot.text):,} characters now)."
    with transaction.atomic():
        SourceCheck.objects.create(
            source=source,
            checked_at=now,
            outcome=SourceCheck.Outcome.CHANGED,
            http_status=snapshot.http_status,
            message=message,
            snapshot=snapshot,
            unchanged_before=source.unchanged_checks,
        )
        Source.objects.filter(pk=source.pk).update(
            unchanged_checks=0, link_rot_count=0, last_changed_at=now, **_reschedule(source, interval)
        )
        snapshot_changed.send(
            sender=Source, source_id=source.pk, old_snapshot_id=old_snapshot_id, new_snapshot_id=snapshot.pk
        )
        # New text goes through the normal indexing, whose signal re-matches claims (bounded); queued
        # after the receivers' flagging, so claims are flagged against what the verdict rested on.
        enqueue(index_snapshot, snapshot.pk)
    return RecheckResult(source.pk, SourceCheck.Outcome.CHANGED, snapshot.pk, message)


def _record_error(source: Source, message: str, cause: HttpError | None) -> RecheckResult:
    """Count link rot (404/410, DNS, permanent errors, long runs of transient ones) towards gone;
    back off on transient errors without counting them."""
    source.refresh_from_db()  # source_fetch already counted the failure and stored the message
    status = cause.status if cause else None
    kind = cause.kind if cause else "extraction"
    transient = cause is not None and not cause.permanent and kind != "dns"
    interval = _current_interval(source)
    if kind in POLICY_KINDS:
        strike, delay = False, interval
    elif transient:
        # "Persistent errors": a site down for many checks in a row is treated as rot as well.
        strike = source.consecutive_failures >= PERSISTENT_AFTER
        delay = min(interval, timedelta(minutes=30) * 2 ** min(source.consecutive_failures, 10))
    else:  # 404/410, DNS failure, any other permanent error (403, unsupported type, empty text)
        strike = True
        delay = min(interval, timedelta(hours=6) * 2**source.link_rot_count)
    strikes = source.link_rot_count + (1 if strike else 0)
    gone = strikes >= int(settings.RECHECK_GONE_AFTER)
    now = timezone.now()
    with transaction.atomic():
        SourceCheck.objects.create(
            source=source,
            checked_at=now,
            outcome=SourceCheck.Outcome.GONE if gone else SourceCheck.Outcome.ERROR,
            http_status=status,
            message=message[:2000],
            unchanged_before=source.unchanged_checks,
        )
        fields = _reschedule(source, interval, delay=delay)
        if gone:
            fields["status"] = Source.Status.GONE
        Source.objects.filter(pk=source.pk).update(unchanged_checks=0, link_rot_count=strikes, **fields)
        if gone:
            source_gone.send(sender=Source, source_id=source.pk, reason=message)
    outcome = SourceCheck.Outcome.GONE if gone else SourceCheck.Outcome.ERROR
    return RecheckResult(source.pk, outcome, None, message)


# --- scheduling hints from above -------------------------------------------------------------------


def sources_mark_backing_verdict(source_ids: list[int]) -> int:
    """A verdict now rests on these sources: check them on the verdict cadence from now on."""
    if not source_ids:
        return 0
    soon = timezone.now() + jittered(_hours("RECHECK_VERDICT_INTERVAL_HOURS"))
    later = Q(next_check_at__gt=soon) | Q(next_check_at__isnull=True)
    Source.objects.filter(later, pk__in=source_ids).update(next_check_at=soon)
    return Source.objects.filter(pk__in=source_ids, backs_verdict=False).update(
        backs_verdict=True, check_interval=None
    )
