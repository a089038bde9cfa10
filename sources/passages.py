"""Cut a snapshot's text into passages and index them: full-text vector, term statistics, embeddings.

A passage is a window of one to three consecutive sentences (stride one sentence), short enough to
quote to a reviewer and long enough to carry a claim's context. Indexing a snapshot is idempotent:
a snapshot that already has passages is left alone.
"""

from dataclasses import dataclass
from functools import lru_cache

from django.db import connection, transaction

from text.sentences import split_sentences

from .models import Passage, Snapshot

MAX_WINDOW_SENTENCES = 3
MAX_WINDOW_CHARS = 320
# The row in the term-statistics table that holds the number of passages (the N of IDF).
TOTAL_TERM = ""


@dataclass(frozen=True)
class PassageSpan:
    start: int
    end: int
    text: str


def cut_passages(text: str) -> list[PassageSpan]:
    """Windows of 1–3 sentences starting at every sentence, never over MAX_WINDOW_CHARS (unless a
    single sentence is longer, which then stands alone)."""
    sentences = split_sentences(text)
    windows: list[PassageSpan] = []
    for i, first in enumerate(sentences):
        end = first.end
        for following in sentences[i + 1 : i + MAX_WINDOW_SENTENCES]:
            if following.end - first.start > MAX_WINDOW_CHARS:
                break
            end = following.end
        windows.append(PassageSpan(first.start, end, text[first.start : end]))
    return windows


@lru_cache(maxsize=4)
def _has_embedding_column(alias: str = "default") -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM information_schema.columns "
            "WHERE table_name = 'sources_passage' AND column_name = 'embedding'"
        )
        return cursor.fetchone() is not None


def vectors_enabled() -> bool:
    """True when PostgreSQL has pgvector and the embedding model is installed."""
    from text.embeddings import model_available

    return _has_embedding_column() and model_available()


def vector_literal(vector) -> str:  # a numpy row
    return "[" + ",".join(f"{value:.6f}" for value in vector) + "]"


def snapshot_index(snapshot: Snapshot) -> int:
    """Create and index the passages of a snapshot. Returns how many were created (0 if done before)."""
    if Passage.objects.filter(snapshot=snapshot).exists():
        return 0
    spans = cut_passages(snapshot.text)
    if not spans:
        return 0
    with transaction.atomic():
        # Lock the snapshot row so two workers indexing it at once cannot both insert.
        Snapshot.objects.select_for_update().filter(pk=snapshot.pk).first()
        if Passage.objects.filter(snapshot=snapshot).exists():
            return 0
        Passage.objects.bulk_create(
            Passage(snapshot=snapshot, position=i, start=span.start, end=span.end, text=span.text)
            for i, span in enumerate(spans)
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE sources_passage SET search_vector = to_tsvector('english', text) "
                "WHERE snapshot_id = %s",
                [snapshot.pk],
            )
            _add_term_statistics(cursor, snapshot.pk, len(spans))
    if vectors_enabled():
        passage_embed(list(Passage.objects.filter(snapshot=snapshot).values_list("id", "text")))
    return len(spans)


def _add_term_statistics(cursor, snapshot_id: int, passages: int) -> None:
    """Document frequencies for IDF, kept incrementally (ts_stat over the whole table is too slow)."""
    # ORDER BY term: concurrent upserts take row locks in the same order and cannot deadlock.
    cursor.execute(
        "INSERT INTO sources_termstat (term, ndoc) "
        "SELECT word, ndoc FROM ts_stat(%s) "
        "UNION ALL SELECT %s, %s ORDER BY 1 "
        "ON CONFLICT (term) DO UPDATE SET ndoc = sources_termstat.ndoc + EXCLUDED.ndoc",
        [
            f"SELECT search_vector FROM sources_passage WHERE snapshot_id = {int(snapshot_id)}",
            TOTAL_TERM,
            passages,
        ],
    )


def passage_embed(rows: list[tuple[int, str]], *, batch: int = 64) -> None:
    """Store embeddings for (passage id, text) rows; outside any long transaction."""
    from text.embeddings import encode

    for offset in range(0, len(rows), batch):
        chunk = rows[offset : offset + batch]
        vectors = encode([text for _, text in chunk])
        with connection.cursor() as cursor:
            cursor.executemany(
                "UPDATE sources_passage SET embedding = %s::vector WHERE id = %s",
                [(vector_literal(vector), pk) for (pk, _), vector in zip(chunk, vectors, strict=True)],
            )
