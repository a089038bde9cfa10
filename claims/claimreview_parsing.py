"""Reading published schema.org ClaimReview markup, in the shapes publishers use: plain typed functions.

Shapes (any of them nested in any other): one JSON-LD object; a list of them; an object with `@graph`;
a DataFeed whose `dataFeedElement[]` each carry `item` (one object or a list); JSON Lines of any of
those; an HTML page with `<script type="application/ld+json">` blocks. No Django here: the import
service stores what `read_claim_reviews` yields.

Every item comes with its position ("line 3 · dataFeedElement[1].item[0]", "script 2 · @graph[4]"), so
a report can say which one was skipped and why. A malformed item is a `Skipped`, never an exception.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

# Field sizes, matched by the FactCheck model: longer values are cut, not refused.
MAX_CLAIM_CHARS = 5000
MAX_URL_CHARS = 2000
MAX_NAME_CHARS = 300
MAX_RATING_CHARS = 200
MAX_LANGUAGE_CHARS = 35
# Deeper than publishers ever nest; a hostile file cannot send the walk into the recursion limit.
MAX_DEPTH = 12


@dataclass(frozen=True)
class ParsedReview:
    """One ClaimReview, normalised. Empty strings and None mean "not given"."""

    url: str
    claim_reviewed: str
    headline: str = ""
    claimant: str = ""
    claim_date: dt.date | None = None
    claim_appearance_url: str = ""
    publisher_name: str = ""
    publisher_url: str = ""
    rating_name: str = ""
    rating_value: float | None = None
    best_rating: float | None = None
    worst_rating: float | None = None
    language: str = ""
    date_published: dt.date | None = None

    def content_hash(self) -> str:
        """A digest of every field: an import that brings the same review again changes nothing."""
        fields = {key: str(value) if value is not None else None for key, value in asdict(self).items()}
        encoded = json.dumps(fields, sort_keys=True, ensure_ascii=False).encode("utf-8")
        return hashlib.sha256(encoded).hexdigest()


@dataclass(frozen=True)
class Found:
    position: str
    review: ParsedReview


@dataclass(frozen=True)
class Skipped:
    position: str
    reason: str


@dataclass(frozen=True)
class Ignored:
    """A well-formed node of another type (a page's Organization, BreadcrumbList): not an error."""

    position: str
    type_name: str


Outcome = Found | Skipped | Ignored


# --- documents: JSON, JSON Lines, HTML -------------------------------------------------------------------


class _LdJsonScripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.blocks: list[str] = []
        self._inside = False
        self._parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            kind = (dict(attrs).get("type") or "").split(";")[0].strip().lower()
            self._inside = kind == "application/ld+json"
            self._parts = []

    def handle_data(self, data: str) -> None:
        if self._inside:
            self._parts.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._inside:
            self.blocks.append("".join(self._parts))
            self._inside = False


def ld_json_blocks(html: str) -> list[str]:
    """The text of every `<script type="application/ld+json">` block of an HTML page, in order."""
    parser = _LdJsonScripts()
    parser.feed(html)
    parser.close()
    return parser.blocks


def looks_like_html(text: str) -> bool:
    return text.lstrip()[:1] == "<"


def read_claim_reviews(text: str) -> Iterator[Outcome]:
    """Every ClaimReview in a document (JSON, JSON Lines or HTML), with what was skipped and why."""
    text = text.lstrip("\ufeff")
    if looks_like_html(text):
        blocks = ld_json_blocks(text)
        if not blocks:
            yield Skipped("page", 'no <script type="application/ld+json"> block in the HTML')
        for number, block in enumerate(blocks, start=1):
            yield from _parse_json_text(block, f"script {number}")
        return
    stripped = text.strip()
    if not stripped:
        yield Skipped("file", "empty")
        return
    try:
        document = json.loads(stripped)
    except json.JSONDecodeError as exc:
        if "\n" not in stripped:
            yield Skipped("file", f"not valid JSON ({exc.msg} at character {exc.pos})")
            return
    else:
        yield from walk(document, "")
        return
    yield from read_json_lines(stripped.splitlines())


def read_json_lines(lines: Iterator[str] | list[str], *, first_line: int = 1) -> Iterator[Outcome]:
    """JSON Lines: one document per line; a broken line is skipped, the rest still read."""
    for number, line in enumerate(lines, start=first_line):
        if line.strip():
            yield from _parse_json_text(line, f"line {number}")


def _parse_json_text(text: str, where: str) -> Iterator[Outcome]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        yield Skipped(where, f"not valid JSON ({exc.msg} at character {exc.pos})")
        return
    yield from walk(document, where)


# --- the shapes inside one document ---------------------------------------------------------------------


def _types(node: dict[str, Any]) -> list[str]:
    value = node.get("@type", node.get("type"))
    values = value if isinstance(value, list) else [value]
    # "schema:ClaimReview" and "https://schema.org/ClaimReview" are the same type.
    return [str(v).rsplit("/", 1)[-1].rsplit(":", 1)[-1] for v in values if isinstance(v, str)]


def _join(where: str, step: str) -> str:
    if not where:
        return step
    return f"{where}{step}" if step.startswith("[") else f"{where} · {step}"


def walk(node: Any, where: str, depth: int = 0) -> Iterator[Outcome]:
    """The ClaimReviews in one parsed JSON value: itself, its list items, its `@graph`, its feed items."""
    position = where or "document"
    if depth > MAX_DEPTH:
        yield Skipped(position, "nested too deeply")
        return
    if isinstance(node, list):
        for i, item in enumerate(node):
            yield from walk(item, _join(where, f"[{i}]"), depth + 1)
        return
    if not isinstance(node, dict):
        yield Skipped(position, f"expected a JSON object, found {type(node).__name__}")
        return
    types = _types(node)
    if "ClaimReview" in types:
        yield parse_claim_review(node, position)
        return
    if "@graph" in node:
        yield from walk(node["@graph"], _join(where, "@graph"), depth + 1)
        return
    if "dataFeedElement" in node:
        elements = node["dataFeedElement"]
        elements = elements if isinstance(elements, list) else [elements]
        for i, element in enumerate(elements):
            step = _join(where, f"dataFeedElement[{i}]")
            if isinstance(element, dict) and "item" in element:
                items = element["item"]
                if isinstance(items, list):
                    for j, item in enumerate(items):
                        yield from walk(item, f"{step}.item[{j}]", depth + 1)
                else:
                    yield from walk(items, f"{step}.item", depth + 1)
            else:
                # Some feeds put the review straight in the element.
                yield from walk(element, step, depth + 1)
        return
    yield Ignored(position, ", ".join(types) or "no @type")


# --- one ClaimReview -----------------------------------------------------------------------------------


def _first(value: Any) -> Any:
    if isinstance(value, list):
        return next((item for item in value if item not in (None, "", {}, [])), None)
    return value


def _text(value: Any, limit: int) -> str:
    """A string field, tolerating a list or a {"name": ...} / {"@value": ...} object where a string goes."""
    value = _first(value)
    if isinstance(value, dict):
        value = value.get("@value", value.get("name"))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return ""
    return " ".join(value.split())[:limit]


def _url(value: Any) -> str:
    value = _first(value)
    if isinstance(value, dict):
        value = value.get("url", value.get("@id"))
    if not isinstance(value, str):
        return ""
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc or len(value) > MAX_URL_CHARS:
        return ""
    return value


def _number(value: Any) -> float | None:
    value = _first(value)
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip().replace(",", "."))
        except ValueError:
            return None
    return None


_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


def _date(value: Any) -> dt.date | None:
    """The calendar date of an ISO 8601 date or date-time; None when absent or unreadable."""
    value = _text(value, 64)
    match = _DATE.match(value)
    if not match:
        return None
    try:
        return dt.date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def _who(value: Any) -> tuple[str, str]:
    """Name and URL of an author / publisher: an object, a list of them, or a bare name."""
    value = _first(value)
    if isinstance(value, str):
        return _text(value, MAX_NAME_CHARS), ""
    if isinstance(value, dict):
        return _text(value.get("name") or value.get("alternateName"), MAX_NAME_CHARS), _url(value.get("url"))
    return "", ""


def _language(value: Any) -> str:
    """`inLanguage` as given: a code ("en"), or a Language object, whose code is its alternateName."""
    value = _first(value)
    if isinstance(value, dict):
        value = value.get("alternateName") or value.get("name")
    return _text(value, MAX_LANGUAGE_CHARS)


def parse_claim_review(node: dict[str, Any], position: str = "document") -> Found | Skipped:
    """One ClaimReview object as a ParsedReview, or the reason it cannot be one.

    Required: the review's URL (`url`, or an http(s) `@id`) and the claim (`claimReviewed`, or failing
    that the reviewed Claim's `name` / `text`). Everything else is optional and read leniently.
    """
    url = _url(node.get("url")) or _url(node.get("@id"))
    item = _first(node.get("itemReviewed"))
    item = item if isinstance(item, dict) else {}
    claim = _text(node.get("claimReviewed"), MAX_CLAIM_CHARS) or _text(
        item.get("name") or item.get("text"), MAX_CLAIM_CHARS
    )
    if not url:
        given = node.get("url", node.get("@id"))
        reason = (
            "no review URL" if given in (None, "") else f"review URL is not an http(s) address: {given!r:.80}"
        )
        return Skipped(position, reason)
    if not claim:
        return Skipped(position, f"no claimReviewed ({url})")
    rating = _first(node.get("reviewRating"))
    rating = rating if isinstance(rating, dict) else {}
    publisher_name, publisher_url = _who(node.get("author"))
    if not publisher_name:
        publisher_name, publisher_url = _who(node.get("publisher"))
    if not publisher_name:
        publisher_name = urlsplit(url).hostname or ""
    claimant, _ = _who(item.get("author"))
    appearance = _url(item.get("appearance")) or _url(item.get("firstAppearance"))
    return Found(
        position,
        ParsedReview(
            url=url,
            claim_reviewed=claim,
            headline=_text(node.get("name") or node.get("headline"), MAX_CLAIM_CHARS),
            claimant=claimant,
            claim_date=_date(item.get("datePublished")),
            claim_appearance_url=appearance,
            publisher_name=publisher_name,
            publisher_url=publisher_url,
            rating_name=_text(rating.get("alternateName") or rating.get("name"), MAX_RATING_CHARS),
            rating_value=_number(rating.get("ratingValue")),
            best_rating=_number(rating.get("bestRating")),
            worst_rating=_number(rating.get("worstRating")),
            language=_language(node.get("inLanguage")),
            date_published=_date(node.get("datePublished")),
        ),
    )
