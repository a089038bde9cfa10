"""Quantities, dates and named entities pulled out of a claim, each with its exact span.

A regex layer rather than quantulum3: that library misreads "£3bn" and needs its classifier switched
off beside scikit-learn 1.9 (see DESIGN.md). Every item carries start/end so that
text[start:end] == item["text"]; retrieval and stance compare these values ("18,000 vs 18,048").
"""

from __future__ import annotations

import re
from typing import Any

from text.dates import extract_dates, find_day_spans, find_year_spans
from text.entities import extract_entities

__all__ = ["extract_dates", "extract_entities", "extract_quantities"]

_MAGNITUDE = {
    "thousand": 1e3, "k": 1e3, "million": 1e6, "mn": 1e6, "mln": 1e6, "m": 1e6,
    "billion": 1e9, "bn": 1e9, "b": 1e9, "trillion": 1e12, "tn": 1e12, "trn": 1e12,
}  # fmt: skip
_SYMBOL = {
    "US$": "USD", "C$": "CAD", "CA$": "CAD", "A$": "AUD", "NZ$": "NZD", "HK$": "HKD",
    "$": "USD", "£": "GBP", "€": "EUR", "¥": "JPY", "₹": "INR",
}  # fmt: skip
_CODES = "USD|CAD|GBP|EUR|JPY|AUD|CHF|CNY|INR|NZD|HKD"
_MONEY_WORDS = {
    "dollar": "USD", "dollars": "USD", "euro": "EUR", "euros": "EUR", "yen": "JPY",
    "pounds sterling": "GBP", "francs": "CHF", "rupees": "INR", "yuan": "CNY",
}  # fmt: skip
_DURATION = {
    "second": "second", "minute": "minute", "hour": "hour", "day": "day", "week": "week",
    "month": "month", "year": "year", "decade": "decade", "century": "century",
    "centuries": "century",
}  # fmt: skip
_MEASURE = {
    "km": "km", "kilometre": "km", "kilometer": "km", "mile": "mile", "m2": "m2",
    "metre": "m", "meter": "m", "cm": "cm", "mm": "mm", "foot": "ft", "feet": "ft",
    "kg": "kg", "kilogram": "kg", "tonne": "t", "ton": "t", "lb": "lb", "pound": "lb",
    "litre": "l", "liter": "l", "gallon": "gallon", "barrel": "barrel", "acre": "acre",
    "hectare": "ha", "mph": "mph", "km/h": "km/h", "degree": "degree", "°c": "°C", "°f": "°F",
    "mw": "MW", "gw": "GW", "kwh": "kWh", "twh": "TWh", "ppm": "ppm", "square mile": "sq mile",
    "square kilometre": "km2", "square kilometer": "km2", "gigatonne": "Gt",
}  # fmt: skip
_WORD_VALUE = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90, "half": 0.5,
}  # fmt: skip
_WORD_SCALE = {"dozen": 12, "hundred": 100, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}


def _alternatives(words: Any) -> str:
    # Longest first so "billion" wins over "b" and "square mile" over "mile".
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_SMALL = r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|" \
    r"fifteen|sixteen|seventeen|eighteen|nineteen|(?:twenty|thirty|forty|fifty|sixty|seventy|" \
    r"eighty|ninety)(?:[\s-](?:one|two|three|four|five|six|seven|eight|nine))?)"  # fmt: skip
_WORD_NUMBER = (
    rf"(?:{_SMALL}(?:\s(?:hundred|thousand|million|billion|trillion))*"
    r"|(?:a|an)\s(?:dozen|hundred|thousand|million|billion|trillion)"
    r"|half\sa\s(?:million|billion|dozen)|a\shalf|a\sdozen)"
)
_DIGITS = r"(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
_UNIT = (
    rf"(?P<pct>%|\s?per\s?cent\b|\s?percent\b|\s?percentage[\s-]points?\b|\s?pct\b)"
    rf"|[\s-]?(?P<dur>(?:{_alternatives(_DURATION)})s?)\b"
    rf"|\s?(?P<money_word>(?:{_alternatives(_MONEY_WORDS)}))\b"
    rf"|\s?(?P<measure>(?:{_alternatives(_MEASURE)})(?:s|es)?)(?![\w])"
)
_QUANTITY = re.compile(
    rf"(?P<cur>US\$|C\$|CA\$|A\$|NZ\$|HK\$|[$£€¥₹]|\b(?:{_CODES})\s?)?"
    rf"(?:(?P<num>{_DIGITS})|\b(?P<word>{_WORD_NUMBER})\b)"
    rf"(?:\s?(?P<mag>thousand|million|billion|trillion|mn|mln|bn|tn|trn|k|m|b)\b)?"
    rf"(?:{_UNIT})?",
    re.IGNORECASE,
)
# Words that, just before a number, make it a label rather than an amount ("Article 5", "Flight 370").
_LABEL_BEFORE = re.compile(
    r"(?:article|section|chapter|bill|highway|route|flight|room|no\.|number|page|title|"
    r"amendment|clause|rule|level|phase|grade|version|model|step|item|resolution|covid)\s*$",
    re.IGNORECASE,
)
_FROM_CUE = re.compile(
    r"\b(?:from|between)\s(?:about\s|around\s|roughly\s|nearly\s|almost\s|some\s|an?\s)?$", re.I
)
_TO_CUE = re.compile(r"\b(?:to|and)\s(?:about\s|around\s|roughly\s|nearly\s|almost\s|some\s|an?\s)?$", re.I)
# "voted 7 to 2", "won 3-1": a tally, not a range or a change.
_TALLY_CUE = re.compile(r"\b(?:voted|vote of|votes? by|won|lost|beat|defeated|score of|scored)\s$", re.I)
_RANGE_DASH = re.compile(r"^\s?[-–—]\s?$|^\sto\s$")
_CHANGE_VERB = re.compile(
    r"\b(?:ris(?:e|es|ing)|rose|risen|f[ae]ll(?:s|ing|en)?|increas\w*|decreas\w*|grow\w*|grew|"
    r"jump\w*|climb\w*|drop\w*|declin\w*|cut\w*|rais\w*|reduc\w*|doubl\w*|boost\w*|slash\w*|"
    r"soar\w*|plung\w*|went|gone|up|down)\b[^.;]{0,40}$",
    re.IGNORECASE,
)
_DURATION_LEAD = re.compile(r"\b(?:next|past|last|previous|coming|first|final|over)\s$", re.I)


def _word_value(words: str) -> float:
    total, current = 0.0, 0.0
    for word in re.split(r"[\s-]+", words.lower()):
        if word in {"a", "an"}:
            current = current or 1.0  # "a dozen" is 12, "half a million" stays a half
        elif word in _WORD_SCALE:
            scale = _WORD_SCALE[word]
            if scale < 1000:
                current = (current or 1) * scale
            else:
                total += (current or 1) * scale
                current = 0.0
        elif word in _WORD_VALUE:
            current += _WORD_VALUE[word]
    return total + current


def _is_label_number(text: str, start: int, end: int) -> bool:
    """Numbers that name or index something rather than measure it."""
    before, after = text[max(0, start - 14) : start], text[end : end + 3]
    if re.search(r"[A-Za-z]-$|[/:#]$", before) or re.match(r"[/:]\d|(?:st|nd|rd|th)\b", after):
        return True  # COVID-19, C-51, 9/11, 10:30, 21st
    if re.match(r"(?:a\.?m\.?|p\.?m\.?)\b", after.strip(), re.I):
        return True
    return bool(_LABEL_BEFORE.search(before))


_LENGTH_AFTER = re.compile(r"\s?(?:tall|high|long|wide|deep|away|above|below|across|thick)\b", re.I)


def _classify(text: str, m: re.Match[str]) -> tuple[str, str, float] | None:
    """(kind, unit, multiplier) for a match, or None when it is not a quantity."""
    cur, mag, word = m.group("cur"), m.group("mag"), m.group("word")
    multiplier = _MAGNITUDE[mag.lower()] if mag else 1.0
    if mag and mag.lower() in {"m", "b", "k"} and not cur and not m.group("num"):
        return None
    if mag and mag.lower() == "m" and not cur and _LENGTH_AFTER.match(text, m.end("mag")):
        # News writes "3.2m people" for millions, but "a 5m wall" / "5m high" are metres.
        return ("measure", "m", 1.0)
    if cur:
        code = _SYMBOL.get(cur.strip().upper()) or _SYMBOL.get(cur.strip()) or cur.strip().upper()
        return ("money", code, multiplier)
    if m.group("pct"):
        unit = "pp" if "point" in m.group("pct").lower() else "%"
        return ("percent", unit, multiplier)
    if m.group("money_word"):
        return ("money", _MONEY_WORDS[m.group("money_word").lower()], multiplier)
    if m.group("dur"):
        unit = m.group("dur").lower().rstrip("s")
        return ("duration", _DURATION.get(unit, _DURATION.get(unit + "s", unit)), multiplier)
    if m.group("measure"):
        raw = m.group("measure").lower()
        unit = _MEASURE.get(raw) or _MEASURE.get(raw[:-1]) or _MEASURE.get(raw[:-2], raw)
        if unit == "lb" and mag:
            return ("money", "GBP", multiplier)  # "3 million pounds" is money, "3 pounds" weight
        return ("measure", unit, multiplier)
    if word and word.lower() in {"one", "a", "an", "half", "a half"} and not mag:
        return None  # "one of them", "a dozen" only counts with its noun
    return ("count", "", multiplier)


def _pair(first: dict[str, Any], second: dict[str, Any]) -> None:
    """Make a range's two ends consistent: "5-10%" and "$5-10 million" write the unit once."""
    first["role"], second["role"] = "from", "to"
    for a, b in ((first, second), (second, first)):
        if a["kind"] == "count" and b["kind"] not in {"count", "year"}:
            a["kind"], a["unit"] = b["kind"], b["unit"]
    if second["_scale"] > 1 and first["_scale"] == 1:
        first["value"] *= second["_scale"]
        first["_scale"] = second["_scale"]


def _roles(text: str, items: list[dict[str, Any]]) -> None:
    """Mark "from X to Y" / "between X and Y" / "X-Y" pairs and changes ("rose to 20%")."""
    for i, item in enumerate(items):
        before = text[max(0, item["start"] - 30) : item["start"]]
        prev = items[i - 1] if i else None
        if _FROM_CUE.search(before):
            item["role"] = "from"
        elif prev is not None and prev["role"] == "from" and item["kind"] == prev["kind"]:
            gap = text[prev["end"] : item["start"]]
            if len(gap) <= 60 and (_TO_CUE.search(gap) or _RANGE_DASH.match(gap)):
                _pair(prev, item)
        elif prev is not None and not prev["role"] and "year" not in {prev["kind"], item["kind"]}:
            tally = _TALLY_CUE.search(text[max(0, prev["start"] - 30) : prev["start"]])
            if _RANGE_DASH.match(text[prev["end"] : item["start"]]) and not tally:
                _pair(prev, item)
        if not item["role"] and re.search(r"\bto\s$", before):
            if _CHANGE_VERB.search(before[:-3]):
                item["role"] = "to"


def extract_quantities(text: str) -> list[dict[str, Any]]:
    """Numbers with units, money, percentages, years, durations and ranges, with exact spans."""
    years = find_year_spans(text)
    # Numbers inside dates and years are not amounts: the "3" of "March 3", the "24" of "2023-24".
    blocked = find_day_spans(text) + [(start, end) for start, end, _ in years]
    items: list[dict[str, Any]] = [
        {"text": text[s:e], "value": float(v[:4]), "unit": "", "kind": "year", "role": "",
         "start": s, "end": e, "_scale": 1.0}
        for s, e, v in years
    ]  # fmt: skip
    for m in _QUANTITY.finditer(text):
        item = _quantity(text, m, blocked)
        if item is not None:
            items.append(item)
    items.sort(key=lambda q: q["start"])
    _roles(text, items)
    for item in items:
        del item["_scale"]
    return items


def _quantity(text: str, m: re.Match[str], blocked: list[tuple[int, int]]) -> dict[str, Any] | None:
    start, end = m.start(), m.end()
    end -= len(m.group()) - len(m.group().rstrip())
    cur, number = m.group("cur"), m.group("num")
    if cur and cur[0].isalpha() and start and text[start - 1].isalnum():
        return None
    if number:
        n_start, n_end = m.start("num"), m.end("num")
        if n_start and (text[n_start - 1].isalnum() or text[n_start - 1] == "_"):
            return None
        if end < len(text) and text[end].isalnum() and end == n_end:
            return None  # "1990s", "3D", "10am": part of a word
        if _is_label_number(text, n_start, n_end):
            return None
        if any(s <= n_start < e for s, e in blocked):
            return None
    kind_unit = _classify(text, m)
    if kind_unit is None:
        return None
    kind, unit, multiplier = kind_unit
    base = float(number.replace(",", "")) if number else _word_value(m.group("word"))
    if kind == "duration":
        lead = _DURATION_LEAD.search(text[max(0, start - 10) : start])
        if lead:
            start -= len(lead.group())
    return {
        "text": text[start:end],
        "value": base * multiplier,
        "unit": unit,
        "kind": kind,
        "role": "",
        "start": start,
        "end": end,
        "_scale": multiplier,
    }
