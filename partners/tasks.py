"""Celery tasks for partners: webhook deliveries on the `fetch` queue (they wait on partners' servers),
matching claim requests on `nlp` (settings.CELERY_TASK_ROUTES)."""

from celery import shared_task

from .webhooks import delivery_attempt


@shared_task(bind=True, max_retries=None)
def deliver_webhook(self, delivery_id: int) -> None:  # Celery binds self
    # The attempt budget lives on the row (WEBHOOK_MAX_ATTEMPTS), so Celery's own count is unbounded.
    attempt = delivery_attempt(delivery_id=delivery_id)
    if attempt is not None and attempt.retry_in is not None:
        raise self.retry(countdown=attempt.retry_in)


@shared_task
def answer_claim_requests(claim_id: int) -> int:
    """A claim got a verdict: partners who asked about the same claim are told. CPU work (`nlp`)."""
    from .claim_requests import claim_requests_answer

    return len(claim_requests_answer(claim_id=claim_id))
