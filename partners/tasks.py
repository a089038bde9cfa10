"""Celery tasks for partners, on the `fetch` queue (settings.CELERY_TASK_ROUTES): they wait on partners'
servers."""

from celery import shared_task

from .webhooks import delivery_attempt


@shared_task(bind=True, max_retries=None)
def deliver_webhook(self, delivery_id: int) -> None:  # Celery binds self
    # The attempt budget lives on the row (WEBHOOK_MAX_ATTEMPTS), so Celery's own count is unbounded.
    attempt = delivery_attempt(delivery_id=delivery_id)
    if attempt is not None and attempt.retry_in is not None:
        raise self.retry(countdown=attempt.retry_in)
