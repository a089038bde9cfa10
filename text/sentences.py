"""Sentence splitting with exact character offsets into the input string.

pysbd does the hard part (abbreviations such as "U.S.", "Mr.", "Jan.", decimals, initials). Around it
we guarantee two things pysbd alone does not: a sentence never crosses a paragraph break, and every
span is an exact, stripped slice of the caller's string, so claims can be highlighted in the article.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import pysbd

__all__ = ["SentenceSpan", "split_sentences"]


@dataclass(frozen=True)
class SentenceSpan:
    start: int
    end: int
    text: str  # always source[start:end], with no leading or trailing whitespace


_LINE = re.compile(r"[^\n]*(?:\n|$)")
# A line break is kept inside a block only when it sits in the middle of a hard-wrapped sentence:
# the line ends mid-phrase and the next one starts in lower case. Everything else (trafilatura's
# one-paragraph-per-line output, headlines, list items) is a boundary.
_ENDS_MID_PHRASE = re.compile(r"[a-z,;\-–]\s*$")
_STARTS_LOWER = re.compile(r"^\s*[a-z]")
_INNER_STOP = re.compile(r"[.!?…]\S*\s")


@lru_cache(maxsize=1)
def _segmenter() -> pysbd.Segmenter:
    # Building the segmenter compiles many regexes; one per process is plenty.
    return pysbd.Segmenter(language="en", clean=False)


def _blocks(text: str) -> list[tuple[int, int]]:
    """Cut the text into (start, end) blocks that a sentence may never cross."""
    blocks: list[tuple[int, int]] = []
    block_start: int | None = None
    prev_line = ""
    pos = 0
    for match in _LINE.finditer(text):
        line = match.group()
        if not line:
            break
        pos = match.start()
        if not line.strip():
            if block_start is not None:
                blocks.append((block_start, pos))
                block_start = None
        elif block_start is None:
            block_start = pos
        elif not (_ENDS_MID_PHRASE.search(prev_line) and _STARTS_LOWER.match(line)):
            blocks.append((block_start, pos))
            block_start = pos
        prev_line = line if line.strip() else ""
    if block_start is not None:
        blocks.append((block_start, len(text)))
    return blocks


def _align(block: str, segments: list[str]) -> list[tuple[int, int]]:
    """Map pysbd's segments back to (start, end) offsets inside block.

    With clean=False pysbd returns verbatim slices, so a forward search finds them. If a future
    version normalises whitespace, we fall back to counting non-space characters, which still
    lands on the right boundaries.
    """
    spans: list[tuple[int, int]] = []
    cursor = 0
    for segment in segments:
        piece = segment.strip()
        if not piece:
            continue
        found = block.find(piece, cursor)
        if found != -1 and not block[cursor:found].strip():
            start, end = found, found + len(piece)
        else:
            start, end = _align_by_visible_chars(block, cursor, piece)
        if end > start:
            spans.append((start, end))
            cursor = end
    if block[cursor:].strip():
        # Whatever pysbd dropped still belongs to the text; keep it rather than lose a claim.
        tail = block[cursor:]
        lead = len(tail) - len(tail.lstrip())
        spans.append((cursor + lead, cursor + len(tail.rstrip())))
    return spans


def _align_by_visible_chars(block: str, cursor: int, piece: str) -> tuple[int, int]:
    wanted = sum(1 for ch in piece if not ch.isspace())
    start = cursor
    while start < len(block) and block[start].isspace():
        start += 1
    end, seen = start, 0
    while end < len(block) and seen < wanted:
        if not block[end].isspace():
            seen += 1
        end += 1
    return start, end


def split_sentences(text: str) -> list[SentenceSpan]:
    """Split text into sentences; each span's text is exactly text[start:end]."""
    segmenter = _segmenter()
    spans: list[SentenceSpan] = []
    for block_start, block_end in _blocks(text):
        block = text[block_start:block_end]
        if not block.strip():
            continue
        # Newlines left inside a block are wrapped lines; pysbd would split at them. A space has
        # the same length, so offsets are unchanged.
        flat = block.replace("\n", " ")
        # pysbd costs ~0.25 ms a call even for a heading; a block with no inner stop is one sentence.
        segments = segmenter.segment(flat) if _INNER_STOP.search(flat.rstrip()) else [flat]
        for start, end in _align(flat, segments):
            s, e = block_start + start, block_start + end
            spans.append(SentenceSpan(start=s, end=e, text=text[s:e]))
    return spans
