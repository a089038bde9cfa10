"""Dates in claims: full dates, months, years and relative expressions, with exact spans.

Values are ISO-ish strings so they compare across claims and sources: "2024-03-05", "2024-03",
"--03" (March of an unknown year), "2024", "2023/2024" (a span such as fiscal 2023-24), "1990s",
and for relative expressions the lower-cased phrase ("last fiscal year").
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["MONTHS", "extract_dates", "find_day_spans", "find_year_spans", "looks_like_year"]

MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
    "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_MONTH_NAMES = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December)\b|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)(?:\.|\b)"
)


def _month(group: str = "month") -> str:
    return rf"(?P<{group}>{_MONTH_NAMES})"


def _day(group: str) -> str:
    return rf"(?P<{group}>[0-3]?\d)(?:st|nd|rd|th)?"


def _year4(group: str = "year") -> str:
    return rf"(?P<{group}>(?:1[89]|20)\d{{2}})"


_MONTH = _month()
_YEAR4 = _year4()
_FULL_DATE = re.compile(
    rf"\b{_month()}\s{_day('day')}(?:,?\s{_year4()})?\b(?!\s?%)"
    rf"|\b{_day('day2')}\s(?:of\s)?{_month('month2')}(?:,?\s{_year4('year2')})?\b"
)
_ISO_DATE = re.compile(r"\b(?P<y>(?:1[89]|20)\d{2})-(?P<m>[01]\d)-(?P<d>[0-3]\d)\b")
_SLASH_DATE = re.compile(r"\b(?P<a>[01]?\d)/(?P<b>[0-3]?\d)/(?P<y>(?:1[89]|20)\d{2})\b")
_MONTH_YEAR = re.compile(rf"\b{_MONTH},?\s(?:of\s)?{_YEAR4}\b")
_MONTH_ALONE = re.compile(rf"\b{_MONTH}(?!\w)")
# "May" and "March" are also a verb, a modal and a surname; only read them as months in context.
_MONTH_CONTEXT = re.compile(
    r"\b(?:in|since|by|until|till|of|early|late|mid|last|next|this|on|from|to|through|"
    r"during|before|after|between|and|or|each|every)[\s-]$",
    re.IGNORECASE,
)
_YEAR = re.compile(
    r"(?P<prefix>\b(?:fiscal|FY)\s?)?\b(?P<year>(?:1[89]|20)\d{2})"
    r"(?:(?P<sep>\s?[-–/]\s?)(?P<end>(?:1[89]|20)\d{2}|\d{2})\b|(?P<decade>(?<=0)s)\b|\b)"
)
_NUMBER_CONTEXT_AFTER = re.compile(
    r"^(?:\s?%|\s?(?:per\s?cent|percent|thousand|million|billion|trillion|bn|mn|k|m)\b|,\d|\.\d)",
    re.IGNORECASE,
)
_WEEKDAYS = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
_RELATIVE = re.compile(
    r"\b(?:(?:last|next|this|past|previous|coming|current)\s(?:fiscal\s|financial\s|calendar\s|"
    r"school\s|academic\s)?(?:year|month|week|decade|century|quarter|spring|summer|fall|autumn|"
    r"winter|weekend)"
    r"|(?:the\s)?(?:last|next|past|previous|coming)\s(?:\w+\s)?(?:years|months|weeks|days|"
    r"decades|quarters)"
    r"|(?:earlier|later)\s(?:this|that|last|next)\s(?:year|month|week)"
    r"|in\srecent\s(?:years|months|weeks|days)"
    r"|(?:a|one|two|three|four|five|six|seven|eight|nine|ten|several|few|\d+)\s"
    r"(?:years?|months?|weeks?|days?|decades?)\sago"
    r"|yesterday|today|tomorrow|tonight|recently"
    rf"|(?:last\s|next\s|on\s)?(?:{_WEEKDAYS}))\b",
    re.IGNORECASE,
)


_YEAR_CUE_BEFORE = re.compile(
    r"(?:\b(?:in|since|by|until|till|of|from|to|and|or|between|before|after|during|through|"
    r"fiscal|early|late|mid|the|year|spring|summer|autumn|fall|winter)[\s-]|^|[(\n])$",
    re.IGNORECASE,
)
_PLURAL_AFTER = re.compile(r"^\s[a-z]+[^s\W]*s\b(?<!\bwas)(?<!\bis)(?<!\bhas)(?<!\bas)(?<!\bthis)")


def looks_like_year(text: str, start: int, end: int) -> bool:
    """Whether the 4-digit number at text[start:end] is a calendar year rather than an amount."""
    token = text[start:end]
    if not re.fullmatch(r"(?:1[89]|20)\d{2}", token):
        return False
    before = text[max(0, start - 10) : start]
    if re.search(r"[$£€¥₹\d,.]$|[A-Za-z]-$", before):
        return False
    if _NUMBER_CONTEXT_AFTER.match(text[end : end + 12]):
        return False
    # "in 2000 people died" stays ambiguous; "2000 jobs" without a cue before it is a count.
    return bool(_YEAR_CUE_BEFORE.search(before)) or not _PLURAL_AFTER.match(text[end : end + 20])


def _year_value(m: re.Match[str]) -> str:
    year = m.group("year")
    if m.group("decade"):
        return year + "s"
    end = m.group("end")
    if end:
        full = end if len(end) == 4 else year[:2] + end
        if int(full) > int(year):
            return f"{year}/{full}"
    return year


def find_year_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, value) of every year, year span ("2023-24") and decade ("1990s")."""
    spans: list[tuple[int, int, str]] = []
    for m in _YEAR.finditer(text):
        if not looks_like_year(text, m.start("year"), m.end("year")):
            continue
        value = _year_value(m)
        end = m.end() if (m.group("decade") or "/" in value) else m.end("year")
        start = m.start() if m.group("prefix") else m.start("year")
        spans.append((start, end, value))
    return spans


def _month_ok(text: str, m: re.Match[str], name: str) -> bool:
    if name.lower().rstrip(".") not in {"may", "march", "mar", "jan", "dec", "sep", "oct"}:
        return True
    return bool(_MONTH_CONTEXT.search(text[max(0, m.start() - 10) : m.start()]))


def _full_dates(text: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for m in _FULL_DATE.finditer(text):
        month = m.group("month") or m.group("month2")
        day = int(m.group("day") or m.group("day2"))
        year = m.group("year") or m.group("year2")
        if not 1 <= day <= 31:
            continue
        number = MONTHS[month.lower().rstrip(".")]
        value = f"{year}-{number:02d}-{day:02d}" if year else f"--{number:02d}-{day:02d}"
        items.append(_item(text, m.start(), m.end(), "date", value))
    for m in _ISO_DATE.finditer(text):
        value = f"{m.group('y')}-{m.group('m')}-{m.group('d')}"
        items.append(_item(text, m.start(), m.end(), "date", value))
    for m in _SLASH_DATE.finditer(text):
        a, b = int(m.group("a")), int(m.group("b"))
        month, day = (b, a) if a > 12 else (a, b)  # day-first only when it cannot be a month
        if 1 <= month <= 12 and 1 <= day <= 31:
            value = f"{m.group('y')}-{month:02d}-{day:02d}"
            items.append(_item(text, m.start(), m.end(), "date", value))
    return items


def find_day_spans(text: str) -> list[tuple[int, int]]:
    """Spans of full dates, whose day and month numbers are not amounts."""
    return [(item["start"], item["end"]) for item in _full_dates(text)]


def _item(text: str, start: int, end: int, kind: str, value: str) -> dict[str, Any]:
    return {"text": text[start:end], "kind": kind, "value": value, "start": start, "end": end}


def extract_dates(text: str) -> list[dict[str, Any]]:
    """Full dates, month names, years and relative expressions, longest first, no overlaps."""
    candidates = _full_dates(text)
    for m in _MONTH_YEAR.finditer(text):
        number = MONTHS[m.group("month").lower().rstrip(".")]
        candidates.append(_item(text, m.start(), m.end(), "month", f"{m.group('year')}-{number:02d}"))
    for m in _MONTH_ALONE.finditer(text):
        name = m.group("month")
        if _month_ok(text, m, name):
            number = MONTHS[name.lower().rstrip(".")]
            candidates.append(_item(text, m.start(), m.end(), "month", f"--{number:02d}"))
    for start, end, value in find_year_spans(text):
        candidates.append(_item(text, start, end, "year", value))
    for m in _RELATIVE.finditer(text):
        phrase = re.sub(r"^the ", "", re.sub(r"\s+", " ", m.group().lower()))
        candidates.append(_item(text, m.start(), m.end(), "relative", phrase))
    chosen: list[dict[str, Any]] = []
    taken: list[tuple[int, int]] = []
    for item in sorted(candidates, key=lambda c: (-(c["end"] - c["start"]), c["start"])):
        if all(item["end"] <= s or item["start"] >= e for s, e in taken):
            chosen.append(item)
            taken.append((item["start"], item["end"]))
    return sorted(chosen, key=lambda c: c["start"])
