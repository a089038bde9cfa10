"""Connects claims' signals to the webhook outbox. Receivers only hand over; the logic is in webhooks.

Both signals are sent inside the transaction of the change, so the outbox rows commit (or roll
back) together with it.
"""

from typing import Any

from django.dispatch import receiver

from claims.models import Article, Claim
from claims.signals import article_processed, claim_changed

from .webhooks import outbox_record_article_processed, outbox_record_claim_event


@receiver(claim_changed, dispatch_uid="partners.webhooks.claim_changed")
def _claim_changed(sender: type, *, claim: Claim, kind: str, **kwargs: Any) -> None:
    outbox_record_claim_event(claim=claim, kind=kind)
    if kind in {"verdict_set", "verdict_changed"}:
        from factcheck.queueing import enqueue

        from .tasks import answer_claim_requests

        # After commit, on a worker: comparing the verdict with open requests embeds text.
        enqueue(answer_claim_requests, claim.pk)


@receiver(article_processed, dispatch_uid="partners.webhooks.article_processed")
def _article_processed(sender: type, *, article: Article, **kwargs: Any) -> None:
    outbox_record_article_processed(article=article)
