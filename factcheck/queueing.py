"""How work reaches the workers, and how a command that waits does the same work itself.

Every step of the pipeline, of source fetching and of re-checks is a Celery task, and every task is
sent with `enqueue`: after the current transaction commits (at once outside one), so a worker never
looks for a row that is not there yet. A management command that waits (`ingest --wait`,
`recheck --wait`) wraps its work in `tasks_run_here()`: the same tasks, sent the same way, then run
eagerly in this process instead of on a worker. There is no second, "inline" road through the code.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from celery import Task
from django.db import transaction

from .celery import app


def enqueue(task: Task, *args: Any, **kwargs: Any) -> None:
    """Send `task(*args, **kwargs)` to the workers once the current transaction has committed."""
    transaction.on_commit(lambda: task.delay(*args, **kwargs))


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
