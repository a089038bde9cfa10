"""Writes for partners: keys, idempotent submissions, source suggestions, webhooks.

API keys are 256-bit random secrets. They are stored as a plain sha256: slow password hashes exist to
make guessing low-entropy passwords expensive, and nobody can guess 2^256 values however fast the
hash, while a slow hash would cost ~100 ms on every API request. The prefix (random too, not secret)
is kept in clear to find the row and to let people tell keys apart.
"""

import hashlib
import hmac
import json
import secrets
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from claims.models import Article, Claim
from claims.services.articles import article_submit
from claims.services.evidence import claim_add_source
from sources import http
from sources.models import Source

from .models import ApiKey, Event, Partner, PartnerSubmission, Scope, Webhook
from .selectors import api_key_by_prefix

KEY_PREFIX = "fck_"
_PREFIX_LENGTH = len(KEY_PREFIX) + 12
# Writing last_used_at on every request would make every read a write; a minute is precise enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class PartnerError(Exception):
    """A partner request that cannot be done; `code` and the message go into the API error body."""

    code = "invalid_request"
    status = 400

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.code
        self.status = status or self.status


class KeyRejected(PartnerError):
    code = "invalid_key"
    status = 401


class IdempotencyConflict(PartnerError):
    code = "idempotency_conflict"
    status = 409


def _hash_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode("utf-8")).hexdigest()


def _clean_scopes(scopes: list[str]) -> list[str]:
    unknown = sorted(set(scopes) - set(Scope.values))
    if unknown:
        raise PartnerError(f"Unknown scope(s): {', '.join(unknown)}. Use {', '.join(Scope.values)}.")
    if not scopes:
        raise PartnerError("Give a key at least one scope.")
    return [scope for scope in Scope.values if scope in scopes]


def api_key_create(
    *,
    partner: Partner,
    scopes: list[str],
    label: str = "",
    expires_at: datetime | None = None,
    created_by: AbstractBaseUser | None = None,
) -> tuple[ApiKey, str]:
    """Create a key; return the row and the key itself, which is never available again."""
    prefix = KEY_PREFIX + secrets.token_hex(6)
    raw_key = f"{prefix}_{secrets.token_urlsafe(32)}"
    api_key = ApiKey.objects.create(
        partner=partner,
        label=label.strip()[:200],
        prefix=prefix,
        hashed_key=_hash_key(raw_key),
        scopes=_clean_scopes(scopes),
        expires_at=expires_at,
        created_by=created_by if created_by is not None and created_by.is_authenticated else None,
    )
    return api_key, raw_key


def partner_create(
    *, name: str, scopes: list[str], contact_email: str = "", created_by: AbstractBaseUser | None = None
) -> tuple[Partner, ApiKey, str]:
    name = name.strip()
    if not name:
        raise PartnerError("A partner needs a name.")
    if Partner.objects.filter(name__iexact=name).exists():
        raise PartnerError(f"A partner named {name!r} already exists.")
    with transaction.atomic():
        partner = Partner.objects.create(name=name, contact_email=contact_email)
        api_key, raw_key = api_key_create(
            partner=partner, scopes=scopes, label="first key", created_by=created_by
        )
    return partner, api_key, raw_key


def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    api_key.refresh_from_db(fields=["revoked_at"])
    return api_key


def api_key_authenticate(*, raw_key: str) -> ApiKey:
    """The active key for `raw_key`, its last use noted; KeyRejected (with a reason) otherwise."""
    raw_key = raw_key.strip()
    api_key = None
    if raw_key.startswith(KEY_PREFIX) and raw_key[_PREFIX_LENGTH : _PREFIX_LENGTH + 1] == "_":
        api_key = api_key_by_prefix(prefix=raw_key[:_PREFIX_LENGTH])
    # Compared in constant time so response timing tells nothing about how much of a key matched.
    if api_key is None or not hmac.compare_digest(api_key.hashed_key, _hash_key(raw_key)):
        raise KeyRejected("This API key is not valid.")
    now = timezone.now()
    # Reasons are told only to someone holding the real key: they cannot help a guesser.
    if api_key.revoked_at is not None:
        raise KeyRejected("This API key was revoked.", code="key_revoked")
    if api_key.expires_at is not None and api_key.expires_at <= now:
        raise KeyRejected("This API key has expired.", code="key_expired")
    if not api_key.partner.is_active:
        raise KeyRejected("This partner account is disabled.", code="partner_disabled")
    if api_key.last_used_at is None or now - api_key.last_used_at >= LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
    return api_key


def _request_hash(**fields: str) -> str:
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode("utf-8")).hexdigest()


def partner_label(partner: Partner) -> str:
    """How claims name a partner without knowing partners: on articles (submitted_via) and events."""
    return f"partner:{partner.pk}"


def partner_submit_article(
    *,
    partner: Partner,
    api_key: ApiKey | None,
    url: str = "",
    html: str = "",
    text: str = "",
    title: str = "",
    idempotency_key: str = "",
) -> tuple[Article, bool]:
    """Submit an article for checking; with an idempotency key, a retry returns the first article.

    Returns (article, created). The same key with different content raises IdempotencyConflict.
    """
    key = idempotency_key.strip() or None
    if key is not None and len(key) > 200:
        raise PartnerError("The Idempotency-Key header is longer than 200 characters.")
    digest = _request_hash(url=url, html=html, text=text, title=title)
    if key is not None:
        existing = _submission_for_key(partner=partner, key=key, digest=digest)
        if existing is not None:
            return existing, False
    try:
        # A savepoint: if a concurrent retry wins the unique key, its twin article (and the
        # pipeline task queued with it) is rolled back here, leaving exactly one.
        with transaction.atomic():
            article = article_submit(url=url, html=html, text=text, title=title, via=partner_label(partner))
            PartnerSubmission.objects.create(
                partner=partner, article=article, api_key=api_key, idempotency_key=key, request_hash=digest
            )
    except IntegrityError:
        existing = _submission_for_key(partner=partner, key=key, digest=digest) if key else None
        if existing is None:
            raise
        return existing, False
    return article, True


def _submission_for_key(*, partner: Partner, key: str, digest: str) -> Article | None:
    submissions = PartnerSubmission.objects.select_related("article")
    submission = submissions.filter(partner=partner, idempotency_key=key).first()
    if submission is None:
        return None
    if submission.request_hash != digest:
        raise IdempotencyConflict(
            "This Idempotency-Key was already used for a different submission "
            f"(article {submission.article_id}); use a new key for new content."
        )
    return submission.article


def partner_suggest_source(*, partner: Partner, claim: Claim, url: str) -> Source:
    """A partner points at a page that bears on a claim; it is fetched and matched like any source."""
    return claim_add_source(claim=claim, url=url, actor_label=f"partner:{partner.name}")


def webhook_create(
    *, partner: Partner, url: str, events: list[str], own_submissions_only: bool = True
) -> Webhook:
    """Register a webhook after checking its URL against the fetcher's address rules."""
    unknown = sorted(set(events) - set(Event.values))
    if unknown or not events:
        raise PartnerError(f"Choose events among {', '.join(Event.values)}.", code="invalid_events")
    try:
        http.check_url(url, method="POST")
    except http.HttpError as exc:
        raise PartnerError(exc.message, code="invalid_webhook_url") from exc
    return Webhook.objects.create(
        partner=partner,
        url=url.strip(),
        secret=webhook_new_secret(),
        events=[event for event in Event.values if event in events],
        own_submissions_only=own_submissions_only,
    )


def webhook_new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def webhook_delete(*, webhook: Webhook) -> None:
    webhook.delete()
