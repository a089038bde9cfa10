"""Small presentation helpers: audit events in words, re-check word diffs, and the dashboard's
verdict chart as SVG."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django import template

register = template.Library()

EVENT_LABELS = {
    "created": "picked as a claim",
    "verdict_set": "gave a verdict",
    "verdict_changed": "changed the verdict",
    "verdict_reverted": "reverted the verdict",
    "dismissed": "dismissed the claim",
    "restored": "restored the claim",
    "assigned": "changed the assignment",
    "commented": "commented",
    "source_added": "added a source",
    "evidence_confirmed": "confirmed evidence",
    "evidence_rejected": "rejected evidence",
    "needs_recheck": "flagged for re-review",
    "requested": "asked about by a partner",
    "fact_check_confirmed": "confirmed a published fact-check",
    "fact_check_rejected": "rejected a published fact-check",
}
# Fields whose values are ids or long texts that a one-line summary would only clutter.
SUMMARY_SKIP = {"reviewed_by", "reviewed_at", "comment", "pinned_evidence", "reasons", "features"}
SUMMARY_MAX = 120


@register.filter
def event_label(kind: str) -> str:
    return EVENT_LABELS.get(kind, kind.replace("_", " "))


@register.filter
def event_actor(event: Any) -> str:
    if event.actor is not None:
        return event.actor.get_username()
    return event.actor_label or "system"


def _short(value: Any) -> str:
    text = "—" if value in (None, "") else str(value)
    return text if len(text) <= SUMMARY_MAX else text[: SUMMARY_MAX - 1] + "…"


@register.filter
def event_changes(event: Any) -> list[str]:
    """'field: before → after' lines (or 'field: value' for new facts) for one audit event."""
    lines = []
    for field, after in (event.after or {}).items():
        if field in SUMMARY_SKIP:
            continue
        label = field.replace("_", " ")
        if field in (event.before or {}) and event.before[field] != after:
            lines.append(f"{label}: {_short(event.before[field])} → {_short(after)}")
        elif field not in (event.before or {}):
            lines.append(f"{label}: {_short(after)}")
    pinned = (event.after or {}).get("pinned_evidence")
    if pinned:
        items = ", ".join(f"#{item.get('evidence')} ({item.get('stance')})" for item in pinned)
        lines.append(f"pinned evidence: {items}")
    return lines


DIFF_OPS = {"-": "del", "+": "ins", " ": "same"}


@register.filter
def diff_words(diff: str) -> list[tuple[str, str]]:
    """A word diff (claims.recheck.word_diff: one word per line) as (op, word) pairs.

    op is "del", "ins" or "same"; a hunk header or a blank line between passages becomes ("gap", "").
    The words stay plain text: the template escapes them when it wraps them in <del>/<ins>.
    """
    pairs: list[tuple[str, str]] = []
    for line in (diff or "").splitlines():
        if line.startswith(("--- ", "+++ ")):  # file headers; a word never holds a space
            continue
        if line.startswith("@@") or not line.strip():
            if pairs and pairs[-1][0] != "gap":
                pairs.append(("gap", ""))
            continue
        op = DIFF_OPS.get(line[0])
        if op is not None:
            pairs.append((op, line[1:]))
    if pairs and pairs[-1][0] == "gap":
        pairs.pop()
    return pairs


@register.filter
def interval_words(interval: timedelta | None) -> str:
    """A re-check interval as a person says it: "3 days", "6 hours", "45 minutes"."""
    if not interval:
        return "—"
    seconds = int(interval.total_seconds())
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            amount = round(seconds / size, 1)
            amount_text = f"{amount:g}"
            return f"{amount_text} {unit}{'' if amount == 1 else 's'}"
    return f"{seconds} seconds"


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    height: float
    value: int
    kind: str
    label: str
    text_x: float
    text_y: float


CHART_HEIGHT, CHART_BAR, CHART_GAP, CHART_TOP = 120, 14, 12, 16


@register.inclusion_tag("claims/_verdict_chart.html")
def verdict_chart(weeks: Sequence[Any]) -> dict[str, Any]:
    """Grouped bars (verified, disputed) per week, scaled to the busiest week."""
    peak = max([1, *(max(week.verified, week.disputed) for week in weeks)])
    scale = (CHART_HEIGHT - CHART_TOP) / peak
    bars, labels = [], []
    for i, week in enumerate(weeks):
        left = 8 + i * (2 * CHART_BAR + CHART_GAP)
        for j, (kind, value) in enumerate((("verified", week.verified), ("disputed", week.disputed))):
            height = round(value * scale, 1)
            x, y = left + j * CHART_BAR, round(CHART_HEIGHT - height, 1)
            bars.append(Bar(x, y, height, value, kind, f"week of {week.start:%d %b}", x + 6, y - 3))
        labels.append({"x": left + CHART_BAR, "text": f"{week.start:%d %b}"})
    total_verified = sum(week.verified for week in weeks)
    total_disputed = sum(week.disputed for week in weeks)
    return {
        "bars": bars,
        "labels": labels,
        "width": 16 + len(weeks) * (2 * CHART_BAR + CHART_GAP),
        "height": CHART_HEIGHT + 22,
        "baseline": CHART_HEIGHT,
        "summary": f"Verdicts over the last {len(weeks)} weeks: "
        f"{total_verified} verified, {total_disputed} disputed.",
        "weeks": weeks,
    }
