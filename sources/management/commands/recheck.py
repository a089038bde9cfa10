"""`manage.py recheck [--due | --source ID] [--wait] [--limit N]`: re-check sources now.

Without --wait the work is queued for the workers (as the beat schedule does); with --wait the same
tasks (fetch, compare, index, flag claims, re-match) run in this process, no worker needed, with a
progress bar on stderr.
"""

import time
from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q
from django.utils import timezone

from factcheck.queueing import tasks_run_here
from sources.models import Source
from sources.recheck import RecheckResult, lease_due_sources, source_recheck


class Command(BaseCommand):
    help = "Re-check due sources (or one source); --wait does it in this process."

    def add_arguments(self, parser: CommandParser) -> None:
        which = parser.add_mutually_exclusive_group()
        which.add_argument(
            "--due", action="store_true", help="every source whose next check is due (default)"
        )
        which.add_argument("--source", type=int, metavar="ID", help="this source, due or not")
        parser.add_argument("--wait", action="store_true", help="fetch and process now, in this process")
        parser.add_argument(
            "--limit", type=int, default=None, help="at most this many sources (default: the run cap)"
        )

    def handle(self, *args, **options) -> None:
        from sources.tasks import recheck_due, recheck_source

        source_id = options["source"]
        if source_id is not None and not Source.objects.filter(pk=source_id).exists():
            raise CommandError(f"There is no source {source_id}.")
        if not options["wait"]:
            if source_id is not None:
                recheck_source.delay(source_id)
                self.stdout.write(f"Queued a re-check of source {source_id}.")
            else:
                queued = recheck_due(options["limit"])
                self.stdout.write(f"Queued {queued} due source(s) for re-checking.")
            return
        with tasks_run_here():
            self._run_here(source_id, options["limit"])

    def _run_here(self, source_id: int | None, limit: int | None) -> None:
        if source_id is not None:
            result = source_recheck(source_id)
            self._print_result(result)
            if result.outcome == "skipped":
                raise CommandError(
                    f"Source {source_id} is being checked by a worker right now; try again soon."
                )
            return
        self._run_due(limit or int(settings.RECHECK_MAX_PER_RUN))

    def _run_due(self, limit: int) -> None:
        now = timezone.now()
        first = now - timedelta(hours=float(settings.RECHECK_VERDICT_INTERVAL_HOURS))
        due = (
            Source.objects.filter(
                Q(next_check_at__lte=now) | Q(next_check_at__isnull=True, last_fetched_at__lte=first)
            )
            .exclude(status__in=[Source.Status.GONE, Source.Status.BLOCKED])
            .count()
        )
        total = min(due, limit)
        counts: Counter[str] = Counter()
        done = 0
        started = time.monotonic()
        while done < limit:
            batch = lease_due_sources(limit=min(50, limit - done))
            if not batch:
                break
            for leased_id, stamp in batch:
                result = source_recheck(leased_id, leased_at=stamp)
                counts[result.outcome] += 1
                done += 1
                self.stderr.write(_progress(done, max(total, done), counts), ending="")
                self.stderr.flush()
        if total:
            self.stderr.write("")
        elapsed = time.monotonic() - started
        summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items())) or "nothing due"
        self.stdout.write(f"Re-checked {done} source(s) in {elapsed:.1f} s: {summary}.")
        if done < total:
            self.stdout.write(
                f"{total - done} due source(s) were held back by the per-domain limits; "
                "the next run picks them up."
            )

    def _print_result(self, result: RecheckResult) -> None:
        line = f"Source {result.source_id}: {result.outcome}"
        if result.message:
            line += f" — {result.message}"
        self.stdout.write(line)


def _progress(done: int, total: int, counts: Counter[str]) -> str:
    width = 30
    filled = int(width * done / total) if total else width
    detail = " ".join(f"{outcome}:{n}" for outcome, n in sorted(counts.items()))
    return f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {detail}"
