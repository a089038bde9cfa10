"""Webhook events: written to the outbox with the change that caused them, then sent and signed.

Outbox rows (WebhookDelivery) are created by the receivers in `partners.receivers` inside the
transaction of the claim or article change, so an event exists exactly when its change committed;
the send is queued with `transaction.on_commit`. Sending claims the row with a conditional UPDATE,
makes the HTTP call outside any transaction and records the outcome with a targeted update.

Signature: `X-Factcheck-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
The timestamp is signed with the body, so a receiver that refuses old timestamps refuses replays.

The POST goes through the one safe HTTP client (sources/http.py): a webhook URL is as untrusted as
any URL a partner sends, so it gets the fetcher's address rules, pinned connection and deadline.
"""

import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from claims.models import Article, Claim
from sources import http

from .models import ClaimRequest, Event, PartnerSubmission, Webhook, WebhookDelivery
from .selectors import claim_is_visible, claim_owner_id, webhooks_for_event
from .serializers import ClaimSummarySerializer

SIGNATURE_HEADER = "X-Factcheck-Signature"
# A row left "sending" this long belongs to a worker that died mid-send: it may be claimed again.
SENDING_TTL = timedelta(minutes=5)
# Failures of a send that no retry can fix: the URL is malformed or points where we never connect.
UNSENDABLE_KINDS = frozenset({"invalid_url", "blocked_address"})
CLAIM_EVENTS = {
    "verdict_set": Event.CLAIM_VERDICT_SET,
    "verdict_changed": Event.CLAIM_VERDICT_CHANGED,
    "needs_recheck": Event.CLAIM_NEEDS_RECHECK,
}


def sign(*, secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def claim_payload(claim: Claim) -> dict[str, Any]:
    """What a claim event says; the same fields as the API's claim list (no reviewer identity)."""
    return {"claim": ClaimSummarySerializer(claim).data}


def article_payload(article: Article) -> dict[str, Any]:
    return {
        "article": {
            "id": article.pk,
            "status": article.status,
            "title": article.title,
            "url": article.url,
            "error": article.error,
            "claim_count": article.claims.count(),
        }
    }


def _record(*, webhooks: list[Webhook], event: str, data: dict[str, Any]) -> list[WebhookDelivery]:
    if not webhooks:
        return []
    event_id = uuid.uuid4()
    payload = {
        "id": str(event_id),
        "type": event,
        "created_at": timezone.now().isoformat(),
        "data": json.loads(json.dumps(data, default=str)),
    }
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(webhook=hook, event=event, event_id=event_id, payload=payload) for hook in webhooks
    )
    from .tasks import deliver_webhook

    for delivery in deliveries:
        delivery_id = delivery.pk
        transaction.on_commit(lambda delivery_id=delivery_id: deliver_webhook.delay(delivery_id))
    return deliveries


def outbox_record_claim_event(*, claim: Claim, kind: str) -> list[WebhookDelivery]:
    """Write the outbox rows for a claim change, for the partners allowed to see the claim."""
    event = CLAIM_EVENTS.get(kind)
    if event is None:
        return []
    webhooks = list(webhooks_for_event(event=event))
    if not webhooks:
        return []
    owner_id = claim_owner_id(claim=claim)
    recipients = [
        hook
        for hook in webhooks
        if claim_is_visible(partner_id=hook.partner_id, claim=claim, owner_id=owner_id)
        and (hook.partner_id == owner_id or not hook.own_submissions_only)
    ]
    return _record(webhooks=recipients, event=event, data=claim_payload(claim))


def outbox_record_article_processed(*, article: Article) -> list[WebhookDelivery]:
    """Only the partner that submitted an article hears about it: nobody else may see it."""
    owner = PartnerSubmission.objects.filter(article_id=article.pk).values_list("partner_id", flat=True)
    webhooks = list(webhooks_for_event(event=Event.ARTICLE_PROCESSED).filter(partner_id__in=owner))
    return _record(webhooks=webhooks, event=Event.ARTICLE_PROCESSED, data=article_payload(article))


@dataclass(frozen=True)
class Attempt:
    delivery_id: int
    delivered: bool
    retry_in: int | None  # seconds until the next try; None when there is none


def _backoff(attempts: int) -> int:
    base = int(settings.WEBHOOK_RETRY_BASE_SECONDS)
    return min(3600, base * 2 ** max(0, attempts - 1))


def delivery_attempt(*, delivery_id: int) -> Attempt | None:
    """Send one delivery once. None when another worker has it or it is already settled."""
    now = timezone.now()
    claimed = (
        WebhookDelivery.objects.filter(pk=delivery_id)
        .filter(
            Q(status=WebhookDelivery.Status.PENDING)
            | Q(status=WebhookDelivery.Status.SENDING, last_attempt_at__lt=now - SENDING_TTL)
        )
        .update(status=WebhookDelivery.Status.SENDING, attempts=F("attempts") + 1, last_attempt_at=now)
    )
    if claimed != 1:
        return None
    delivery = WebhookDelivery.objects.select_related("webhook__partner").get(pk=delivery_id)
    webhook = delivery.webhook
    if not (webhook.is_active and webhook.partner.is_active):
        return _settle(delivery, error="The webhook or its partner was switched off.", permanent=True)
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode("utf-8")
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "X-Factcheck-Event": delivery.event,
        "X-Factcheck-Delivery": str(delivery.event_id),
        SIGNATURE_HEADER: sign(secret=webhook.secret, timestamp=timestamp, body=body),
    }
    try:
        result = http.post(
            webhook.url,
            body=body,
            headers=headers,
            timeouts=http.Timeouts(
                connect=settings.WEBHOOK_CONNECT_TIMEOUT, read=settings.WEBHOOK_READ_TIMEOUT
            ),
            total_timeout=settings.WEBHOOK_TOTAL_TIMEOUT,
        )
    except http.HttpError as exc:
        # Only a URL we will never send to is final. DNS, TLS and network trouble at a receiver is
        # retried even where a fetch would give up: the row's attempt budget bounds it.
        return _settle(delivery, error=exc.message, permanent=exc.kind in UNSENDABLE_KINDS)
    if 200 <= result.status < 300:
        return _settle(delivery, status=result.status)
    error = f"The receiver answered {result.status}: {result.excerpt[:200]}".strip()
    return _settle(
        delivery, status=result.status, error=error, permanent=not http.is_transient_status(result.status)
    )


def _settle(
    delivery: WebhookDelivery, *, status: int | None = None, error: str = "", permanent: bool = False
) -> Attempt:
    fields: dict[str, Any] = {"response_status": status, "last_error": error}
    if not error:
        fields |= {"status": WebhookDelivery.Status.DELIVERED, "delivered_at": timezone.now()}
        retry_in = None
    elif permanent or delivery.attempts >= int(settings.WEBHOOK_MAX_ATTEMPTS):
        fields["status"] = WebhookDelivery.Status.FAILED
        retry_in = None
    else:
        fields["status"] = WebhookDelivery.Status.PENDING
        retry_in = _backoff(delivery.attempts)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(**fields)
    return Attempt(delivery_id=delivery.pk, delivered=not error, retry_in=retry_in)


def delivery_redeliver(*, delivery: WebhookDelivery) -> None:
    """Send a failed delivery again (from the admin), with a fresh attempt budget."""
    from .tasks import deliver_webhook

    WebhookDelivery.objects.filter(pk=delivery.pk, status=WebhookDelivery.Status.FAILED).update(
        status=WebhookDelivery.Status.PENDING, attempts=0, last_error=""
    )
    delivery_id = delivery.pk
    transaction.on_commit(lambda: deliver_webhook.delay(delivery_id))


def outbox_record_request_answered(
    *, request: ClaimRequest, claim: Claim, similarity: float
) -> list[WebhookDelivery]:
    """A claim matching a partner's request got a verdict: `claim.verdict_set` to that partner's
    webhooks for it, unless they heard of this verdict already (their own article, or every verdict)."""
    owner_id = claim_owner_id(claim=claim)
    webhooks = [
        hook
        for hook in webhooks_for_event(event=Event.CLAIM_VERDICT_SET).filter(partner_id=request.partner_id)
        if not (hook.partner_id == owner_id or not hook.own_submissions_only)
    ]
    data = claim_payload(claim) | {
        "request": {"id": request.pk, "text": request.text, "similarity": round(similarity, 4)}
    }
    return _record(webhooks=webhooks, event=Event.CLAIM_VERDICT_SET, data=data)
