"""Writes for sources: register a URL, fetch it safely, keep an immutable snapshot of what came back.

The network call never runs inside a database transaction: the row is claimed first, the fetch runs,
then the outcome is recorded with targeted updates.
"""

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

from django.db import IntegrityError, transaction
from django.utils import timezone

from .extraction import ExtractedDocument, extract_html
from .fetching import FetchResult, fetch
from .http import HttpError
from .models import Snapshot, Source

# A claim on a source older than this is considered abandoned (worker killed mid-fetch).
FETCH_LEASE_TTL = timedelta(minutes=10)


class SourceError(Exception):
    """A source could not be turned into a snapshot; `message` is shown to the user."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent


@dataclass(frozen=True)
class FetchOutcome:
    source: Source
    snapshot: Snapshot | None
    document: ExtractedDocument | None
    changed: bool


def normalise_url(url: str) -> str:
    """Lower-case scheme and host, drop the fragment: one page, one Source row."""
    parts = urlsplit(url.strip())
    path = parts.path or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, ""))


def source_get_or_create(*, url: str, origin: str = Source.Origin.ARTICLE_LINK) -> Source:
    url = normalise_url(url)
    source, _ = Source.objects.get_or_create(
        url=url, defaults={"domain": urlsplit(url).hostname or "", "origin": origin}
    )
    return source


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def snapshot_record(
    *, source: Source, result: FetchResult | None, document: ExtractedDocument, raw_body: bytes
) -> tuple[Snapshot, bool]:
    """Store what a fetch saw unless identical text is already stored. Returns (snapshot, created)."""
    digest = text_hash(document.text)
    existing = Snapshot.objects.filter(source=source, content_hash=digest).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            snapshot = Snapshot.objects.create(
                source=source,
                fetched_at=timezone.now(),
                final_url=result.url if result else source.url,
                http_status=result.status if result else None,
                content_type=result.content_type if result else "text/html",
                headers=dict(result.headers) if result else {},
                raw_body=Snapshot.compress(raw_body),
                text=document.text,
                title=document.title[:1000],
                published_on=document.published,
                language=document.language,
                content_hash=digest,
            )
    except IntegrityError:
        # Another worker stored the same content a moment ago: theirs is as good as ours.
        return Snapshot.objects.get(source=source, content_hash=digest), False
    return snapshot, True


def source_fetch(*, source: Source, respect_robots: bool = True) -> FetchOutcome:
    """Fetch a source now (conditional GET when we have validators) and snapshot changed content.

    Raises SourceError for anything that yields no usable text; the error is also stored on the row.
    """
    now = timezone.now()
    try:
        result = fetch(
            source.url,
            etag=source.etag or None,
            last_modified=source.last_modified or None,
            respect_robots=respect_robots,
        )
    except HttpError as exc:
        _record_failure(
            source, exc.message, blocked=exc.permanent and exc.kind in {"blocked_address", "robots"}
        )
        raise SourceError(exc.message, permanent=exc.permanent) from exc

    if result.not_modified:
        Source.objects.filter(pk=source.pk).update(
            status=Source.Status.UNCHANGED,
            last_fetched_at=now,
            consecutive_failures=0,
            last_error="",
        )
        source.refresh_from_db()
        return FetchOutcome(source=source, snapshot=source.current_snapshot, document=None, changed=False)

    if result.content_type == "text/plain":
        from .extraction import clean_pasted_text

        document = clean_pasted_text(result.text)
    else:
        document = extract_html(result.text, url=result.url)
    if not document.text.strip():
        message = "The page was fetched but no main text could be extracted from it."
        _record_failure(source, message, blocked=False)
        raise SourceError(message, permanent=True)

    snapshot, created = snapshot_record(source=source, result=result, document=document, raw_body=result.body)
    Source.objects.filter(pk=source.pk).update(
        status=Source.Status.OK if created else Source.Status.UNCHANGED,
        last_fetched_at=now,
        consecutive_failures=0,
        last_error="",
        etag=(result.etag or "")[:500],
        last_modified=(result.last_modified or "")[:100],
        current_snapshot=snapshot,
    )
    source.refresh_from_db()
    return FetchOutcome(source=source, snapshot=snapshot, document=document, changed=created)


def _record_failure(source: Source, message: str, *, blocked: bool) -> None:
    from django.db.models import F

    Source.objects.filter(pk=source.pk).update(
        status=Source.Status.BLOCKED if blocked else Source.Status.ERROR,
        last_fetched_at=timezone.now(),
        consecutive_failures=F("consecutive_failures") + 1,
        last_error=message[:2000],
    )
    source.refresh_from_db()
