"""The base class of every Celery task (the app's `task_cls`): what "transient" means, once.

A database that restarts, a dropped connection, a Redis that is away for a few seconds, a broker
that refuses a message for a moment: each is retried with exponential backoff and jitter, a bounded
number of times, and never stored as the final outcome of the work. A task class that owns a row
(an article, say) overrides `record_final_failure` to say on the row, in words, what went wrong once
the retries are spent. Deadlocks and serialization failures are OperationalErrors too, so a task
that lost one is simply run again (every task is idempotent).

Tasks are acknowledged late and rejected (re-queued) when their worker process dies, so a killed
worker's task goes to another worker at once rather than after the broker's visibility timeout.
A task that finds its work locked by another run (`retry_when_busy`) comes back later.
"""

import logging
from typing import Any

from celery import Task
from django.db import InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError,  # the database went away, restarted, or chose this transaction as a deadlock victim
    InterfaceError,  # the connection was closed under us
    RedisConnectionError,
    RedisTimeoutError,
    BrokerError,  # sending a follow-up task while the broker is unreachable
)
# 5, 10, 20, 40, 80, 120, 120, 120 s (± jitter): about 8.5 minutes of outage ridden out. The cap
# stays under the broker's visibility timeout, past which Redis would hand a waiting retry to a
# second worker.
RETRY_BACKOFF_SECONDS = 5
RETRY_BACKOFF_MAX_SECONDS = 120
MAX_TRANSIENT_RETRIES = 8


def is_transient(exc: BaseException) -> bool:
    return isinstance(exc, TRANSIENT_ERRORS)


class WorkbenchTask(Task):
    autoretry_for = TRANSIENT_ERRORS
    retry_backoff = RETRY_BACKOFF_SECONDS
    retry_backoff_max = RETRY_BACKOFF_MAX_SECONDS
    retry_jitter = True
    max_retries = MAX_TRANSIENT_RETRIES
    acks_late = True
    reject_on_worker_lost = True

    def on_failure(self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        try:
            self.record_final_failure(exc, *args, **kwargs)
        except Exception:  # the database may be what failed: the stalled-work sweep catches up later
            logger.exception("could not record the failure of %s[%s]", self.name, task_id)

    def record_final_failure(self, exc: BaseException, *args: Any, **kwargs: Any) -> None:
        """Say on the task's row what went wrong for good. Nothing to record by default."""


# A duplicate delivery, or a task re-queued after its worker died while the dead worker's lock lives
# on until it expires: come back later rather than drop the work.
BUSY_RETRY_SECONDS = 30
BUSY_RETRIES = 10


def retry_when_busy(task: Task) -> None:
    """Retry `task` later because another run holds its lock; give up quietly after minutes of it."""
    if task.request.retries < BUSY_RETRIES:
        raise task.retry(countdown=BUSY_RETRY_SECONDS, max_retries=BUSY_RETRIES + MAX_TRANSIENT_RETRIES)
    # Still busy after minutes: someone is working on it; the stalled-work sweep covers the rest.
