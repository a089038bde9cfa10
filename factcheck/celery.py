"""The Celery app: configured from Django settings (CELERY_ namespace), tasks autodiscovered."""

import os

from celery import Celery, bootsteps

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")

# Every task, ours and shared_task ones alike, gets the retry rules of factcheck/taskbase.py.
app = Celery("factcheck", task_cls="factcheck.taskbase:WorkbenchTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# Each time a worker connects to the broker (it started, or Redis came back), the stalled-work
# sweep runs at these delays (seconds): at once, then after a dead predecessor's article locks have
# expired (claims/pipeline.py). A Redis that restarted empty lost its queued messages; a worker
# that was killed took its reserved ones along: either way the work comes back within ~2 minutes.
SWEEP_AFTER_CONNECT = (0, 45, 100)


class SweepStalledWorkOnConnect(bootsteps.StartStopStep):
    requires = {"celery.worker.consumer.connection:Connection"}

    def start(self, consumer) -> None:  # Celery's Consumer
        for countdown in SWEEP_AFTER_CONNECT:
            consumer.app.send_task(
                "claims.tasks.requeue_stalled_articles",
                kwargs={"after_worker_start": True},
                countdown=countdown,
            )


app.steps["consumer"].add(SweepStalledWorkOnConnect)
