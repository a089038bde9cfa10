"""Sources, the immutable snapshots of what fetching them returned, and the passages cut from those.

`sources` knows nothing of claims: claims point at passages and snapshots, never the reverse.
"""

import zlib
from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models


class Source(models.Model):
    class Status(models.TextChoices):
        NEW = "new", "new"
        OK = "ok", "ok"
        UNCHANGED = "unchanged", "unchanged"
        GONE = "gone", "gone"
        ERROR = "error", "error"
        BLOCKED = "blocked", "blocked"

    class Origin(models.TextChoices):
        ARTICLE = "article", "submitted article"
        ARTICLE_LINK = "article_link", "link in an article"
        REVIEWER = "reviewer", "added by a reviewer"
        PARTNER = "partner", "suggested by a partner"
        FEED = "feed", "reference feed"

    url = models.URLField(max_length=2000, unique=True)
    domain = models.CharField(max_length=255, db_index=True)
    origin = models.CharField(max_length=20, choices=Origin.choices, default=Origin.ARTICLE_LINK)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NEW)
    # Set while a worker holds the row, so two workers never fetch the same source at once.
    fetching_since = models.DateTimeField(null=True, blank=True)
    last_fetched_at = models.DateTimeField(null=True, blank=True)
    next_check_at = models.DateTimeField(null=True, blank=True)
    etag = models.CharField(max_length=500, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    current_snapshot = models.ForeignKey(
        "Snapshot", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Re-check schedule (sources/recheck.py): the current adaptive interval, whether a verdict rests
    # on this source (set by claims), unchanged checks since the last history row (kept as a counter
    # so an unchanged re-check writes no row), and strikes towards "gone" (404/410/DNS/persistent).
    check_interval = models.DurationField(null=True, blank=True)
    backs_verdict = models.BooleanField(default=False)
    unchanged_checks = models.PositiveIntegerField(default=0)
    link_rot_count = models.PositiveSmallIntegerField(default=0)
    last_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["next_check_at"], name="source_next_check_idx"),
            # Tiny: only rows being fetched right now, counted per domain for concurrency limits.
            models.Index(
                fields=["domain"],
                name="source_fetching_domain_idx",
                condition=models.Q(fetching_since__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.url


class Snapshot(models.Model):
    """What one fetch saw. Never updated: a changed page makes a new snapshot."""

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="snapshots")
    fetched_at = models.DateTimeField()
    final_url = models.URLField(max_length=2000, blank=True)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    raw_body = models.BinaryField(help_text="zlib-compressed body as fetched")
    text = models.TextField(blank=True)
    title = models.CharField(max_length=1000, blank=True)
    published_on = models.DateField(null=True, blank=True)
    language = models.CharField(max_length=12, blank=True)
    content_hash = models.CharField(max_length=64, help_text="sha256 of the extracted text")

    class Meta:
        constraints = [
            # Identical content from the same source is stored once.
            models.UniqueConstraint(fields=["source", "content_hash"], name="snapshot_unique_content")
        ]
        indexes = [models.Index(fields=["source", "-fetched_at"], name="snapshot_latest_idx")]

    def __str__(self) -> str:
        return f"{self.source_id}@{self.fetched_at:%Y-%m-%d %H:%M}"

    @staticmethod
    def compress(body: bytes) -> bytes:
        return zlib.compress(body, level=6)

    @property
    def body(self) -> bytes:
        return zlib.decompress(bytes(self.raw_body)) if self.raw_body else b""


class Passage(models.Model):
    """A window of one to three sentences of a snapshot's text, the unit of evidence retrieval.

    An `embedding vector(384)` column is added by migration where pgvector exists; it is not a model
    field so the same code runs on a PostgreSQL without the extension.
    """

    snapshot = models.ForeignKey(Snapshot, on_delete=models.CASCADE, related_name="passages")
    position = models.PositiveIntegerField()
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    text = models.TextField()
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "position"], name="passage_unique_position"),
            models.CheckConstraint(condition=models.Q(end__gt=models.F("start")), name="passage_span"),
        ]
        indexes = [GinIndex(fields=["search_vector"], name="passage_search_gin")]

    def __str__(self) -> str:
        return self.text[:80]


class TermStat(models.Model):
    """How many passages contain each lexeme: the document frequencies behind IDF in passage search.

    Kept up to date incrementally as snapshots are indexed; the row with the empty term holds the
    total number of passages.
    """

    term = models.TextField(primary_key=True)
    ndoc = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.term or '(total)'}: {self.ndoc}"


class SourceCheck(models.Model):
    """One re-check worth remembering: a change, an error, the source going gone.

    Unchanged re-checks write no row (they only bump `Source.unchanged_checks`); the count of them
    that preceded this row is kept in `unchanged_before`, so the history still reads "unchanged ×12,
    then changed" at near-zero storage per unchanged check.
    """

    class Outcome(models.TextChoices):
        UNCHANGED = "unchanged", "unchanged"
        NOT_MODIFIED = "not_modified", "not modified (304)"
        CHANGED = "changed", "changed"
        ERROR = "error", "error"
        GONE = "gone", "gone"

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="checks")
    checked_at = models.DateTimeField()
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    message = models.TextField(blank=True)
    snapshot = models.ForeignKey(Snapshot, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    unchanged_before = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["source", "-checked_at"], name="sourcecheck_latest_idx")]

    def __str__(self) -> str:
        return f"{self.source_id} {self.outcome} at {self.checked_at:%Y-%m-%d %H:%M}"


class Feed(models.Model):
    """A reference feed (RSS, Atom or a sitemap) an editor registered; its new items become sources."""

    class Kind(models.TextChoices):
        AUTO = "auto", "detect on first crawl"
        RSS = "rss", "RSS"
        ATOM = "atom", "Atom"
        SITEMAP = "sitemap", "sitemap"

    url = models.URLField(max_length=2000, unique=True)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.AUTO)
    title = models.CharField(max_length=500, blank=True)
    active = models.BooleanField(default=True)
    interval = models.DurationField(default=timedelta(hours=1))
    last_crawled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    etag = models.CharField(max_length=500, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    items_seen = models.PositiveIntegerField(default=0)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.title or self.url
