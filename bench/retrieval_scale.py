"""Passage retrieval at 10k, 100k (and, with --full, 1M) synthetic news-like passages.

    .venv/bin/python bench/retrieval_scale.py [--sizes 10000,100000] [--full] [--queries 200]

Builds a dedicated database `bench_retrieval` (dropped at the end) on the server in DATABASE_URL when it
has pgvector, otherwise on an embedded PostgreSQL 18 + pgvector started under .var/bench-pg (stopped at
the end). For each size it generates a corpus, bulk-loads it with COPY, fills the full-text vectors, the
term statistics and the embeddings, builds the GIN and HNSW indexes (timed), then times `search_passages`
(hybrid as shipped, and full-text only) against the naive baseline — rank every passage matching an OR of
the claim's terms with ts_rank_cd — over real claims from the shared verification sets.

Corpus: vocabulary, names and sentence lengths come at run time from the shared verification data (read
from ../shared, never copied); word ranks follow a Zipf law, each document has a few topic words, and
numbers, years and names are sprinkled in. Passages are windows of 1–3 sentences like `cut_passages`.
Embeddings: MiniLM runs at ~60 sentences/s here, so only a few thousand real sentences are encoded; every
passage vector is a noisy mixture of those (its document's centre, one other, Gaussian noise),
normalised, so the HNSW graph sees clustered data. Prints one markdown section for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import psycopg

from common import cpu_model, required_extras, with_database  # bench/ is on sys.path when run as a script

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
DATA = BASE_DIR.parent / "shared" / "data" / "verification"
BENCH_DB = "bench_retrieval"
EMBEDDED_DIR = BASE_DIR / ".var" / "bench-pg"
CACHE_DIR = BASE_DIR / ".var" / "cache"
BASE_VECTORS = 3000
DIM = 384
SEED = 20240601
# Per query-set timing budget (seconds): the naive baseline at 1M runs ~1 s a query.
METHOD_BUDGET = 240.0


# --- machine and database plumbing --------------------------------------------------------------


def has_pgvector(url: str) -> bool:
    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        return (
            conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'").fetchone() is not None
        )


def drop_database(url: str, name: str) -> None:
    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def create_database(url: str, name: str) -> None:
    drop_database(url, name)
    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')


def migrate(url: str) -> None:
    env = dict(os.environ, DATABASE_URL=url)
    subprocess.run(
        [sys.executable, str(BASE_DIR / "manage.py"), "migrate", "--noinput", "--verbosity", "0"],
        env=env,
        check=True,
        cwd=BASE_DIR,
    )


# --- corpus generator ---------------------------------------------------------------------------

WORD = re.compile(r"[A-Za-z][a-z]+(?:'[a-z]+)?")
NAME = re.compile(r"(?<=[a-z,;] )[A-Z][a-z]{2,}")


def shared_texts() -> tuple[list[str], list[str]]:
    """(sentences for the vocabulary and base embeddings, claims for queries) from the shared sets."""
    sentences: list[str] = []
    claims: list[tuple[str, str]] = []

    def rows(name: str):
        path = DATA / name
        if not path.exists():
            return
        with open(path, encoding="utf-8") as lines:
            for line in lines:
                yield json.loads(line)

    for row in rows("climate_fever_dev_claims.jsonl"):
        claims.append(("climate-fever", row["claim"]))
        sentences.extend(e["evidence"] for e in row.get("evidences", []))
    for row in rows("healthver_dev.jsonl"):
        claims.append(("healthver", row["claim"]))
        sentences.append(row["evidence"])
    for row in rows("liar_plus_val.jsonl"):
        claims.append(("liar", row["statement"]))
        sentences.extend(re.split(r"(?<=[.!?])\s+", row.get("justification") or ""))
    for row in rows("wice_dev.jsonl"):
        claims.append(("wice", row["claim"]))
        sentences.extend(row.get("evidence") or [])
    sentences = [s.strip() for s in sentences if 40 <= len(s.strip()) <= 400]
    claim_texts = list(dict.fromkeys(text.strip() for _, text in claims if len(text.split()) >= 5))
    return sentences, claim_texts


def pick_claims(claim_texts: list[str], count: int) -> list[str]:
    rng = np.random.default_rng(SEED)
    order = rng.permutation(len(claim_texts))[:count]
    return [claim_texts[i] for i in order]


class Corpus:
    """Zipfian synthetic documents; passages are 1–3 sentence windows, one starting at each sentence."""

    def __init__(self, sentences: list[str], seed: int = SEED) -> None:
        counts: Counter[str] = Counter()
        capitalised: Counter[str] = Counter()
        lengths = []
        for sentence in sentences:
            words = WORD.findall(sentence)
            lengths.append(len(words))
            counts.update(w.lower() for w in words if w[0].islower())
            capitalised.update(NAME.findall(sentence))
        self.vocab = [w for w, n in counts.most_common() if n >= 2]
        self.names = [w for w, n in capitalised.most_common(3000) if w.lower() not in counts or n > 3]
        ranks = np.arange(len(self.vocab), dtype=np.float64)
        weights = 1.0 / (ranks + 2.7) ** 1.05  # Zipf-Mandelbrot
        self.cdf = np.cumsum(weights) / weights.sum()
        self.lengths = np.clip(np.array(lengths), 6, 35)
        self.rng = np.random.default_rng(seed)

    def number(self) -> str:
        r = self.rng.random()
        if r < 0.35:
            return str(int(self.rng.integers(1900, 2026)))
        if r < 0.55:
            return f"{int(self.rng.integers(1, 100))}%"
        if r < 0.75:
            return f"{int(self.rng.integers(1000, 900000)):,}"
        if r < 0.9:
            return f"{self.rng.random() * 100:.1f}"
        return f"${self.rng.integers(1, 999)} {'million' if self.rng.random() < 0.6 else 'billion'}"

    def document(self, sentence_count: int) -> list[str]:
        rng = self.rng
        vocab, names = self.vocab, self.names
        topic = rng.integers(150, min(len(vocab), 15000), size=8)
        doc_names = [names[i] for i in rng.integers(0, len(names), size=4)]
        lengths = rng.choice(self.lengths, size=sentence_count)
        total = int(lengths.sum())
        words = np.searchsorted(self.cdf, rng.random(total))
        topical = rng.random(total) < 0.2
        words[topical] = topic[rng.integers(0, len(topic), size=int(topical.sum()))]
        kinds = rng.random(total)
        out = []
        position = 0
        for length in lengths:
            tokens = []
            for k in range(position, position + int(length)):
                if kinds[k] < 0.05:
                    tokens.append(doc_names[k % 4] if kinds[k] < 0.035 else names[k * 7919 % len(names)])
                elif kinds[k] > 0.96:
                    tokens.append(self.number())
                else:
                    tokens.append(vocab[words[k]])
            position += int(length)
            sentence = " ".join(tokens)
            out.append(sentence[0].upper() + sentence[1:] + ".")
        return out

    def generate(self, passages: int):  # generator of (doc text, [(start, end, text)])
        made = 0
        while made < passages:
            n = min(int(self.rng.integers(8, 40)), passages - made)
            sentences = self.document(n)
            text = " ".join(sentences)
            starts, offset = [], 0
            for s in sentences:
                starts.append(offset)
                offset += len(s) + 1
            windows = []
            for i, start in enumerate(starts):
                end = start + len(sentences[i])
                for j in range(i + 1, min(i + 3, n)):
                    following_end = starts[j] + len(sentences[j])
                    if following_end - start > 320:
                        break
                    end = following_end
                windows.append((start, end, text[start:end]))
            made += n
            yield text, windows


# --- embeddings ---------------------------------------------------------------------------------


def base_vectors(sentences: list[str]) -> tuple[np.ndarray, float]:
    """MiniLM vectors of BASE_VECTORS real sentences (cached in .var/cache): (vectors, s a sentence)."""
    rng = np.random.default_rng(SEED + 1)
    chosen = [sentences[i] for i in rng.permutation(len(sentences))[:BASE_VECTORS]]
    key = hashlib.sha256("\n".join(chosen).encode()).hexdigest()[:16]
    cache = CACHE_DIR / f"bench_retrieval_scale_{key}.npy"
    if cache.exists():
        return np.load(cache), float("nan")
    from text.embeddings import encode

    started = time.perf_counter()
    vectors = encode(chosen)
    per = (time.perf_counter() - started) / len(chosen)
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    np.save(cache, vectors)
    return vectors, per


def mixed_vectors(bases: np.ndarray, centres: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Unit vectors near their document's centre: centre + 0.5 * another base + noise."""
    others = bases[rng.integers(0, len(bases), size=len(centres))]
    noise = rng.standard_normal((len(centres), DIM)).astype(np.float32) * np.float32(0.03)
    v = bases[centres] + np.float32(0.5) * others + noise
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


# --- loading ------------------------------------------------------------------------------------

COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
ROW_HEAD = struct.Struct(">hiqiqiiiiii")
VECTOR_HEAD = struct.Struct(">ihh").pack(4 + 4 * DIM, DIM, 0)


def load(conn: psycopg.Connection, corpus: Corpus, size: int, bases: np.ndarray) -> dict[str, float]:
    """Generate and COPY `size` passages; fill search vectors, term statistics; returns timings (s)."""
    timings: dict[str, float] = {}
    rng = np.random.default_rng(SEED + size)
    now = datetime.now(UTC)
    conn.execute(
        "TRUNCATE sources_termstat, sources_passage, sources_snapshot, sources_source "
        "RESTART IDENTITY CASCADE"
    )
    conn.execute("DROP INDEX IF EXISTS passage_search_gin")
    conn.execute("DROP INDEX IF EXISTS passage_embedding_hnsw")
    conn.execute("DROP TABLE IF EXISTS bench_passage_load")
    conn.execute(
        "CREATE UNLOGGED TABLE bench_passage_load (id bigint, snapshot_id bigint, position int, "
        'start int, "end" int, text text, embedding vector(384))'
    )
    source_cols = ["id", "url", "domain", "origin", "status", "created_at"]
    snapshot_cols = ["id", "source_id", "fetched_at", "final_url", "http_status", "content_type", "headers",
                     "raw_body", "text", "title", "language", "content_hash"]  # fmt: skip
    source_extra = required_extras(conn, "sources_source", source_cols)
    snapshot_extra = required_extras(conn, "sources_snapshot", snapshot_cols)
    passage_cols = ["id", "snapshot_id", "position", "start", "end", "text", "search_vector", "embedding"]
    passage_extra = required_extras(conn, "sources_passage", passage_cols)
    generate = copy = 0.0
    passage_id = 0
    doc_id = 0
    started = time.perf_counter()
    docs = corpus.generate(size)
    with conn.cursor() as cur:
        while True:
            t0 = time.perf_counter()
            batch = []
            count = 0
            for doc in docs:
                batch.append(doc)
                count += len(doc[1])
                if count >= 20000:
                    break
            if not batch:
                break
            centres = np.repeat(
                rng.integers(0, len(bases), size=len(batch)), [len(windows) for _, windows in batch]
            )
            vectors = mixed_vectors(bases, centres, rng).astype(">f4").tobytes()
            rows = []
            sources, snapshots = [], []
            for text, windows in batch:
                doc_id += 1
                sources.append(
                    (doc_id, f"https://news{doc_id % 97}.example/{doc_id}", f"news{doc_id % 97}.example")
                )
                snapshots.append((doc_id, doc_id, text, hashlib.sha256(text.encode()).hexdigest()))
                for position, (start, end, passage) in enumerate(windows):
                    encoded = passage.encode()
                    offset = len(rows) * 4 * DIM
                    passage_id += 1
                    rows.append(
                        ROW_HEAD.pack(7, 8, passage_id, 8, doc_id, 4, position, 4, start, 4, end)
                        + struct.pack(">i", len(encoded))
                        + encoded
                        + VECTOR_HEAD
                        + vectors[offset : offset + 4 * DIM]
                    )
            t1 = time.perf_counter()
            generate += t1 - t0
            with cur.copy(copy_sql("sources_source", source_cols, source_extra)) as cp:
                tail = tuple(value for _, value in source_extra)
                for pk, url, domain in sources:
                    cp.write_row((pk, url, domain, "feed", "ok", now, *tail))
            with cur.copy(copy_sql("sources_snapshot", snapshot_cols, snapshot_extra)) as cp:
                tail = tuple(value for _, value in snapshot_extra)
                for pk, source_id, text, digest in snapshots:
                    cp.write_row(
                        (pk, source_id, now, "", 200, "text/html", "{}", b"", text, "", "en", digest, *tail)
                    )
            with cur.copy("COPY bench_passage_load FROM STDIN (FORMAT BINARY)") as cp:
                cp.write(COPY_HEADER + b"".join(rows) + struct.pack(">h", -1))
            copy += time.perf_counter() - t1
    timings["generate"] = generate
    timings["copy"] = copy
    timings["total_load"] = time.perf_counter() - started

    t0 = time.perf_counter()
    extra_names = "".join(f', "{name}"' for name, _ in passage_extra)
    conn.execute(
        'INSERT INTO sources_passage (id, snapshot_id, position, start, "end", text, search_vector, '
        f"embedding{extra_names}) "
        "SELECT id, snapshot_id, position, start, \"end\", text, to_tsvector('english', text), embedding"
        + "".join(", %s" for _ in passage_extra)
        + " FROM bench_passage_load ORDER BY id",
        [value for _, value in passage_extra],
    )
    conn.execute("DROP TABLE bench_passage_load")
    for table in ("sources_source", "sources_snapshot", "sources_passage"):
        conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    timings["tsvector"] = time.perf_counter() - t0

    # The same statement as sources.passages._add_term_statistics, over the whole table at once.
    t0 = time.perf_counter()
    conn.execute(
        "INSERT INTO sources_termstat (term, ndoc) "
        "SELECT word, ndoc FROM ts_stat(%s) "
        "UNION ALL SELECT %s, %s ORDER BY 1 "
        "ON CONFLICT (term) DO UPDATE SET ndoc = sources_termstat.ndoc + EXCLUDED.ndoc",
        ["SELECT search_vector FROM sources_passage", "", passage_id],
    )
    timings["termstat"] = time.perf_counter() - t0
    timings["passages"] = passage_id
    timings["documents"] = doc_id
    return timings


def build_indexes(conn: psycopg.Connection, size: int) -> dict[str, float]:
    timings: dict[str, float] = {}
    # ~2.3 KB a vector for an in-memory HNSW build (DESIGN.md); leave headroom, cap at 3 GB.
    mem_mb = int(min(3072, max(256, size * 2.6 / 1024)))
    conn.execute(f"SET maintenance_work_mem = '{mem_mb}MB'")
    conn.execute("SET max_parallel_maintenance_workers = 1")  # leader + 1 worker on 2 cores
    t0 = time.perf_counter()
    conn.execute("CREATE INDEX passage_search_gin ON sources_passage USING gin (search_vector)")
    timings["gin"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    conn.execute(
        "CREATE INDEX passage_embedding_hnsw ON sources_passage "
        "USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)"
    )
    timings["hnsw"] = time.perf_counter() - t0
    timings["maintenance_work_mem_mb"] = mem_mb
    conn.execute("RESET maintenance_work_mem")
    conn.execute("RESET max_parallel_maintenance_workers")
    t0 = time.perf_counter()
    conn.execute("VACUUM ANALYZE sources_passage")
    conn.execute("VACUUM ANALYZE sources_termstat")
    timings["vacuum"] = time.perf_counter() - t0
    return timings


def sizes_mb(conn: psycopg.Connection) -> dict[str, float]:
    row = conn.execute(
        "SELECT pg_table_size('sources_passage'), pg_relation_size('passage_search_gin'), "
        "pg_relation_size('passage_embedding_hnsw'), pg_total_relation_size('sources_termstat'), "
        "(SELECT count(*) FROM sources_termstat)"
    ).fetchone()
    mb = 1024 * 1024
    return {
        "table": row[0] / mb,
        "gin": row[1] / mb,
        "hnsw": row[2] / mb,
        "termstat": row[3] / mb,
        "terms": row[4],
    }


def copy_sql(table: str, columns: list[str], extras: list[tuple[str, object]]) -> str:
    names = ", ".join(f'"{c}"' for c in [*columns, *(name for name, _ in extras)])
    return f"COPY {table} ({names}) FROM STDIN"


# --- search timing ------------------------------------------------------------------------------


BASELINE_SQL = (
    "WITH q AS (SELECT replace(replace(plainto_tsquery('english', %s)::text, '<->', '|'), '&', '|')::tsquery "
    "AS q) SELECT p.id FROM sources_passage p, q WHERE q.q <> ''::tsquery AND p.search_vector @@ q.q "
    "ORDER BY ts_rank_cd(p.search_vector, q.q) DESC, p.id LIMIT 20"
)


def time_queries(run, claims: list[str]) -> dict[str, float]:
    for claim in claims[:10]:  # warm-up, not counted
        run(claim)
    times, empty = [], 0
    started = time.perf_counter()
    for claim in claims:
        t0 = time.perf_counter()
        hits = run(claim)
        times.append(time.perf_counter() - t0)
        empty += not hits
        if time.perf_counter() - started > METHOD_BUDGET:
            break
    ms = np.array(times) * 1000
    return {
        "n": len(times),
        "p50": float(np.percentile(ms, 50)),
        "p95": float(np.percentile(ms, 95)),
        "mean": float(ms.mean()),
        "empty": empty,
    }


def measure(claims: list[str], claim_vectors: dict[str, np.ndarray]) -> dict[str, dict[str, float]]:
    from django.db import connection

    import text.embeddings
    from sources.search import search_passages

    real_encode = text.embeddings.encode

    def cached_encode(texts: list[str], **kwargs: object) -> np.ndarray:
        return np.stack([claim_vectors[t] for t in texts])

    def baseline(claim: str) -> list:
        with connection.cursor() as cursor:
            cursor.execute(BASELINE_SQL, [claim])
            return cursor.fetchall()

    text.embeddings.encode = cached_encode  # time the SQL; encoding is reported on its own
    try:
        return {
            "hybrid": time_queries(lambda c: search_passages(c), claims),
            "fts": time_queries(lambda c: search_passages(c, use_vectors=False), claims),
            "baseline": time_queries(baseline, claims),
        }
    finally:
        text.embeddings.encode = real_encode


# --- main ---------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated passage counts")
    parser.add_argument("--full", action="store_true", help="also run 1,000,000 passages (20-40 min)")
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    if args.full and 1_000_000 not in sizes:
        sizes.append(1_000_000)

    server_url = os.environ.get("DATABASE_URL", "")
    embedded = False
    created_dir = False
    t_start = time.perf_counter()
    if server_url and has_pgvector(server_url):
        create_database(server_url, BENCH_DB)
        bench_url = with_database(server_url, BENCH_DB)
        where = "the server in DATABASE_URL"
    else:
        from factcheck import devservers

        created_dir = not EMBEDDED_DIR.exists()
        embedded = True
        bench_url = devservers.start_postgres(EMBEDDED_DIR, database=BENCH_DB)
        where = "an embedded PostgreSQL + pgvector (DATABASE_URL's server has no pgvector)"
    try:
        migrate(bench_url)
        os.environ["DATABASE_URL"] = bench_url
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")
        import django

        django.setup()
        from django.db import connections

        sentences, claim_texts = shared_texts()
        claims = pick_claims(claim_texts, args.queries)
        corpus = Corpus(sentences)
        bases, per_sentence = base_vectors(sentences)
        from text.embeddings import encode

        t0 = time.perf_counter()
        claim_vectors = dict(zip(claims, encode(claims), strict=True))
        encode_ms = (time.perf_counter() - t0) / len(claims) * 1000

        results = []
        with psycopg.connect(bench_url, autocommit=True) as conn:
            versions = conn.execute(
                "SELECT current_setting('server_version'), "
                "(SELECT extversion FROM pg_extension WHERE extname = 'vector'), "
                "current_setting('shared_buffers')"
            ).fetchone()
            for size in sizes:
                load_t = load(conn, corpus, size, bases)
                index_t = build_indexes(conn, size)
                connections.close_all()
                timings = measure(claims, claim_vectors)
                results.append((size, load_t, index_t, sizes_mb(conn), timings))
                print(f"done {size} passages", file=sys.stderr, flush=True)
        connections.close_all()
    finally:
        try:
            if embedded:
                from factcheck import devservers

                drop_database(bench_url, BENCH_DB)
                devservers.stop_postgres(EMBEDDED_DIR)
                if created_dir:
                    shutil.rmtree(EMBEDDED_DIR, ignore_errors=True)
            else:
                drop_database(server_url, BENCH_DB)
        except Exception as exc:  # report, but do not hide the real error
            print(f"cleanup failed: {exc}", file=sys.stderr)
    elapsed = time.perf_counter() - t_start
    report(
        results, versions, where, corpus, encode_ms, per_sentence, len(claims), elapsed, 1_000_000 in sizes
    )
    return 0


def report(results, versions, where, corpus, encode_ms, per_sentence, n_claims, elapsed, full) -> None:
    print("## Retrieval at scale (synthetic passages: hybrid vs full-text only vs naive OR + ts_rank_cd)\n")
    print(
        f"Machine: nproc {os.cpu_count()}, {cpu_model()}. PostgreSQL {versions[0]} "
        f"with pgvector {versions[1]} "
        f"(shared_buffers {versions[2]}) on {where}; a dedicated database, dropped afterwards. "
        f"Whole run {elapsed / 60:.1f} min.\n"
    )
    print(
        f"Corpus: synthetic news-like documents of 8–40 sentences over a Zipfian vocabulary of "
        f"{len(corpus.vocab):,} real English words and {len(corpus.names):,} names taken at run time "
        "from the "
        "shared verification sets, with numbers, percentages and years; passages are windows of "
        "1–3 sentences "
        "(≤ 320 chars), one starting at each sentence, as `cut_passages` cuts them. "
        "**Vectors are synthetic**: "
        f"{BASE_VECTORS:,} real sentences were embedded with MiniLM"
        + (f" ({per_sentence * 1000:.0f} ms each)" if per_sentence == per_sentence else " (cached)")
        + "; each passage's vector is its document's centre + 0.5 × another of those + Gaussian noise, "
        "normalised, so the HNSW graph sees clustered data (encoding 1M passages would take ~5 h here). "
        f"Queries: {n_claims} real claims (Climate-FEVER, HealthVer, LIAR, WiCE dev), their vectors encoded "
        f"beforehand (MiniLM: {encode_ms:.0f} ms a claim, not included below). Latency is `search_passages` "
        "end to end through Django (20 results); the baseline is one SQL statement ranking every passage "
        "that matches an OR of all the claim's terms with `ts_rank_cd`. Each set: 10 warm-up queries, then "
        f"all queries or {METHOD_BUDGET:.0f} s, whichever ends first.\n"
    )
    print("| passages | documents | generate s | COPY s | tsvector insert s | term stats s | GIN build s "
          "| HNSW build s (maintenance_work_mem) | VACUUM ANALYZE s |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for _size, lt, it, _, _ in results:
        print(
            f"| {lt['passages']:,} | {lt['documents']:,} | {lt['generate']:.1f} | {lt['copy']:.1f} "
            f"| {lt['tsvector']:.1f} | {lt['termstat']:.1f} | {it['gin']:.1f} "
            f"| {it['hnsw']:.1f} ({it['maintenance_work_mem_mb']} MB) | {it['vacuum']:.1f} |"
        )
    print("\n| passages | table (heap + TOAST) MB | GIN MB | HNSW MB | term stats: terms / MB |")
    print("|---:|---:|---:|---:|---:|")
    for _size, lt, _, sz, _ in results:
        print(
            f"| {lt['passages']:,} | {sz['table']:.0f} | {sz['gin']:.0f} | {sz['hnsw']:.0f} "
            f"| {sz['terms']:,} / {sz['termstat']:.1f} |"
        )
    print(
        "\n| passages | method | queries | p50 ms | p95 ms | mean ms | no results "
        "| p50 / baseline | p95 / baseline |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    labels = {
        "hybrid": "ours: hybrid (rare-term FTS + HNSW, RRF)",
        "fts": "ours: full-text only",
        "baseline": "baseline: OR of all terms + ts_rank_cd",
    }
    for _size, lt, _, _, timings in results:
        base = timings["baseline"]
        for key, label in labels.items():
            t = timings[key]
            print(
                f"| {lt['passages']:,} | {label} | {t['n']} | {t['p50']:.1f} | {t['p95']:.1f} "
                f"| {t['mean']:.1f} "
                f"| {t['empty']} | {t['p50'] / base['p50']:.3f} | {t['p95'] / base['p95']:.3f} |"
            )
    if not full:
        print(
            "\n1M passages was not run (it takes 20–40 min here, most of it the HNSW build); run "
            "`.venv/bin/python bench/retrieval_scale.py --full` to add it."
        )


if __name__ == "__main__":
    sys.exit(main())
