"""The figures of a claim as a reviewer reads them: quantities and dates in one list, in text order.

`extract_quantities` and `extract_dates` both see "2024" and "the next two years"; a reviewer
wants each span once, with what it does in the claim ("from 18,000", "to 20,000", "a period: next
two years"). Spans are relative to the claim's text, so the page can underline them in place.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["Figure", "claim_figures"]


@dataclass(frozen=True)
class Figure:
    text: str
    start: int
    end: int
    kind: str  # count, percent, money, measure, duration, year, date, relative, ...
    role: str  # "from", "to" or ""
    label: str  # how the list on the claim page shows it

    def overlaps(self, other: Figure) -> bool:
        return self.start < other.end and other.start < self.end


_DATE_KINDS = {"year": "year", "date": "date", "month": "month", "relative": "when", "range": "period"}
_QUANTITY_KINDS = {"duration": "period", "percent": "percentage", "money": "amount", "measure": "measure"}


def _quantity_figure(item: dict[str, Any]) -> Figure:
    role = str(item.get("role") or "")
    kind = str(item.get("kind") or "")
    if role in {"from", "to"}:
        label = f"{role} {item['text']}"
    elif kind in _QUANTITY_KINDS:
        label = f"{_QUANTITY_KINDS[kind]}: {item['text']}"
    elif kind == "year":
        label = f"year: {item['text']}"
    else:
        label = str(item["text"])
    return Figure(str(item["text"]), int(item["start"]), int(item["end"]), kind, role, label)


def _date_figure(item: dict[str, Any]) -> Figure:
    kind = str(item.get("kind") or "")
    shown = _DATE_KINDS.get(kind, "date")
    return Figure(
        str(item["text"]), int(item["start"]), int(item["end"]), kind, "", f"{shown}: {item['text']}"
    )


def claim_figures(quantities: Iterable[dict[str, Any]], dates: Iterable[dict[str, Any]]) -> list[Figure]:
    """Quantities first (they carry roles), then the dates that no quantity already covers; each
    span once, ordered as in the text. Malformed items (from an older extractor) are skipped."""
    chosen: list[Figure] = []
    for maker, items in ((_quantity_figure, quantities), (_date_figure, dates)):
        for item in items or ():
            try:
                figure = maker(item)
            except (AttributeError, KeyError, TypeError, ValueError):
                continue
            if figure.start < figure.end and not any(figure.overlaps(other) for other in chosen):
                chosen.append(figure)
    return sorted(chosen, key=lambda figure: figure.start)
