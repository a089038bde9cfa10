"""Articles, the sentences and claims found in them, evidence, and the audit trail of every change.

State changes go through `claims.services`; models hold data and constraints only.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models.functions import Upper


class Article(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "queued"
        FETCHING = "fetching", "fetching"
        EXTRACTING = "extracting", "extracting"
        SCORING = "scoring", "scoring"
        MATCHING = "matching", "matching"
        DONE = "done", "done"
        FAILED = "failed", "failed"

    class InputKind(models.TextChoices):
        URL = "url", "URL"
        HTML = "html", "HTML"
        TEXT = "text", "pasted text"

    input_kind = models.CharField(max_length=8, choices=InputKind.choices)
    url = models.URLField(max_length=2000, blank=True)
    # What the user gave us (pasted text or HTML), kept so a failed run can be retried as it was.
    submitted_body = models.TextField(blank=True)
    source = models.ForeignKey(
        "sources.Source", null=True, blank=True, on_delete=models.SET_NULL, related_name="articles"
    )
    snapshot = models.ForeignKey(
        "sources.Snapshot", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(max_length=1000, blank=True)
    byline = models.CharField(max_length=500, blank=True)
    site_name = models.CharField(max_length=300, blank=True)
    canonical_url = models.URLField(max_length=2000, blank=True)
    published_on = models.DateField(null=True, blank=True)
    text = models.TextField(blank=True)
    language = models.CharField(max_length=12, blank=True)
    outbound_links = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    # Human-readable progress and notes ("12 sentences scored", "claim scoring is English-only").
    progress = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Who sent it when not a user, as an opaque label ("partner:<id>"): distinct senders count as demand.
    submitted_via = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "-created_at"], name="article_status_idx")]

    def __str__(self) -> str:
        return self.title or self.url or f"Article {self.pk}"


class Sentence(models.Model):
    """Every sentence of an article with its check-worthiness, so a reviewer can promote any of them."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="sentences")
    position = models.PositiveIntegerField()
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    text = models.TextField()
    score = models.FloatField()
    features = models.JSONField(default=dict)
    reasons = models.JSONField(default=list)

    class Meta:
        ordering = ["article", "position"]
        constraints = [
            models.UniqueConstraint(fields=["article", "position"], name="sentence_unique_position")
        ]

    def __str__(self) -> str:
        return self.text[:80]


class Claim(models.Model):
    class Status(models.TextChoices):
        UNREVIEWED = "unreviewed", "unreviewed"
        IN_REVIEW = "in_review", "in review"
        VERIFIED = "verified", "verified"
        DISPUTED = "disputed", "disputed"
        DISMISSED = "dismissed", "dismissed"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="claims")
    sentence = models.OneToOneField(
        Sentence, null=True, blank=True, on_delete=models.SET_NULL, related_name="claim"
    )
    text = models.TextField()
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    score = models.FloatField()
    features = models.JSONField(default=dict, blank=True)
    reasons = models.JSONField(default=list, blank=True)
    quantities = models.JSONField(default=list, blank=True)
    dates = models.JSONField(default=list, blank=True)
    entities = models.JSONField(default=list, blank=True)
    # Normalised text hash: exact duplicates across articles are found with one index lookup.
    fingerprint = models.CharField(max_length=64, db_index=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.UNREVIEWED)
    rationale = models.TextField(blank=True)
    rating_label = models.CharField(max_length=100, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_claims",
    )
    # Why the machine found no evidence, when it found none ("no usable terms", ...).
    evidence_note = models.CharField(max_length=300, blank=True)
    needs_recheck = models.BooleanField(default=False)
    recheck_reason = models.TextField(blank=True)
    # Optimistic locking: every write bumps it; a write that expects an older version is refused.
    version = models.PositiveIntegerField(default=1)
    promoted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # The pipeline may run twice on one article (retry, redelivery): never two claims per span.
            models.UniqueConstraint(fields=["article", "start", "end"], name="claim_unique_span"),
            models.CheckConstraint(condition=models.Q(end__gt=models.F("start")), name="claim_span"),
            models.CheckConstraint(
                condition=~models.Q(status__in=["verified", "disputed"]) | ~models.Q(rationale=""),
                name="claim_verdict_has_rationale",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-updated_at"], name="claim_status_idx"),
            # The API's claim list walks claims newest-change first (cursor pagination on these two).
            models.Index(fields=["-updated_at", "-id"], name="claim_updated_idx"),
            models.Index(
                fields=["needs_recheck"],
                name="claim_needs_recheck_idx",
                condition=models.Q(needs_recheck=True),
            ),
            # Trigram index for near-duplicate claim matching and queue text search.
            GinIndex(OpClass(Upper("text"), name="gin_trgm_ops"), name="claim_text_trgm"),
        ]

    def __str__(self) -> str:
        return self.text[:80]

    @property
    def has_verdict(self) -> bool:
        return self.status in {self.Status.VERIFIED, self.Status.DISPUTED}


class ClaimLink(models.Model):
    """A near-duplicate relation between two claims, suggested by the machine or confirmed by a person."""

    class State(models.TextChoices):
        SUGGESTED = "suggested", "suggested"
        CONFIRMED = "confirmed", "confirmed"
        REJECTED = "rejected", "rejected"

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="links")
    other = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="+")
    similarity = models.FloatField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.SUGGESTED)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["claim", "other"], name="claimlink_unique_pair"),
            models.CheckConstraint(condition=~models.Q(claim=models.F("other")), name="claimlink_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.claim_id} ~ {self.other_id} ({self.state})"


class ClaimSource(models.Model):
    """A source that should be read for this claim, and who said so.

    Matching a new snapshot starts from these rows: when a source's snapshot is indexed, every claim
    linked to the source is matched against its passages (claims/tasks.py `match_snapshot`).
    """

    class Origin(models.TextChoices):
        ARTICLE_LINK = "article_link", "link in the claim's article"
        REVIEWER = "reviewer", "added by a reviewer"
        PARTNER = "partner", "suggested by a partner"
        FEED = "feed", "reference feed"

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="source_links")
    source = models.ForeignKey("sources.Source", on_delete=models.CASCADE, related_name="claim_links")
    origin = models.CharField(max_length=20, choices=Origin.choices)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Who, when it was not a user: "pipeline", "partner:<name>", "feed".
    added_by_label = models.CharField(max_length=200, blank=True)
    added_at = models.DateTimeField(auto_now_add=True)
    # When a snapshot of the source was last matched against the claim: until then the claim page
    # shows the source as still on its way.
    matched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["claim", "source"], name="claimsource_unique_pair"),
        ]
        # The unique index serves "sources of a claim"; this one serves "claims of a source".
        indexes = [models.Index(fields=["source", "claim"], name="claimsource_source_idx")]

    def __str__(self) -> str:
        return f"claim {self.claim_id} ← source {self.source_id} ({self.origin})"


class Stance(models.TextChoices):
    SUPPORTS = "supports", "supports"
    REFUTES = "refutes", "refutes"
    UNRELATED = "unrelated", "unrelated"
    UNCLEAR = "unclear", "unclear"


class Evidence(models.Model):
    class Origin(models.TextChoices):
        MACHINE = "machine", "machine"
        REVIEWER = "reviewer", "reviewer"
        PARTNER = "partner", "partner"

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="evidence")
    passage = models.ForeignKey("sources.Passage", on_delete=models.PROTECT, related_name="+")
    # The snapshot the reviewer saw: a re-fetched page never changes what a verdict rested on.
    snapshot = models.ForeignKey("sources.Snapshot", on_delete=models.PROTECT, related_name="+")
    score = models.FloatField()
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.MACHINE)
    suggested_stance = models.CharField(max_length=10, choices=Stance.choices, default=Stance.UNCLEAR)
    stance_reason = models.CharField(max_length=300, blank=True)
    confirmed_stance = models.CharField(max_length=10, choices=Stance.choices, blank=True)
    is_confirmed = models.BooleanField(default=False)
    is_rejected = models.BooleanField(default=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["claim", "passage"], name="evidence_unique_passage"),
            # One undecided suggestion per claim and snapshot, even when two workers match the same claim
            # at once (the code also skips snapshots a claim already has evidence from). Decided rows
            # are left out of it: duplicates decided before this existed keep their decisions.
            models.UniqueConstraint(
                fields=["claim", "snapshot"],
                condition=models.Q(is_confirmed=False, is_rejected=False),
                name="evidence_one_open_per_snapshot",
            ),
        ]
        ordering = ["-score"]

    def __str__(self) -> str:
        return f"evidence {self.pk} for claim {self.claim_id}"


class ClaimEvent(models.Model):
    """Append-only audit of everything that happens to a claim."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # "system", "pipeline", "partner:<name>" when no user acted.
    actor_label = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=40)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} on claim {self.claim_id}"


class Comment(models.Model):
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"comment {self.pk} on claim {self.claim_id}"


class ClaimReviewFeed(models.Model):
    """A publisher's ClaimReview feed (a DataFeed, JSON-LD, JSON Lines or an HTML page with ld+json),
    registered by an editor; beat fetches it with a conditional GET and imports what it carries."""

    url = models.URLField(max_length=2000, unique=True)
    title = models.CharField(max_length=500, blank=True)
    active = models.BooleanField(default=True)
    interval = models.DurationField(default=timedelta(hours=6))
    last_fetched_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # The last import's counts ({"new": 3, "updated": 0, "unchanged": 12, "skipped": 1}).
    last_counts = models.JSONField(default=dict, blank=True)
    etag = models.CharField(max_length=500, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.title or self.url


class FactCheck(models.Model):
    """A published review of a claim (schema.org ClaimReview): someone's, or one of our own verdicts.

    Written only by claims.services.factchecks; one row per review URL, so a re-import updates in place.
    """

    class Origin(models.TextChoices):
        IMPORT = "import", "import file"
        FEED = "feed", "ClaimReview feed"
        OUR_VERDICT = "our_verdict", "our verdict"

    url = models.URLField(max_length=2000, unique=True)
    claim_reviewed = models.TextField()
    headline = models.TextField(blank=True)
    claimant = models.CharField(max_length=300, blank=True)
    claim_date = models.DateField(null=True, blank=True)
    claim_appearance_url = models.URLField(max_length=2000, blank=True)
    publisher_name = models.CharField(max_length=300, blank=True)
    publisher_url = models.URLField(max_length=2000, blank=True)
    rating_name = models.CharField(max_length=200, blank=True)
    rating_value = models.FloatField(null=True, blank=True)
    best_rating = models.FloatField(null=True, blank=True)
    worst_rating = models.FloatField(null=True, blank=True)
    language = models.CharField(max_length=35, blank=True)
    date_published = models.DateField(null=True, blank=True)
    origin = models.CharField(max_length=12, choices=Origin.choices)
    # Which file or feed it came from, as the import named it.
    origin_label = models.CharField(max_length=300, blank=True)
    feed = models.ForeignKey(
        ClaimReviewFeed, null=True, blank=True, on_delete=models.SET_NULL, related_name="fact_checks"
    )
    # Our own verdict: the claim it is (one library row per claim with a verdict).
    claim = models.OneToOneField(
        Claim, null=True, blank=True, on_delete=models.CASCADE, related_name="library_entry"
    )
    # Digest of the parsed fields: a re-import of the same review counts as unchanged and writes nothing.
    content_hash = models.CharField(max_length=64)
    # float32 [2, 384]: MiniLM vectors of the claim and of the headline (the claim again when there is
    # none); NULL until embedded, or without the model. A plain column, so no pgvector is needed.
    vectors = models.BinaryField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["-updated_at", "-id"], name="factcheck_updated_idx"),
            GinIndex(OpClass(Upper("claim_reviewed"), name="gin_trgm_ops"), name="factcheck_claim_trgm"),
        ]

    def __str__(self) -> str:
        return f"{self.publisher_name}: {self.claim_reviewed[:70]}"

    @property
    def rating_text(self) -> str:
        """The rating as a reader sees it: its words, else value / best, else "rating not given"."""
        if self.rating_name:
            return self.rating_name
        if self.rating_value is not None:
            value = f"{self.rating_value:g}"
            return f"{value} / {self.best_rating:g}" if self.best_rating is not None else value
        return "rating not given"


class FactCheckMatch(models.Model):
    """A library entry found to review the same claim: suggested by the machine, decided by a reviewer."""

    class State(models.TextChoices):
        SUGGESTED = "suggested", "suggested"
        CONFIRMED = "confirmed", "confirmed"
        REJECTED = "rejected", "rejected"

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="fact_check_matches")
    fact_check = models.ForeignKey(FactCheck, on_delete=models.CASCADE, related_name="matches")
    similarity = models.FloatField()
    # Place in the fused ranking (1 = best) when it was found.
    rank = models.PositiveSmallIntegerField(default=1)
    state = models.CharField(max_length=10, choices=State.choices, default=State.SUGGESTED)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["claim", "fact_check"], name="factcheckmatch_unique_pair"),
        ]
        indexes = [models.Index(fields=["fact_check"], name="factcheckmatch_fc_idx")]

    def __str__(self) -> str:
        return f"claim {self.claim_id} ~ fact-check {self.fact_check_id} ({self.state})"
