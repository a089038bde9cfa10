"""Partner API under load: gunicorn against 100k claims, driven from a second process.

    .venv/bin/python bench/api_load.py [--claims 100000] [--seconds 20] [--connections 8] [--threads 4]

Creates a dedicated database `bench_api` on the server in DATABASE_URL (dropped at the end), migrates it,
COPYs in articles, claims (a fraction with verdicts and evidence), sources, snapshots and passages, and a
partner key (`manage.py create_partner`). Starts gunicorn with the Procfile's web settings (2 workers,
`--threads` each; `--threads 1` is the plain sync worker) and bench/bench_settings.py, which adds a bare
DRF endpoint (the floor) and lifts the per-key rate limit. A second process (this script with --client)
keeps N keep-alive connections busy for a fixed time per endpoint with http.client and reports
throughput and latency. Queries per request are counted in-process with the Django test client and
CaptureQueriesContext. Everything started is stopped; the database and this run's cache keys are
deleted. Prints one markdown section for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import cpu_model, required_extras, with_database  # bench/ is on sys.path when run as a script

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
DATA = BASE_DIR.parent / "shared" / "data" / "verification"
BENCH_DB = "bench_api"
CACHE_PREFIX = "bench-api-load"
SETTINGS = "bench.bench_settings"
CLAIMS_PER_ARTICLE = 10
VERDICT_SHARE = 0.15
OWN_ARTICLE_SHARE = 0.10
EVIDENCE_PER_VERDICT = 3


def admin_execute(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        conn.execute(sql)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def copy_rows(conn, table: str, columns: list[str], rows) -> None:
    extras = required_extras(conn, table, columns)
    names = ", ".join(f'"{c}"' for c in [*columns, *(name for name, _ in extras)])
    tail = tuple(value for _, value in extras)
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({names}) FROM STDIN") as cp:
        for row in rows:
            cp.write_row((*row, *tail))


def claim_texts() -> list[str]:
    texts: list[str] = []
    for name, field in (
        ("climate_fever_dev_claims.jsonl", "claim"),
        ("healthver_dev.jsonl", "claim"),
        ("liar_plus_val.jsonl", "statement"),
        ("wice_dev.jsonl", "claim"),
    ):
        path = DATA / name
        if path.exists():
            with open(path, encoding="utf-8") as lines:
                texts.extend(json.loads(line)[field].strip() for line in lines)
    texts = [t for t in dict.fromkeys(texts) if t]
    return texts or ["The unemployment rate fell to 3.5% in 2019, the lowest in fifty years."]


def fill(db_url: str, claims: int, partner_id: int, api_key_id: int) -> dict[str, int]:
    """COPY the data set; returns counts."""
    import random

    import psycopg

    rng = random.Random(7)
    texts = claim_texts()
    now = datetime.now(UTC)
    articles = (claims + CLAIMS_PER_ARTICLE - 1) // CLAIMS_PER_ARTICLE
    snapshots, passages_per_snapshot = 2000, 10
    passages = snapshots * passages_per_snapshot
    counts = {"articles": articles, "claims": claims, "passages": passages}
    with psycopg.connect(db_url, autocommit=True) as conn:
        copy_rows(
            conn,
            "sources_source",
            ["id", "url", "domain", "origin", "status", "created_at"],
            ((i, f"https://evidence{i % 50}.example/{i}", f"evidence{i % 50}.example", "feed", "ok", now)
             for i in range(1, snapshots + 1)),
        )  # fmt: skip
        copy_rows(
            conn,
            "sources_snapshot",
            ["id", "source_id", "fetched_at", "final_url", "http_status", "content_type", "headers",
             "raw_body", "text", "title", "language", "content_hash"],
            ((i, i, now, f"https://evidence{i % 50}.example/{i}", 200, "text/html", "{}", b"",
              " ".join(texts[(i + k) % len(texts)] for k in range(passages_per_snapshot)),
              f"Report {i}", "en",
              hashlib.sha256(str(i).encode()).hexdigest()) for i in range(1, snapshots + 1)),
        )  # fmt: skip
        copy_rows(
            conn,
            "sources_passage",
            ["id", "snapshot_id", "position", "start", "end", "text"],
            ((s * passages_per_snapshot + k + 1, s + 1, k, k * 200, k * 200 + 150,
              texts[(s + k) % len(texts)]) for s in range(snapshots) for k in range(passages_per_snapshot)),
        )  # fmt: skip
        copy_rows(
            conn,
            "claims_article",
            ["id", "input_kind", "url", "title", "status", "text", "progress", "outbound_links", "created_at",
             "updated_at", "processed_at"],
            ((i, "url", f"https://news{i % 200}.example/story/{i}", f"Story {i}", "done", "", "[]", "[]",
              now - timedelta(days=400 - i * 365 / articles), now, now) for i in range(1, articles + 1)),
        )  # fmt: skip
        own = [i for i in range(1, articles + 1) if rng.random() < OWN_ARTICLE_SHARE]
        copy_rows(
            conn,
            "partners_partnersubmission",
            ["partner_id", "article_id", "api_key_id", "request_hash", "created_at"],
            ((partner_id, i, api_key_id, "", now) for i in own),
        )
        counts["own_articles"] = len(own)
        claim_rows, evidence_rows = [], []
        verdicts = 0
        for i in range(1, claims + 1):
            text = texts[i % len(texts)]
            r = rng.random()
            if r < VERDICT_SHARE:
                status = "verified" if r < VERDICT_SHARE / 2 else "disputed"
                rationale, label = f"Checked against the sources for claim {i}.", status.title()
                reviewed = now - timedelta(days=rng.random() * 300)
                verdicts += 1
                first = rng.randrange(passages - EVIDENCE_PER_VERDICT)
                for k in range(EVIDENCE_PER_VERDICT):
                    passage = first + k + 1  # distinct passages: (claim, passage) is unique
                    snapshot = (passage - 1) // passages_per_snapshot + 1
                    stance = ("supports", "refutes", "unclear")[k]
                    evidence_rows.append(
                        (
                            i,
                            passage,
                            snapshot,
                            round(rng.random(), 3),
                            "machine",
                            stance,
                            "numbers agree",
                            k == 0,
                        )
                    )
            else:
                status = rng.choice(["unreviewed"] * 7 + ["in_review", "dismissed"])
                rationale, label, reviewed = "", "", None
            updated = now - timedelta(seconds=rng.random() * 365 * 86400)
            article = (i - 1) // CLAIMS_PER_ARTICLE + 1
            start = ((i - 1) % CLAIMS_PER_ARTICLE) * 400
            claim_rows.append(
                (i, article, text, start, start + len(text), round(rng.random(), 3),
                 "{}", "[]", "[]", "[]", "[]",
                 hashlib.sha256(f"{i}:{text}".encode()).hexdigest(), status, rationale, label, reviewed,
                 "", False, "", 1, updated - timedelta(days=1), updated)
            )  # fmt: skip
        copy_rows(
            conn,
            "claims_claim",
            ["id", "article_id", "text", "start", "end", "score", "features", "reasons", "quantities",
             "dates",
             "entities", "fingerprint", "status", "rationale", "rating_label", "reviewed_at", "evidence_note",
             "needs_recheck", "recheck_reason", "version", "created_at", "updated_at"],
            claim_rows,
        )  # fmt: skip
        copy_rows(
            conn,
            "claims_evidence",
            ["claim_id", "passage_id", "snapshot_id", "score", "origin", "suggested_stance", "stance_reason",
             "is_confirmed", "created_at"],
            ((*row, now) for row in evidence_rows),
        )  # fmt: skip
        for table in (
            "sources_source",
            "sources_snapshot",
            "sources_passage",
            "claims_article",
            "claims_claim",
        ):
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
        conn.execute("VACUUM ANALYZE")
        counts["verdicts"] = verdicts
        counts["evidence"] = len(evidence_rows)
        counts["visible"] = conn.execute(
            "SELECT count(*) FROM claims_claim WHERE status IN ('verified', 'disputed') OR article_id IN "
            "(SELECT article_id FROM partners_partnersubmission WHERE partner_id = %s)",
            [partner_id],
        ).fetchone()[0]
        counts["detail_ids"] = [
            row[0]
            for row in conn.execute(
                "SELECT id FROM claims_claim WHERE status IN ('verified', 'disputed') "
                "ORDER BY random() LIMIT 2000"
            )
        ]
    return counts


# --- load generator (runs in its own process) ---------------------------------------------------


def client(port: int, key: str, paths: list[str], seconds: float, connections: int) -> dict:
    """Keep `connections` keep-alive connections busy for `seconds`; cycle through `paths`."""
    headers = {"Authorization": f"Api-Key {key}", "Accept": "application/json"}
    latencies: list[list[float]] = [[] for _ in range(connections)]
    errors = [0] * connections
    reconnects = [0] * connections
    stop_at = time.perf_counter() + seconds

    def worker(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        i = n
        while time.perf_counter() < stop_at:
            path = paths[i % len(paths)]
            i += connections
            t0 = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
                closing = response.getheader("Connection", "").lower() == "close"
            except (OSError, http.client.HTTPException):
                ok, closing = False, True
            latencies[n].append(time.perf_counter() - t0)
            errors[n] += not ok
            if closing:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                reconnects[n] += 1
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    flat = sorted(x for per in latencies for x in per)

    def pct(p: float) -> float:
        return flat[min(len(flat) - 1, int(p / 100 * len(flat)))] * 1000 if flat else float("nan")

    return {
        "requests": len(flat),
        "rps": len(flat) / elapsed,
        "p50": pct(50),
        "p95": pct(95),
        "p99": pct(99),
        "errors": sum(errors),
        "reconnects": sum(reconnects),
    }


def drive(port: int, key: str, paths: list[str], seconds: float, connections: int) -> dict:
    """Run the load generator in a second process; returns its measurements."""
    # A short warm-up first (imports, connections, caches), not counted.
    args = [sys.executable, __file__, "--client", str(port), "--key", key, "--connections", str(connections)]
    subprocess.run(
        [*args, "--seconds", "2"], input=json.dumps(paths), capture_output=True, text=True, check=True
    )
    result = subprocess.run(
        [*args, "--seconds", str(seconds)],
        input=json.dumps(paths),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


# --- queries per request --------------------------------------------------------------------------


def count_queries(key: str, paths: dict[str, str]) -> dict[str, tuple[int, int]]:
    """(queries, response bytes) for one request to each path, after a warm-up request."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    test_client = Client(HTTP_HOST="127.0.0.1")
    out = {}
    for name, path in paths.items():
        test_client.get(path, HTTP_AUTHORIZATION=f"Api-Key {key}")
        with CaptureQueriesContext(connection) as captured:
            response = test_client.get(path, HTTP_AUTHORIZATION=f"Api-Key {key}")
        assert response.status_code == 200, (path, response.status_code, response.content[:300])
        out[name] = (len(captured.captured_queries), len(response.content))
    return out


def wait_for(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("gunicorn exited during start-up")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/bench/bare/")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not answer in time")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads a worker (Procfile: 4)")
    parser.add_argument("--client", type=int, help=argparse.SUPPRESS)  # internal: load-generator mode
    parser.add_argument("--key", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        paths = json.loads(sys.stdin.read())
        print(json.dumps(client(args.client, args.key, paths, args.seconds, args.connections)))
        return 0

    server_url = os.environ["DATABASE_URL"]
    db_url = with_database(server_url, BENCH_DB)
    env = dict(
        os.environ,
        DATABASE_URL=db_url,
        DJANGO_SETTINGS_MODULE=SETTINGS,
        CACHE_KEY_PREFIX=CACHE_PREFIX,
        DEBUG="false",
        OPENBLAS_NUM_THREADS="1",
    )
    t_start = time.perf_counter()
    gunicorn = None
    admin_execute(server_url, f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
    admin_execute(server_url, f'CREATE DATABASE "{BENCH_DB}"')
    try:
        manage = [sys.executable, str(BASE_DIR / "manage.py")]
        subprocess.run(
            [*manage, "migrate", "--noinput", "--verbosity", "0"], env=env, check=True, cwd=BASE_DIR
        )
        key = subprocess.run(
            [*manage, "create_partner", "Bench Load Partner", "--scopes", "read,submit"],
            env=env,
            check=True,
            cwd=BASE_DIR,
            capture_output=True,
            text=True,
        ).stdout.strip()
        os.environ.update(DATABASE_URL=db_url, DJANGO_SETTINGS_MODULE=SETTINGS, CACHE_KEY_PREFIX=CACHE_PREFIX)
        import django

        django.setup()
        from partners.models import ApiKey

        api_key = ApiKey.objects.get()
        t0 = time.perf_counter()
        counts = fill(db_url, args.claims, api_key.partner_id, api_key.pk)
        fill_s = time.perf_counter() - t0
        detail_ids = counts.pop("detail_ids")
        counts["detail_claims"] = len(detail_ids)

        endpoints = {
            "bare DRF view (no auth, no query)": ["/bench/bare/"],
            "bare view behind API key + throttle": ["/bench/bare-auth/"],
            "claims list, page_size=50": ["/api/v1/claims/?page_size=50"],
            "claim detail (verdict + 3 evidence)": [f"/api/v1/claims/{pk}/" for pk in detail_ids],
        }
        queries = count_queries(key, {name: paths[0] for name, paths in endpoints.items()})
        page_queries = count_queries(
            key, {str(size): f"/api/v1/claims/?page_size={size}" for size in (10, 50, 100)}
        )

        port = free_port()
        gunicorn_log = tempfile.TemporaryFile()  # a file, not a pipe nobody reads that could fill up
        gunicorn = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "factcheck.wsgi:application",
                "--workers", "2",
                "--threads", str(args.threads),
                "--bind", f"127.0.0.1:{port}",
                "--log-level", "warning",
            ],
            env=env,
            cwd=BASE_DIR,
            stdout=subprocess.DEVNULL,
            stderr=gunicorn_log,
        )  # fmt: skip
        try:
            wait_for(port, gunicorn)
        except RuntimeError:
            gunicorn_log.seek(0)
            print(gunicorn_log.read().decode(errors="replace")[-3000:], file=sys.stderr)
            raise
        results = {
            name: drive(port, key, paths, args.seconds, args.connections) for name, paths in endpoints.items()
        }
    finally:
        if gunicorn is not None and gunicorn.poll() is None:
            gunicorn.terminate()
            try:
                gunicorn.wait(timeout=30)
            except subprocess.TimeoutExpired:
                gunicorn.kill()
                gunicorn.wait()
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # Django may not be set up yet
            pass
        admin_execute(server_url, f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        cleanup_cache(env["REDIS_URL"] if "REDIS_URL" in env else "")
    elapsed = time.perf_counter() - t_start
    report(args, counts, fill_s, queries, page_queries, results, elapsed)
    return 0


def cleanup_cache(redis_url: str) -> None:
    """Delete this run's throttle and cache keys (all under our own key prefix) from the shared Redis."""
    if not redis_url:
        return
    import redis

    client_ = redis.Redis.from_url(redis_url)
    for key in client_.scan_iter(match=f"{CACHE_PREFIX}:*", count=1000):
        client_.delete(key)


def report(args, counts, fill_s, queries, page_queries, results, elapsed) -> None:
    worker = (
        f"2 workers × {args.threads} threads (gthread, as the Procfile)"
        if args.threads > 1
        else "2 sync workers"
    )
    print("## Partner API under load (gunicorn, 100k claims)\n" if args.claims == 100_000 else
          f"## Partner API under load (gunicorn, {args.claims:,} claims)\n")  # fmt: skip
    print(
        f"Machine: nproc {os.cpu_count()}, {cpu_model()}; the server, PostgreSQL, Redis and the load "
        "generator "
        f"share these cores. gunicorn {worker}, DEBUG off, against a dedicated database (dropped afterwards) "
        f"with {counts['claims']:,} claims in {counts['articles']:,} articles ({counts['verdicts']:,} with a "
        f"verdict and {EVIDENCE_PER_VERDICT} evidence passages each; the partner submitted "
        f"{counts['own_articles']:,} articles, so it sees {counts['visible']:,} claims), loaded with COPY in "
        f"{fill_s:.0f} s. Load: a second process with {args.connections} keep-alive connections "
        f"(threads + http.client) for {args.seconds:.0f} s per endpoint after a 2 s warm-up; detail requests "
        f"cycle over {counts['detail_claims']:,} verdict claims. The per-key throttle runs (Redis) "
        "with its limit lifted. "
        f"Whole run {elapsed:.0f} s.\n"
    )
    print("| endpoint | requests | req/s | p50 ms | p95 ms | p99 ms | non-200 | queries / request | bytes |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in results.items():
        q, size = queries[name]
        print(
            f"| {name} | {r['requests']:,} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p95']:.1f} "
            f"| {r['p99']:.1f} "
            f"| {r['errors']} | {q} | {size:,} |"
        )
    bare = results["bare DRF view (no auth, no query)"]["rps"]
    ratios = ", ".join(f"{name}: {r['rps'] / bare:.2f}" for name, r in results.items() if r["rps"] != bare)
    print(f"\nThroughput relative to the bare DRF view: {ratios}.")
    sizes = ", ".join(f"page_size={size}: {q} queries" for size, (q, _) in page_queries.items())
    print(f"Claims list queries by page size (must not grow): {sizes}.")


if __name__ == "__main__":
    sys.exit(main())
