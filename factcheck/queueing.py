"""How work reaches the workers, and how a command that waits does the same work itself.

Every step of the pipeline, of source fetching and of re-checks is a Celery task, and every task is
sent with `enqueue`: after the current transaction commits (at once outside one), so a worker never
looks for a row that is not there yet. A management command that waits (`ingest --wait`,
`recheck --wait`) wraps its work in `tasks_run_here()`: the same tasks, sent the same way, then run
eagerly in this process instead of on a worker. There is no second, "inline" road through the code.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from celery import Task
from django.db import transaction

from .celery import app
from .taskbase import TRANSIENT_ERRORS

logger = logging.getLogger(__name__)


def enqueue(task: Task, *args: Any, **kwargs: Any) -> None:
    """Send `task(*args, **kwargs)` to the workers once the current transaction has committed.

    Outside a transaction (a task's own follow-up), a broker that cannot take the message raises
    here, so the calling task is retried. Inside one (a web request's change), the change has
    committed by the time the message is sent: a broker outage then is logged, never turned into an
    error page for work that was saved; the stalled-work sweep sends it later.
    """
    if not transaction.get_connection().in_atomic_block:
        task.delay(*args, **kwargs)
        return
    transaction.on_commit(lambda: _send_after_commit(task, args, kwargs))


def _send_after_commit(task: Task, args: tuple, kwargs: dict) -> None:
    try:
        task.delay(*args, **kwargs)
    except TRANSIENT_ERRORS:
        logger.warning(
            "could not queue %s%r (broker unreachable); the stalled-work sweep will", task.name, args
        )


@contextmanager
def tasks_run_here() -> Iterator[None]:
    """Run every task sent meanwhile in this process, depth first, as soon as it is sent.

    Retries run at once too (Celery's eager mode ignores countdowns), so a command that waits gives
    up after the task's own retry budget rather than sleeping through its backoff. Errors are not
    propagated (Celery would raise a retry as an error): as on a worker, a task that fails is logged
    and records its failure on its row, where the command reads it.
    """
    previous = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = False
    try:
        yield
    finally:
        app.conf.task_always_eager, app.conf.task_eager_propagates = previous
