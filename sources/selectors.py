"""Reads for sources, shaped for the pages that show them."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.shortcuts import get_object_or_404

from .models import Snapshot, Source, SourceCheck
from .recheck import base_interval


@dataclass(frozen=True)
class SourceCheckHistory:
    source: Source
    # Most recent first. Each row's `unchanged_before` says how many unchanged re-checks preceded it
    # ("unchanged ×12, then changed"); unchanged re-checks themselves write no rows.
    checks: list[SourceCheck]
    unchanged_since_last: int  # unchanged re-checks after the newest row
    last_checked_at: datetime | None
    next_check_at: datetime | None
    interval: timedelta
    backs_verdict: bool
    link_rot_count: int


def source_check_history(source: Source, *, limit: int = 50) -> SourceCheckHistory:
    """Re-check history of one source in two queries (the source row is already loaded)."""
    checks = list(
        SourceCheck.objects.filter(source=source)
        .select_related("snapshot")
        .defer("snapshot__raw_body", "snapshot__text", "snapshot__headers")
        .order_by("-checked_at", "-id")[:limit]
    )
    return SourceCheckHistory(
        source=source,
        checks=checks,
        unchanged_since_last=source.unchanged_checks,
        last_checked_at=source.last_fetched_at,
        next_check_at=source.next_check_at,
        interval=source.check_interval or base_interval(source),
        backs_verdict=source.backs_verdict,
        link_rot_count=source.link_rot_count,
    )


def source_for_view(pk: int) -> Source:
    return get_object_or_404(Source, pk=pk)


def snapshot_for_view(pk: int) -> Snapshot:
    """A snapshot with its source, without the stored raw body (the page shows the extracted text)."""
    return get_object_or_404(Snapshot.objects.select_related("source").defer("raw_body"), pk=pk)
