"""Main text and metadata from a page (HTML) or from text a reviewer pasted.

HTML goes through trafilatura with comments off. trafilatura 2.3 already runs its own
cascade inside (comparison with its readability port and jusText, a baseline rescue, a
recall retry), so what we add is only what measured better on the shared extraction sets
(bench/extraction.py; numbers in bench/RESULTS.md):

- Pages without an <html>/<body> frame (fragments, old archives) fail trafilatura's input
  check and came back empty: 7 of 58 CleanEval pages, the "nothing on ~5 % of older pages"
  seen before. Framing them lifts CleanEval F1 from 0.75 to 0.86.
- With that fixed, trafilatura returned nothing on 1 of 1,731 pages (a 156-byte page), so
  a jusText / readability fallback for empty output changed no score: left out.
- Switching to jusText when trafilatura's text looked short beside the page's visible text
  (or beside jusText's) won CleanEval 2-3 F1 points and lost Dragnet 3-6 (jusText keeps
  reader comments), and readability on the same test was neutral to worse: left out.
"""

from __future__ import annotations

import datetime
import logging
import re
from copy import deepcopy
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urljoin, urlsplit

import trafilatura
from lxml import etree
from lxml.html import HtmlElement
from trafilatura.utils import load_html
from trafilatura.xml import xmltotxt

from text.language import detect_language
from text.pasted_text import clean_paragraphs, normalize_text

__all__ = ["ExtractedDocument", "clean_pasted_text", "detect_language", "extract_html"]

logger = logging.getLogger(__name__)

_HAS_DOCUMENT = re.compile(r"<(html|body)[\s>]", re.I)
_SPACE_RUN = re.compile(r"\s+")


@dataclass
class ExtractedDocument:
    text: str
    title: str = ""
    byline: str = ""
    published: datetime.date | None = None
    site_name: str = ""
    canonical_url: str = ""
    language: str = ""
    links: list[str] = field(default_factory=list)
    extractor: str = ""


def _paragraphs(text: str) -> list[str]:
    """Non-empty, whitespace-normalised lines: each block the extractor emitted."""
    return [line for line in normalize_text(text).split("\n") if line]


def _fold_space(text: str | None) -> str | None:
    return _SPACE_RUN.sub(" ", text) if text else text


def _parse_tree(html: str) -> HtmlElement | None:
    tree = load_html(html)
    if tree is None and html.strip() and not _HAS_DOCUMENT.search(html[:5000]):
        # trafilatura refuses what does not look like a whole document; a fragment is
        # still a page's text, so give it the frame it lacks.
        tree = load_html(f"<html><body>{html}</body></html>")
    return tree


def _join(base: str, href: str) -> str:
    try:
        return urljoin(base, href)
    except ValueError:  # "http://[not-an-ip]/": pages carry such hrefs; keep it, it won't pass below
        return href


def _web_address(target: str) -> str:
    """The http(s) address without its #fragment, or "" for anything else or malformed."""
    try:
        address = urldefrag(target.strip()).url
        return address if urlsplit(address).scheme in ("http", "https") else ""
    except ValueError:
        return ""


def _absolutize_links(tree: HtmlElement, url: str | None) -> None:
    """Resolve hrefs against the page itself: trafilatura resolves them against the site root."""
    base = url or ""
    if not base:
        canonical = tree.find(".//link[@rel='canonical']")
        base = (canonical.get("href") or "").strip() if canonical is not None else ""
    base_tag = tree.find(".//base[@href]")
    if base_tag is not None:
        base = _join(base, base_tag.get("href", "").strip())
    for anchor in tree.iter("a"):
        href = (anchor.get("href") or "").strip()
        if href.startswith("#"):
            # A jump within the page is no source; without an href it stays plain text.
            del anchor.attrib["href"]
        elif href and base:
            anchor.set("href", _join(base, href))


def _body_text_and_links(body: etree._Element | None) -> tuple[list[str], list[str]]:
    if body is None:
        return [], []
    links: list[str] = []
    for ref in body.iter("ref"):
        target = _web_address(ref.get("target") or "")
        if target and target not in links:
            links.append(target)
    plain = deepcopy(body)
    # Links were kept only to collect their targets; as text they'd become Markdown.
    etree.strip_tags(plain, "ref")
    # Source line breaks inside a paragraph survive in link tails; blocks and <lb> are the
    # real breaks, so fold the rest (code keeps its layout).
    for element in plain.iter():
        if element.tag != "code":
            element.text = _fold_space(element.text)
        element.tail = _fold_space(element.tail)
    return _paragraphs(xmltotxt(plain, False)), links


def _parse_date(value: str | None) -> datetime.date | None:
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value[:10])
    except ValueError:
        return None


def _html_language(tree: HtmlElement) -> str:
    lang = (tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang") or "").strip()
    return lang[:2].lower() if re.match(r"^[A-Za-z]{2}\b", lang) else ""


def _drop_headline(paragraphs: list[str], title: str) -> list[str]:
    """The headline belongs in `title`; extractors often repeat it as the first block."""
    if paragraphs and title:
        first, wanted = paragraphs[0].casefold(), title.casefold()
        # og:title or <title> may carry " | Site name" after the headline.
        if first == wanted or (len(first) >= 15 and wanted.startswith(first)):
            return paragraphs[1:]
    return paragraphs


def extract_html(html: str, *, url: str | None = None) -> ExtractedDocument:
    """Main text and metadata of a page. Empty `text` means nothing readable was found."""
    tree = _parse_tree(html)
    document = None
    if tree is not None:
        _absolutize_links(tree, url)
        try:
            document = trafilatura.bare_extraction(
                tree, url=url, include_comments=False, include_links=True, with_metadata=True
            )
        except Exception:  # one odd page must not take the pipeline down: it has no text
            logger.warning("trafilatura failed on %s", url or "a page", exc_info=True)
    if tree is None or document is None:
        return ExtractedDocument(text="", canonical_url=url or "")

    base_url = document.url or url or ""
    paragraphs, links = _body_text_and_links(document.body)
    title = normalize_text(document.title or "")
    text = "\n\n".join(_drop_headline(paragraphs, title))
    return ExtractedDocument(
        text=text,
        title=title,
        byline=normalize_text(document.author or ""),
        published=_parse_date(document.date),
        site_name=normalize_text(document.sitename or ""),
        canonical_url=base_url,
        language=detect_language(text) or _html_language(tree),
        links=links,
        extractor="trafilatura" if text else "",
    )


def clean_pasted_text(text: str) -> ExtractedDocument:
    """A reviewer's pasted article without the page debris scrapers carry along."""
    cleaned = clean_paragraphs(text)
    body = "\n\n".join(cleaned.paragraphs)
    return ExtractedDocument(
        text=body,
        title=cleaned.title,
        byline=cleaned.byline,
        published=cleaned.published,
        language=detect_language(body),
        extractor="pasted",
    )
