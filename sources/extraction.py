"""Main text and metadata from a page (HTML) or from text a reviewer pasted.

HTML goes through a small cascade of three extractors, each used as its library ships it:
trafilatura (comments off; also the source of all metadata), readability-lxml and jusText.
No single one wins everywhere on the shared extraction sets (bench/extraction.py, numbers
in bench/RESULTS.md): trafilatura leads on modern pages, readability on older news pages,
and jusText's share of dense text is a good measure of how much prose a page really has.

1. trafilatura first. Pages without an <html>/<body> frame (fragments, old archives) fail
   its input check and are framed first (7 of 58 CleanEval pages came back empty before).
2. Its output is checked: empty; too short against the page's text density (jusText
   found more than five times as much prose); mostly link text; mostly a cookie or
   consent banner. If a check fails, readability's text and then jusText's are tried, and
   the first that passes the same checks (bar the density one) wins; after the link or
   banner check it must also score higher on a simple quality score (characters outside
   links and banners), since a link round-up may be all the page has.
3. Otherwise trafilatura's precision mode is the alternative and readability the
   referee: the precise text is kept when it agrees better with readability's (token F1),
   unless it kept under a fifth of the normal pass's text (then the passes disagree about
   which block is the article). Slideshows, teaser lists and reader posts that the normal
   pass keeps are what this removes.
4. Consent-banner paragraphs are dropped from whatever won, as from pasted text.

The price is time: readability and jusText run on every page, and the precision pass on
most, so a page takes about four times as long as trafilatura alone (still a fraction of
what the claim steps after it take). The margins over the best single extractor are thin
on dragnet_a and trafilatura_eval_a (a thousandth of F1 or less): see bench/RESULTS.md.

Tried and left out: a jusText switch when trafilatura's text looked short beside the
page's visible text (won CleanEval, lost Dragnet: jusText keeps reader comments);
choosing the fallback by the longest non-link text (same jusText problem); keeping only
trafilatura paragraphs that another extractor also found (a paragraph vote: precision up,
recall down more); replacing trafilatura by readability when readability's text is a
much shorter subset (right on Dragnet, wrong on trafilatura's own set); requiring the
precise pass to keep every token the normal pass shared with readability (lost Dragnet).

`ExtractedDocument.extractor` names the winner: "trafilatura", "trafilatura-precise",
"readability" or "justext".
"""

from __future__ import annotations

import datetime
import logging
import re
from collections import Counter
from collections.abc import Callable
from copy import deepcopy
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

import justext
import trafilatura
from lxml import etree
from lxml import html as lxml_html
from lxml.html import HtmlElement
from readability import Document as ReadabilityDocument
from trafilatura.utils import load_html
from trafilatura.xml import xmltotxt

from text.language import detect_language
from text.pasted_text import clean_paragraphs, drop_consent_notices, is_consent_notice, normalize_text

__all__ = [
    "ExtractedDocument",
    "clean_pasted_text",
    "detect_language",
    "extract_html",
    "justext_paragraphs",
    "readability_paragraphs",
]

logger = logging.getLogger(__name__)

_HAS_DOCUMENT = re.compile(r"<(html|body)[\s>]", re.I)
_SPACE_RUN = re.compile(r"\s+")
_TOKEN = re.compile(r"\w+")

# trafilatura's text is "too short" when jusText's dense prose on the same page is more
# than this many times longer. One of the cascade's two tuned constants, chosen on the even
# rows of the four dev sets (3 and 8 gave nearly the same scores; see bench/RESULTS.md).
_DENSITY_FACTOR = 5
# "Mostly": more than half of a text's characters.
_MOSTLY = 0.5
# The precision pass may trim the normal pass's text, not swap it for a fragment of it:
# under this share of its characters it is not considered (tuned with the density factor).
_MIN_PRECISE_SHARE = 0.2

# Our two-letter language codes (text.language) to jusText's stoplist names.
_STOPLISTS = {
    "en": "English", "fr": "French", "de": "German", "es": "Spanish", "it": "Italian",
    "pt": "Portuguese", "nl": "Dutch", "sv": "Swedish", "da": "Danish", "no": "Norwegian_Bokmal",
    "fi": "Finnish", "pl": "Polish", "tr": "Turkish", "hu": "Hungarian", "cs": "Czech",
    "ro": "Romanian", "id": "Indonesian", "ru": "Russian", "uk": "Ukrainian",
}  # fmt: skip
# Elements that end a line when readability's HTML is turned into paragraphs.
_BLOCKS = frozenset(
    "p div h1 h2 h3 h4 h5 h6 li br tr td th blockquote pre section article table ul ol dl dd dt "
    "figcaption header footer aside main nav form hr".split()
)


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


@dataclass
class Candidate:
    """One extractor's main text, as paragraphs, with how much of it is link text."""

    extractor: str
    paragraphs: list[str]
    link_chars: int = 0
    links: list[str] = field(default_factory=list)

    @property
    def chars(self) -> int:
        return sum(len(p) for p in self.paragraphs)

    @property
    def link_share(self) -> float:
        return self.link_chars / self.chars if self.chars else 0.0

    @property
    def consent_chars(self) -> int:
        return sum(len(p) for p in self.paragraphs if is_consent_notice(p))

    @property
    def consent_share(self) -> float:
        return self.consent_chars / self.chars if self.chars else 0.0

    @property
    def quality(self) -> int:
        """The simple quality score: characters that are neither link text nor a consent banner."""
        return self.chars - self.link_chars - self.consent_chars


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


def _body_text_and_links(body: etree._Element | None) -> tuple[list[str], list[str], int]:
    """Paragraphs, link targets and the number of characters inside links."""
    if body is None:
        return [], [], 0
    links: list[str] = []
    link_chars = 0
    for ref in body.iter("ref"):
        link_chars += len(" ".join("".join(ref.itertext()).split()))
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
    return _paragraphs(xmltotxt(plain, False)), links, link_chars


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


def _trafilatura(tree: HtmlElement, url: str | None, *, precise: bool) -> tuple[Candidate, Any]:
    """trafilatura's text (and its metadata document), in its normal or its precision mode."""
    name = "trafilatura-precise" if precise else "trafilatura"
    try:
        document = trafilatura.bare_extraction(
            tree,
            url=url,
            include_comments=False,
            include_links=True,
            with_metadata=not precise,
            favor_precision=precise,
        )
    except Exception:  # one odd page must not take the pipeline down: it has no text
        logger.warning("trafilatura failed on %s", url or "a page", exc_info=True)
        return Candidate(name, []), None
    if document is None:
        return Candidate(name, []), None
    paragraphs, links, link_chars = _body_text_and_links(document.body)
    return Candidate(name, paragraphs, link_chars, links), document


def _block_text(element: HtmlElement, parts: list[str]) -> None:
    block = isinstance(element.tag, str) and element.tag in _BLOCKS
    if block:
        parts.append("\n")
    if isinstance(element.tag, str) and element.text:
        parts.append(element.text)
    for child in element:
        _block_text(child, parts)
    if block:
        parts.append("\n")
    if element.tail:
        parts.append(element.tail)


def _readability(html: str, base: str) -> Candidate:
    try:
        summary = ReadabilityDocument(html).summary(html_partial=True)
        fragment = lxml_html.fragment_fromstring(summary, create_parent="div") if summary.strip() else None
    except Exception:  # readability raises on pages it cannot score; that is no text
        logger.debug("readability failed on a page", exc_info=True)
        return Candidate("readability", [])
    if fragment is None:
        return Candidate("readability", [])
    parts: list[str] = []
    _block_text(fragment, parts)
    links: list[str] = []
    link_chars = 0
    for anchor in fragment.iter("a"):
        link_chars += len(" ".join(anchor.text_content().split()))
        target = _web_address(_join(base, (anchor.get("href") or "").strip()))
        if target and target not in links:
            links.append(target)
    return Candidate("readability", _paragraphs("".join(parts)), link_chars, links)


def readability_paragraphs(html: str) -> list[str]:
    """readability-lxml's main text as paragraphs: the cascade's fallback, and a baseline."""
    return _readability(html, "").paragraphs


def _justext(html: str, language: str) -> Candidate:
    try:
        blocks = justext.justext(html, justext.get_stoplist(_STOPLISTS.get(language, "English")))
    except Exception:  # jusText gives up on some markup; that is no text
        logger.debug("jusText failed on a page", exc_info=True)
        return Candidate("justext", [])
    good = [b for b in blocks if not b.is_boilerplate]
    return Candidate("justext", [b.text for b in good if b.text], sum(b.chars_count_in_links for b in good))


def justext_paragraphs(html: str, language: str = "en") -> list[str]:
    """jusText's good paragraphs with the stoplist of `language`: a fallback, and a baseline."""
    return _justext(html, language).paragraphs


def _links_found_in(tree: HtmlElement, paragraphs: list[str]) -> list[str]:
    """Targets of the page's links whose text is in `paragraphs` (jusText keeps no hrefs)."""
    text = " ".join(paragraphs)
    links: list[str] = []
    for anchor in tree.iter("a"):
        label = " ".join(anchor.text_content().split())
        # A two-word label ("this report") is too common to place; a sentence's worth is not.
        if len(label.split()) >= 3 and label in text:
            target = _web_address(anchor.get("href") or "")
            if target and target not in links:
                links.append(target)
    return links


_EMPTY, _CONSENT, _LINKS, _SHORT = "empty", "consent banner", "mostly links", "short beside the dense text"


def _problem(candidate: Candidate, dense: Candidate | None = None) -> str:
    """Why `candidate` cannot be the main text, or "" when it can."""
    if not candidate.paragraphs:
        return _EMPTY
    if candidate.consent_share > _MOSTLY:
        return _CONSENT
    if candidate.link_share > _MOSTLY:
        return _LINKS
    if dense is not None and dense.chars > _DENSITY_FACTOR * candidate.chars:
        return _SHORT
    return ""


def _tokens(paragraphs: list[str]) -> Counter[str]:
    return Counter(_TOKEN.findall(" ".join(paragraphs).casefold()))


def _f1(a: Counter[str], b: Counter[str]) -> float:
    overlap = sum((a & b).values())
    return 2 * overlap / (a.total() + b.total()) if overlap else 0.0


def prefers_precise(normal: Candidate, precise: Candidate, referee: Candidate) -> bool:
    """Whether trafilatura's precision mode is the better text, with readability as referee.

    Precise wins when its text agrees better with the referee's (token F1): what it dropped
    the referee did not want either. Unless it kept under a fifth of the normal pass: then
    the two passes disagree about which block is the article (readability too can lock onto
    a caption or one forum post), and the normal pass is the safer text.
    """
    if not precise.paragraphs or not referee.paragraphs or precise.chars < _MIN_PRECISE_SHARE * normal.chars:
        return False
    ref = _tokens(referee.paragraphs)
    return _f1(_tokens(precise.paragraphs), ref) > _f1(_tokens(normal.paragraphs), ref)


def choose_main_text(
    first: Candidate,
    fallbacks: list[Candidate],
    dense: Candidate,
    precise: Callable[[], Candidate],
) -> Candidate:
    """The cascade's decision: trafilatura unless a check fails, then the first good fallback."""
    problem = _problem(first, dense)
    if problem:
        # A link list or a banner may still be all the page has (a link round-up): a
        # fallback must then bring more real text. Empty or short needs no such proof.
        gated = problem in (_LINKS, _CONSENT)
        for fallback in fallbacks:
            if fallback.paragraphs and not _problem(fallback):
                if gated and fallback.quality <= first.quality:
                    continue
                logger.debug("trafilatura's text: %s; %s instead", problem, fallback.extractor)
                return fallback
        # Nothing better: a short or link-heavy text is still the page's text.
        return first if first.paragraphs else next((f for f in fallbacks if f.paragraphs), first)
    readable = next((f for f in fallbacks if f.extractor == "readability"), None)
    if readable is not None and readable.paragraphs:
        alternative = precise()
        if prefers_precise(first, alternative, readable):
            return alternative
    return first


def extract_html(html: str, *, url: str | None = None) -> ExtractedDocument:
    """Main text and metadata of a page. Empty `text` means nothing readable was found."""
    tree = _parse_tree(html)
    if tree is None:
        return ExtractedDocument(text="", canonical_url=url or "")
    _absolutize_links(tree, url)
    first, document = _trafilatura(tree, url, precise=False)
    base_url = (document.url if document is not None else "") or url or ""
    readable = _readability(html, base_url)
    language = (
        _html_language(tree)
        or detect_language(" ".join(first.paragraphs))
        or detect_language(" ".join(readable.paragraphs))
    )
    dense = _justext(html, language)
    chosen = choose_main_text(
        first, [readable, dense], dense, lambda: _trafilatura(tree, url, precise=True)[0]
    )
    if chosen.extractor == "justext":
        chosen.links = _links_found_in(tree, chosen.paragraphs)

    title = normalize_text(document.title or "") if document is not None else ""
    paragraphs = drop_consent_notices(_drop_headline(chosen.paragraphs, title))
    text = "\n\n".join(paragraphs)
    return ExtractedDocument(
        text=text,
        title=title,
        byline=normalize_text(document.author or "") if document is not None else "",
        published=_parse_date(document.date) if document is not None else None,
        site_name=normalize_text(document.sitename or "") if document is not None else "",
        canonical_url=base_url,
        language=detect_language(text) or _html_language(tree),
        links=chosen.links if text else [],
        extractor=chosen.extractor if text else "",
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
