"""Partner newsrooms, their API keys, the articles they submitted, and their webhooks with an outbox.

State changes go through `partners.services`; models hold data and constraints only.
"""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models


class Scope(models.TextChoices):
    READ = "read", "read: claims, verdicts, articles, webhooks"
    SUBMIT = "submit", "submit: articles and source suggestions"


class Event(models.TextChoices):
    ARTICLE_PROCESSED = "article.processed", "article.processed"
    CLAIM_VERDICT_SET = "claim.verdict_set", "claim.verdict_set"
    CLAIM_VERDICT_CHANGED = "claim.verdict_changed", "claim.verdict_changed"
    CLAIM_NEEDS_RECHECK = "claim.needs_recheck", "claim.needs_recheck"


class Partner(models.Model):
    name = models.CharField(max_length=200, unique=True)
    contact_email = models.EmailField(blank=True)
    # Switching a partner off refuses all of its keys at once, without touching them.
    is_active = models.BooleanField(default=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class ApiKey(models.Model):
    """A key is shown once; we keep its sha256 and the prefix that finds the row."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="api_keys")
    label = models.CharField(max_length=200, blank=True)
    # Random, not secret: written in clear so a key can be looked up and recognised in logs.
    prefix = models.CharField(max_length=16, unique=True)
    hashed_key = models.CharField(max_length=64, unique=True, editable=False)
    scopes = ArrayField(models.CharField(max_length=16, choices=Scope.choices), default=list)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.partner} · {self.prefix}…"


class PartnerSubmission(models.Model):
    """Which partner submitted an article (claims stay unaware of partners), and its idempotency key."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="submissions")
    article = models.OneToOneField(
        "claims.Article", on_delete=models.CASCADE, related_name="partner_submission"
    )
    api_key = models.ForeignKey(ApiKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    idempotency_key = models.CharField(max_length=200, null=True, blank=True)
    # sha256 of the submitted fields: the same key with a different body is a client bug, refused.
    request_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # Two concurrent retries with one key race to insert; the loser finds the winner's row.
            models.UniqueConstraint(
                fields=["partner", "idempotency_key"],
                condition=models.Q(idempotency_key__isnull=False),
                name="partnersubmission_unique_idempotency_key",
            )
        ]
        indexes = [models.Index(fields=["partner", "-created_at"], name="partnersubmission_recent_idx")]

    def __str__(self) -> str:
        return f"{self.partner} → article {self.article_id}"


class Webhook(models.Model):
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=2000)
    # Kept in clear: signing needs it. The partner holds the same value to verify signatures.
    secret = models.CharField(max_length=100)
    events = ArrayField(models.CharField(max_length=40, choices=Event.choices), default=list)
    # Verdicts are visible to every partner; most want only the ones on their own articles.
    own_submissions_only = models.BooleanField(
        default=True, help_text="Only events about claims and articles this partner submitted."
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.partner} → {self.url}"


class WebhookDelivery(models.Model):
    """The outbox and the delivery log in one: written with the change, updated by the sender."""

    class Status(models.TextChoices):
        PENDING = "pending", "pending"
        SENDING = "sending", "sending"
        DELIVERED = "delivered", "delivered"
        FAILED = "failed", "failed"

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40, choices=Event.choices)
    event_id = models.UUIDField(db_index=True)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(fields=["webhook", "event_id"], name="webhookdelivery_unique_event")
        ]
        indexes = [
            models.Index(fields=["webhook", "-created_at"], name="webhookdelivery_recent_idx"),
            models.Index(
                fields=["last_attempt_at"],
                name="webhookdelivery_open_idx",
                condition=models.Q(status__in=["pending", "sending"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} → webhook {self.webhook_id} ({self.status})"


class ClaimRequest(models.Model):
    """A partner asked about a text it has not submitted, and no verdict matched it then.

    Counted as demand; the partner is subscribed: when a claim matching the text gets a verdict, its
    `claim.verdict_set` webhooks hear about it, although the article was not theirs (answered_* then).
    """

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="claim_requests")
    text = models.TextField()
    # Normalised text hash: the same partner asking the same thing twice keeps one open request.
    fingerprint = models.CharField(max_length=64)
    # float32 MiniLM vector of the text, when the model is installed (compared with verdicts' claims).
    vector = models.BinaryField(null=True, blank=True, editable=False)
    answered_claim = models.ForeignKey(
        "claims.Claim", null=True, blank=True, on_delete=models.SET_NULL, related_name="partner_requests"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "fingerprint"],
                condition=models.Q(answered_at__isnull=True),
                name="claimrequest_one_open_per_text",
            )
        ]
        indexes = [
            models.Index(
                fields=["-created_at"],
                name="claimrequest_open_idx",
                condition=models.Q(answered_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.partner}: {self.text[:60]}"
