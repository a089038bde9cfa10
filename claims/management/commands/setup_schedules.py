"""`manage.py setup_schedules`: create the default beat schedules (idempotent; keeps admin edits).

Re-check due sources every 15 minutes, crawl reference feeds and ClaimReview feeds every hour,
re-queue articles whose task was lost every 2 minutes. All are django-celery-beat PeriodicTasks, so
editors change or pause them in the admin; running this again never overwrites what they set, it only
adds what is missing.
"""

from django.core.management.base import BaseCommand

DEFAULTS = [
    ("Re-check due sources", "sources.tasks.recheck_due", 15),
    ("Crawl reference feeds", "sources.tasks.crawl_feeds", 60),
    ("Fetch ClaimReview feeds", "claims.tasks.crawl_claimreview_feeds", 60),
    ("Re-queue stalled articles", "claims.tasks.requeue_stalled_articles", 2),
]


class Command(BaseCommand):
    help = "Create the default re-check, feed and pipeline-sweep schedules (safe to run again)."

    def handle(self, *args, **options) -> None:
        from django_celery_beat.models import IntervalSchedule, PeriodicTask

        for name, task, minutes in DEFAULTS:
            every, _ = IntervalSchedule.objects.get_or_create(every=minutes, period=IntervalSchedule.MINUTES)
            _, created = PeriodicTask.objects.get_or_create(
                name=name, defaults={"task": task, "interval": every}
            )
            state = "created" if created else "already there"
            self.stdout.write(f"Schedule '{name}' ({task}, every {minutes} min): {state}.")
