"""Article, passage and snapshot text with claims and passages highlighted at their offsets.

All of it is user or page text. Every slice of it goes through `escape` (or `format_html`, which
escapes its arguments) before our own tags are put around it; nothing is marked safe unescaped.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from text.figures import Figure, claim_figures

register = template.Library()

PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
# Words a claim and a passage share are emphasised; short and common words would only be noise.
TOKEN = re.compile(r"\d[\d,.]*\d%?|\d%?|[^\W\d_][\w'’-]*")
STOPWORDS = frozenset(
    "about after also among been before being between both could does from have into more most "
    "other over said says since such than that their them then there these they this those through "
    "under until very were what when where which while will with would year years".split()
)


@dataclass(frozen=True)
class _Segment:
    start: int
    end: int
    claim: Any = None
    sentence: Any = None


def _lines(text: str) -> str:
    """Escaped text with single line breaks kept."""
    return escape(text).replace("\n", "<br>")


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    spans, cursor = [], 0
    for match in PARAGRAPH_BREAK.finditer(text):
        if match.start() > cursor:
            spans.append((cursor, match.start()))
        cursor = match.end()
    if cursor < len(text):
        spans.append((cursor, len(text)))
    return spans


def _segments(text: str, sentences: Sequence[Any], claims: Sequence[Any]) -> list[_Segment]:
    """Claims first, then the sentences no claim covers; overlapping leftovers are not marked."""
    candidates = [_Segment(c.start, c.end, claim=c) for c in claims if 0 <= c.start < c.end <= len(text)]
    taken = [(seg.start, seg.end) for seg in candidates]
    for sentence in sentences:
        if not any(sentence.start < end and start < sentence.end for start, end in taken):
            candidates.append(_Segment(sentence.start, sentence.end, sentence=sentence))
    candidates.sort(key=lambda seg: (seg.start, seg.claim is None))
    chosen, cursor = [], 0
    for seg in candidates:
        if seg.start >= cursor and seg.end <= len(text):
            chosen.append(seg)
            cursor = seg.end
    return chosen


def figures_of(claim: Any) -> list[Figure]:
    return claim_figures(getattr(claim, "quantities", None) or [], getattr(claim, "dates", None) or [])


@register.filter
def figures(claim: Any) -> list[Figure]:
    """The claim's quantities and dates, for the list on its page."""
    return figures_of(claim)


def _underlined(piece: str, figures: Sequence[Figure], offset: int = 0) -> str:
    """Escaped text of `piece` (which starts `offset` characters into the claim) with the claim's
    quantities and dates underlined, each titled with its role."""
    pieces, cursor = [], 0
    for figure in figures:
        start, end = figure.start - offset, figure.end - offset
        if start < cursor or end > len(piece) or piece[start:end] != figure.text:
            continue  # outside this piece, or the stored span no longer fits the text
        pieces.append(_lines(piece[cursor:start]))
        pieces.append(format_html('<span class="figure" title="{}">{}</span>', figure.label, figure.text))
        cursor = end
    pieces.append(_lines(piece[cursor:]))
    return "".join(pieces)


def _claim_markup(claim: Any, piece: str, first: bool, offset: int = 0) -> str:
    reasons = "; ".join(str(reason) for reason in (claim.reasons or []))
    score = format_html(' <span class="claim-score">{}</span>', f"{claim.score:.2f}") if first else ""
    return format_html(
        '<mark class="claim claim-{}"{} title="{}"><a href="{}">{}</a>{}</mark>',
        claim.status,
        format_html(' id="claim-{}"', claim.pk) if first else "",
        f"score {claim.score:.2f}" + (f": {reasons}" if reasons else ""),
        reverse("claims:claim_detail", args=[claim.pk]),
        mark_safe(_underlined(piece, figures_of(claim), offset)),  # escaped by _underlined
        score,
    )


def _sentence_markup(sentence: Any, piece: str, first: bool, csrf_token: str) -> str:
    body = mark_safe(_lines(piece))  # escaped by _lines
    span = format_html('<span class="sentence" id="sentence-{}">{}</span>', sentence.position, body)
    if not first:
        return span
    snippet = sentence.text[:60] + ("…" if len(sentence.text) > 60 else "")
    return span + format_html(
        '<form method="post" action="{}" class="promote">'
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
        '<button type="submit" class="promote-btn" aria-label="Promote to a claim: {}" '
        'title="Promote this sentence to a claim">+ claim</button></form>',
        reverse("claims:sentence_promote", args=[sentence.article_id, sentence.pk]),
        csrf_token,
        snippet,
    )


@register.simple_tag(takes_context=True)
def highlighted_article(
    context: template.Context, text: str, sentences: Sequence[Any], claims: Sequence[Any]
) -> SafeString:
    """The article as paragraphs: claims marked and linked, other sentences with a promote button."""
    csrf_token = str(context.get("csrf_token", ""))
    segments = _segments(text, sentences, claims)
    out: list[str] = []
    seg_index = 0
    for p_start, p_end in paragraph_spans(text):
        pieces: list[str] = []
        cursor = p_start
        while seg_index < len(segments) and segments[seg_index].start < p_end:
            seg = segments[seg_index]
            start, end = max(seg.start, p_start), min(seg.end, p_end)
            if start > cursor:
                pieces.append(_lines(text[cursor:start]))
            if end > start:
                first = start == seg.start
                if seg.claim is not None:
                    offset = start - seg.claim.start
                    pieces.append(_claim_markup(seg.claim, text[start:end], first, offset))
                else:
                    pieces.append(_sentence_markup(seg.sentence, text[start:end], first, csrf_token))
            cursor = max(cursor, end)
            if seg.end > p_end:
                break  # the segment goes on in the next paragraph
            seg_index += 1
        if cursor < p_end:
            pieces.append(_lines(text[cursor:p_end]))
        out.append('<div class="para">' + "".join(pieces) + "</div>")
    return mark_safe("\n".join(out))  # every piece above is escaped


def _terms(text: str) -> set[str]:
    return {
        token.lower().rstrip(".,")
        for token in TOKEN.findall(text)
        if token[0].isdigit() or (len(token) >= 4 and token.lower() not in STOPWORDS)
    }


def emphasise_shared_terms(passage: str, claim_text: str) -> str:
    """Escaped passage text with the words and numbers it shares with the claim in <strong>."""
    wanted = _terms(claim_text)
    pieces, cursor = [], 0
    for match in TOKEN.finditer(passage):
        if match.group().lower().rstrip(".,") in wanted:
            pieces.append(escape(passage[cursor : match.start()]))
            pieces.append(format_html('<strong class="shared">{}</strong>', match.group()))
            cursor = match.end()
    pieces.append(escape(passage[cursor:]))
    return "".join(pieces)


def _context(before: str, after: str, full_before: bool, full_after: bool) -> tuple[str, str]:
    """Escaped text around a quote, cut at word boundaries so it never begins mid-word."""
    if not full_before and " " in before:
        before = "…" + before.split(" ", 1)[1]
    if not full_after and " " in after:
        after = after.rsplit(" ", 1)[0] + "…"
    return _lines(before), _lines(after)


@register.simple_tag
def passage_in_context(evidence: Any, claim: Any) -> SafeString:
    """The quoted passage marked inside the snapshot text around it; shared terms emphasised."""
    from claims.selectors.common import CONTEXT_CHARS

    before_text = getattr(evidence, "context_before", "") or ""
    after_text = getattr(evidence, "context_after", "") or ""
    before, after = _context(
        before_text,
        after_text,
        full_before=evidence.passage.start <= CONTEXT_CHARS,
        full_after=len(after_text) < CONTEXT_CHARS,
    )
    marked = emphasise_shared_terms(evidence.passage.text, claim.text)
    return mark_safe(f'{before}<mark class="passage">{marked}</mark>{after}')  # all escaped


@register.simple_tag
def claim_in_context(claim: Any) -> SafeString:
    from claims.selectors.common import CONTEXT_CHARS

    before_text = getattr(claim, "context_before", "") or ""
    after_text = getattr(claim, "context_after", "") or ""
    before, after = _context(
        before_text,
        after_text,
        full_before=claim.start <= CONTEXT_CHARS,
        full_after=len(after_text) < CONTEXT_CHARS,
    )
    marked = _underlined(claim.text, figures_of(claim))
    return mark_safe(f'{before}<mark class="claim">{marked}</mark>{after}')  # all escaped


@register.simple_tag
def snapshot_paragraphs(text: str, highlight: Any = None) -> SafeString:
    """A stored snapshot's text as escaped paragraphs, one passage (if given) marked with id=passage."""
    start, end = (highlight.start, highlight.end) if highlight is not None else (-1, -1)
    out: list[str] = []
    for p_start, p_end in paragraph_spans(text):
        if start < p_end and p_start < end:
            a, b = max(start, p_start), min(end, p_end)
            mark_id = ' id="passage"' if a == start else ""
            body = (
                _lines(text[p_start:a])
                + f'<mark class="passage"{mark_id}>{_lines(text[a:b])}</mark>'
                + _lines(text[b:p_end])
            )
        else:
            body = _lines(text[p_start:p_end])
        out.append(f"<p>{body}</p>")
    return mark_safe("\n".join(out))  # built from escaped slices
