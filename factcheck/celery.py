"""The Celery app: configured from Django settings (CELERY_ namespace), tasks autodiscovered."""

import os

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")

# Every task, ours and shared_task ones alike, gets the retry rules of factcheck/taskbase.py.
app = Celery("factcheck", task_cls="factcheck.taskbase:WorkbenchTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# After a worker starts, the stalled-work sweep runs at these delays (seconds): at once for work
# lost long ago, then after a dead predecessor's article locks have expired (claims/pipeline.py).
SWEEP_AFTER_START = (0, 45, 100)


@worker_ready.connect
def sweep_stalled_work_on_start(sender, **kwargs) -> None:  # noqa: ANN001 - Celery's signature
    """A worker that starts (after a crash, a deploy) sends the stalled-work sweep: work lost with
    the previous workers comes back within about two minutes, even where no beat runs."""
    for countdown in SWEEP_AFTER_START:
        sender.app.send_task(
            "claims.tasks.requeue_stalled_articles", kwargs={"after_worker_start": True}, countdown=countdown
        )
