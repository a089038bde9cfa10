"""Scheduled re-checks: throughput against a local server, and database growth per unchanged re-check.

    DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/recheck.py [--sources 10000] [--workers 4]

Works in a throw-away database created next to DATABASE_URL's (dropped at the end, also on failure),
so nothing is left behind. N sources on a local HTTP server, each with a stored snapshot and ETag:
5 % change their text, 5 % send new bytes with the same text (a new ad), the rest answer 304.
Workers are processes, each leasing batches with the real due-selection (SKIP LOCKED) and running
the whole re-check in-process (fetch, compare, snapshot and index on change). Then every source is
made due again with unchanged content, after a VACUUM, to measure bytes of growth per re-check.
Prints a markdown section.
"""

import argparse
import multiprocessing
import os
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TABLES = ["sources_source", "sources_snapshot", "sources_passage", "sources_sourcecheck", "sources_termstat"]


def _bench_database_url() -> tuple[str, str, str]:
    """(admin URL, bench URL, bench db name) derived from DATABASE_URL."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        sys.exit("Set DATABASE_URL (a PostgreSQL the bench may create a database on).")
    parts = urlsplit(url)
    name = f"bench_recheck_{os.getpid()}"
    return url, urlunsplit(parts._replace(path="/" + name)), name


def _admin(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def _setup_django(bench_url: str) -> None:
    os.environ["DATABASE_URL"] = bench_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")
    os.environ.setdefault("FACTCHECK_DEV", "true")
    os.environ["CACHE_KEY_PREFIX"] = f"bench-recheck-{os.getpid()}"
    os.environ["FETCH_ALLOWED_PRIVATE_HOSTS"] = "127.0.0.1"
    os.environ["FETCH_DOMAIN_MIN_INTERVAL"] = "0"
    # One local "domain" serves every source here: lift the per-domain limits, keep the code path.
    os.environ["RECHECK_DOMAIN_CONCURRENCY"] = "100000"
    os.environ["RECHECK_DOMAIN_PER_MINUTE"] = "1000000"
    os.environ["LOG_LEVEL"] = "WARNING"
    import django

    django.setup()


def _body(i: int, version: int) -> str:
    return (
        f"Report {i}, edition {version}. The agency said it carried out {18_000 + i} removals in 2023. "
        f"Officials presented the figures for region {i % 97} at a briefing on Tuesday morning."
    )


class Pages:
    """The local site: /s/<i>. Every 20th page gets a new text in mixed rounds; every 20th+1 sends
    new bytes (a new ETag) with the same text every round; the rest answer 304 to their ETag."""

    def __init__(self) -> None:
        self.round = 1
        self.content = 1  # the text version of the changing pages; bumped only in mixed rounds

    def __call__(self, request):  # tests.httpserver handler
        from tests.httpserver import Reply

        i = int(request.path.rsplit("/", 1)[1])
        version = self.content if i % 20 == 0 else 1
        etag = f'"{version}-{self.round if i % 20 == 1 else 1}"'
        if request.headers.get("if-none-match") == etag:
            return Reply(304, b"", {"ETag": etag})
        return Reply(200, _body(i, version), {"Content-Type": "text/plain; charset=utf-8", "ETag": etag})


def _seed(n: int, base: str) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from sources.extraction import clean_pasted_text
    from sources.models import Snapshot, Source
    from sources.services import text_hash

    past = timezone.now() - timedelta(hours=1)
    sources = Source.objects.bulk_create(
        Source(url=f"{base}/s/{i}", domain="127.0.0.1", status="ok", last_fetched_at=past, next_check_at=past,
               etag='"1-1"')
        for i in range(n)
    )  # fmt: skip
    snapshots = []
    for i, source in enumerate(sources):
        text = clean_pasted_text(_body(i, 1)).text
        snapshots.append(
            Snapshot(source=source, fetched_at=past, http_status=200, content_type="text/plain", text=text,
                     raw_body=Snapshot.compress(_body(i, 1).encode()), content_hash=text_hash(text))
        )  # fmt: skip
    Snapshot.objects.bulk_create(snapshots, batch_size=1000)
    for source, snapshot in zip(sources, snapshots, strict=True):
        source.current_snapshot = snapshot
    Source.objects.bulk_update(sources, ["current_snapshot"], batch_size=1000)


def _worker(queue: "multiprocessing.Queue[Counter[str]]") -> None:
    from django.db import connection

    from factcheck.queueing import tasks_run_here
    from sources.recheck import lease_due_sources, source_recheck

    counts: Counter[str] = Counter()
    try:
        # The follow-up tasks (indexing, claim flagging) run in this process, as `recheck --wait`.
        with tasks_run_here():
            while batch := lease_due_sources(limit=25):
                for source_id, stamp in batch:
                    counts[source_recheck(source_id, leased_at=stamp).outcome] += 1
    except Exception as exc:  # reported in the table, and the parent must not hang
        counts[f"worker crashed: {type(exc).__name__}: {exc}"] += 1
    finally:
        connection.close()
        queue.put(counts)


def _run(workers: int) -> tuple[Counter[str], float]:
    from django.db import connections

    connections.close_all()  # never share a connection with forked children
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    started = time.monotonic()
    procs = [ctx.Process(target=_worker, args=(queue,)) for _ in range(workers)]
    for proc in procs:
        proc.start()
    totals: Counter[str] = Counter()
    for _ in procs:
        totals.update(queue.get())
    for proc in procs:
        proc.join()
    return totals, time.monotonic() - started


def _sizes() -> dict[str, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname::text, pg_total_relation_size(oid) FROM pg_class WHERE relname = ANY(%s)",
            [TABLES],
        )
        return dict(cursor.fetchall())


def _vacuum() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"VACUUM ANALYZE {table}")


def _make_all_due() -> None:
    from datetime import timedelta

    from django.utils import timezone

    from sources.models import Source

    Source.objects.update(next_check_at=timezone.now() - timedelta(minutes=1))


def _counts() -> dict[str, int]:
    from sources.models import Passage, Snapshot, SourceCheck

    return {"snapshots": Snapshot.objects.count(), "passages": Passage.objects.count(),
            "history rows": SourceCheck.objects.count()}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sources", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    admin_url, bench_url, name = _bench_database_url()
    _admin(admin_url, f'CREATE DATABASE "{name}"')
    server = None
    try:
        _setup_django(bench_url)
        from django.core.management import call_command
        from django.db import connections

        from tests.httpserver import LocalServer

        call_command("migrate", verbosity=0)
        server = LocalServer()
        pages = Pages()
        for i in range(args.sources):
            server.handle(f"/s/{i}", pages)
        server.start()
        _seed(args.sources, server.url("").rstrip("/"))

        pages.round = pages.content = 2
        mixed, mixed_s = _run(args.workers)
        after_mixed = _counts()

        pages.round = 3  # no text changes now (the noisy pages still send new bytes)
        _make_all_due()
        _vacuum()
        before, rows_before = _sizes(), _counts()
        unchanged, unchanged_s = _run(args.workers)
        after, rows_after = _sizes(), _counts()
        n_unchanged = sum(unchanged.values())

        _make_all_due()
        _vacuum()
        before2 = _sizes()
        again, _ = _run(args.workers)
        after2 = _sizes()
        connections.close_all()

        print("## Scheduled re-checks (bench/recheck.py)\n")
        print(f"{args.sources:,} sources on a local HTTP server (one process, threads), "
              f"{args.workers} worker processes, {os.cpu_count()} cores; each worker leases batches of 25 "
              "with the real due-selection (SKIP LOCKED) and runs the full re-check in-process "
              "(the `recheck --wait` path).\n")  # fmt: skip
        print("| run | re-checks | seconds | re-checks/s | outcomes |")
        print("|---|---:|---:|---:|---|")
        runs = [
            ("mixed (5 % changed, 5 % new bytes same text, 90 % 304)", mixed, mixed_s),
            ("all unchanged (95 % 304, 5 % new bytes same text)", unchanged, unchanged_s),
        ]
        for label, counts, secs in runs:
            total = sum(counts.values())
            outcomes = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
            print(f"| {label} | {total:,} | {secs:.1f} | {total / secs:.0f} | {outcomes} |")
        print(f"\nRows after the mixed run: {after_mixed}.\n")
        print(f"Database growth over {n_unchanged:,} unchanged re-checks (after VACUUM; "
              f"rows before {rows_before}, after {rows_after}):\n")  # fmt: skip
        print("| relation (with indexes, TOAST) | first pass: bytes | bytes/re-check | next pass: bytes |")
        print("|---|---:|---:|---:|")
        for table in TABLES:
            grew = after.get(table, 0) - before.get(table, 0)
            grew2 = after2.get(table, 0) - before2.get(table, 0)
            print(f"| {table} | {grew:,} | {grew / max(n_unchanged, 1):.1f} | {grew2:,} |")
        total = sum(after.values()) - sum(before.values())
        total2 = sum(after2.values()) - sum(before2.values())
        print(f"| **all** | {total:,} | {total / max(n_unchanged, 1):.1f} | {total2:,} "
              f"({total2 / max(sum(again.values()), 1):.1f}/re-check) |")  # fmt: skip
    finally:
        if server is not None:
            server.stop()
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # Django may not be set up yet
            pass
        _admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
