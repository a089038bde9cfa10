"""Strip the page debris that comes along when a reviewer pastes a scraped article.

Scrapers save everything visible: breadcrumbs run into the headline, comment forms,
"Most Popular" boxes, teaser lists with truncated excerpts, placeholder paragraphs
repeated under every teaser. The rules here are about the *shape* of that debris, never
about a particular article's words:

- known furniture lines (comment-form prompts, share bars, "Advertisement") go anywhere;
- after some prose, a heading that only ever closes an article ("LEAVE A REPLY", "Most
  Popular", "More from Author") starts the trailing debris zone, which is cut off; a box
  heading that may also sit mid-article ("Related", "Read more") does so only when less
  than a quarter as much prose follows it as came before;
- a paragraph repeated verbatim three or more times is a placeholder, twice a duplicate;
- after the body, runs of headline-like lines (teaser lists) and short truncated
  excerpts go;
- breadcrumbs ("Home › World", "HomeWorldHeadline...") go; above the body, the headline,
  byline and dateline are taken out as metadata and section names or menus dropped;
- a cookie or consent banner ("We use cookies…", "Accept all cookies", GDPR consent text)
  goes with its buttons, unless the text itself is about cookies (a privacy policy).
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

# Matched against a casefolded line with trailing punctuation and asterisks stripped.
_FURNITURE_LINES = re.compile(
    r"(leave a (reply|comment)|post a comment|add a comment|join the (conversation|discussion)"
    r"|\d* ?comments?|no comments( yet)?|comments are closed|cancel reply|post comment|submit"
    r"|please enter your (comment|name|name here|email|email address|email address here)"
    r"|you have entered an incorrect email address"
    r"|(your )?email address will not be published.*|required fields are marked"
    r"|save my name,? email,? and website in this browser for the next time i comment"
    r"|notify me of (follow-up comments|new posts) by email|you must be logged in to post a comment"
    r"|name|email|e-mail|website|comment|name \(required\)|email \(required\)"
    r"|share( this( article| story| post)?)?|like this|share on \w+|tweet|print|whatsapp"
    r"|pinterest|linkedin|reddit|telegram|copy link|facebook|twitter|x"
    r"|advertisement|advertising|sponsored( content)?|skip to (main )?content|subscribe( now)?"
    r"|sign up for our newsletter|follow us( on \w+)?|all rights reserved"
    r"|read more|read now|read next|continue reading|show more|load more|click here"
    r"|about( us)?|contact( us)?|privacy( policy)?|terms( of (use|service))?|cookie (policy|settings)"
    r"|sitemap|site map|careers|advertise( with us)?|newsletters?|back to top)"
)
# Headings that only ever follow an article: comment sections and author / popularity
# boxes. After some prose, the first of them starts the trailing debris zone.
_CLOSING_HEADINGS = re.compile(
    r"(most (popular|read|viewed|shared)|more from (the )?author|about the author"
    r"|leave a (reply|comment)|post a comment|add a comment|join the (conversation|discussion)"
    r"|\d* ?(comments?|responses?|replies)|no comments( yet)?|comments are closed"
    r"|please enter your comment|you must be logged in to post a comment"
    r"|(your )?email address will not be published.*)"
)
# Headings of boxes that also sit inside articles ("Related" with two links mid-text):
# they start the zone only when little prose follows them.
_BOX_HEADINGS = re.compile(
    r"(more from [\w .'-]{1,30}|related( (posts|articles|stories|news|content|coverage|topics))?"
    r"|you (may|might) also (like|enjoy)|recommended( for you| stories| reading)?"
    r"|more (stories|news|articles|headlines|like this)|latest( news| posts| stories)?"
    r"|recent (posts|articles|stories)|popular (posts|articles|stories)|trending( now| stories)?"
    r"|don'?t miss|also read|see also|further reading|top stories|editor'?s picks"
    r"|read now|read next|read more)"
)
# A consent banner is recognised by its own stock phrases, in the site's voice: the site
# says it uses cookies, asks to accept or reject them, or points at its cookie settings.
# Words alone ("privacy", "GDPR", "agree") are not enough: articles use them too.
_CONSENT = re.compile(
    r"\b(we|this (web)?site|our (web)?site|our partners)( and our partners)?"
    r" (use|uses|store|stores|place|places) cookies\b"
    r"|\b(we|this (web)?site|our (web)?site) (use|uses) (\w+ )?(technologies|technology) such as cookies\b"
    r"|\b(accept|allow|reject|decline|refuse)( all| the| our)?( use of)? cookies\b"
    r"|\bcookies? (settings|preferences|consent|policy|notice|choices)\b"
    r"|\bby (continuing to (use|browse)|using|browsing) (this|our) (web)?site\b"
    r"|\bwe value your privacy\b|\bplease accept [\w ]{0,40}?cookies\b"
    r"|\b(consent|agree) to (the |our )?(use of |storing of )?cookies\b"
    r"|\b(wir verwenden|diese (web)?seite verwendet|wir nutzen) cookies\b|\bnous utilisons des cookies\b"
    r"|\b(utilizamos|usamos) cookies\b|\butilizziamo (i )?cookie\b|\bwe gebruiken cookies\b",
    re.I,
)
# The banner's buttons, on lines of their own once the banner is pasted or extracted.
_CONSENT_BUTTONS = re.compile(
    r"(accept|accept all|accept all cookies|accept cookies|allow all|allow cookies|reject|reject all"
    r"|decline|decline all|i agree|i accept|agree|ok|okay|got it"
    r"|manage (cookies|options|preferences|settings)"
    r"|cookie settings|customi[sz]e( settings)?|more options|necessary cookies only|only necessary)"
)
# A banner is a few sentences; a paragraph longer than this that mentions cookies is prose.
_CONSENT_MAX_WORDS = 120
_LABEL_LINE = re.compile(r"^(tags|filed under|topics|categories|category|keywords)\s*:", re.I)
# A home word, then a separator or two run-ins ("HomeKit" is a product, not a trail).
_BREADCRUMB_HOME = re.compile(
    r"^(?i:home|start|startseite|accueil|inicio|início|home ?page)"
    r"(\s*[›»>/|•]|[A-Z][a-z]+[A-Z])"
)
_BREADCRUMB_SEPS = re.compile(r"\s[›»>/|•]\s")
_RUN_IN = re.compile(r"(?<=[a-z])(?=[A-Z])")
_ELLIPSIS_END = re.compile(r"(\.\.\.|…)\s*$")
_SENTENCE_END = re.compile(r"[.!?…][\"'”’»)\]]*$")
# Two lower-case letters before the stop, so "U.S. Coordinate" and "Mr. Carney" don't count.
_INNER_SENTENCE = re.compile(r"[a-z0-9%]{2}[.!?][\"'”’»)]*\s+[\"'“‘«(]?[A-Z]")
_BYLINE = re.compile(r"^(?i:by|written by|von|par|por|di)\s+([A-Z][^.!?]{1,80})$")
_BYLINE_END = re.compile(r"\s*[,|•·]\s*|\s+[-–—]\s+")
_MONTHS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)}
_MONTH = r"(?P<month>(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*)\.?"
_DATES = tuple(
    re.compile(pattern, re.I)
    for pattern in (
        r"\b(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})\b",
        _MONTH + r"\s+(?P<day>\d{1,2})(st|nd|rd|th)?,?\s+(?P<year>\d{4})\b",
        r"\b(?P<day>\d{1,2})(st|nd|rd|th)?\s+(of\s+)?" + _MONTH + r",?\s+(?P<year>\d{4})\b",
    )
)
_LIST_ITEM = re.compile(r"^([-–—•*·▪►]|\d{1,2}[.)])\s")
_WORD = re.compile(r"\w+")
_HORIZONTAL_SPACE = re.compile(r"[^\S\n]+")
# Invisible characters that scraped text carries and that break exact matching.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u2060\ufeff\u00ad"), None)


@dataclass
class CleanedText:
    title: str = ""
    byline: str = ""
    published: datetime.date | None = None
    paragraphs: list[str] = field(default_factory=list)


def normalize_text(text: str) -> str:
    """NFC, one kind of newline, single spaces, at most one blank line between paragraphs."""
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [_HORIZONTAL_SPACE.sub(" ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _key(line: str) -> str:
    return line.casefold().rstrip(" :*!.|-–—").strip()


def _words(line: str) -> int:
    return len(_WORD.findall(line))


def is_consent_notice(line: str) -> bool:
    """A cookie or consent banner's text: short, and asking about cookies or consent."""
    return _words(line) <= _CONSENT_MAX_WORDS and bool(_CONSENT.search(line))


def drop_consent_notices(paragraphs: list[str]) -> list[str]:
    """The paragraphs without cookie / consent banners and their buttons.

    Kept as they are when most of the text is such notices: then the page is about
    cookies (a privacy policy) or is nothing but a banner, and the caller decides.
    """
    notice_chars = sum(len(p) for p in paragraphs if is_consent_notice(p))
    if not notice_chars or notice_chars * 2 >= sum(len(p) for p in paragraphs):
        return paragraphs
    return [p for p in paragraphs if not is_consent_notice(p) and not _CONSENT_BUTTONS.fullmatch(_key(p))]


def _is_furniture(line: str) -> bool:
    return bool(_FURNITURE_LINES.fullmatch(_key(line)) or _LABEL_LINE.match(line))


def _is_closing_heading(line: str) -> bool:
    return bool(_CLOSING_HEADINGS.fullmatch(_key(line)))


def _is_zone_heading(line: str) -> bool:
    return bool(_BOX_HEADINGS.fullmatch(_key(line))) or _is_closing_heading(line) or _is_furniture(line)


def _is_truncated(line: str) -> bool:
    return bool(_ELLIPSIS_END.search(line))


def _is_teaser(line: str) -> bool:
    """A teaser excerpt cut short. Longer cut-off paragraphs are an article behind a paywall."""
    return _is_truncated(line) and len(line) < 160


def _is_substantive(line: str) -> bool:
    """Prose: a sentence or more, not a label, a title or a truncated teaser."""
    if _is_teaser(line) or _words(line) < 6:
        return False
    # A long paragraph may lack its final stop (it ended in a link); a teaser title with a
    # question in it ("Lost Abroad? Tips") is short.
    return bool(_SENTENCE_END.search(line) or (_words(line) > 25 and _INNER_SENTENCE.search(line)))


def _is_title_like(line: str) -> bool:
    # Bulleted items are an author's list; scraped teaser lists lose their bullets.
    if _LIST_ITEM.match(line):
        return False
    return 1 <= _words(line) <= 20 and not _SENTENCE_END.search(line.rstrip("?"))


def _is_breadcrumb(line: str, others: list[str]) -> bool:
    if _words(line) > 25 or _SENTENCE_END.search(line.rstrip(".…")):
        return False
    if _BREADCRUMB_HOME.match(line) or len(_BREADCRUMB_SEPS.findall(line)) >= 2:
        return True
    # "SectionHeadline..." run together and cut short: a truncated copy of another line.
    if _is_truncated(line):
        stem = _ELLIPSIS_END.sub("", line).strip()
        starts = [0] + [m.start() for m in _RUN_IN.finditer(stem)]
        return any(
            len(stem) - s >= 12 and other != line and other.startswith(stem[s:])
            for s in starts
            for other in others
        )
    return False


def _wrap_width(lines: list[str]) -> int:
    """The column a hard-wrapped text was folded at, or 0 when it wasn't."""
    if len(lines) < 4:
        return 0
    lengths = sorted(len(line) for line in lines)
    # The 90th percentile, so one long URL or table row doesn't hide the fold.
    width = lengths[int(0.9 * (len(lengths) - 1))]
    near_fold = sum(1 for n in lengths if 0.75 * width <= n <= width * 1.1)
    return width if 40 <= width <= 100 and near_fold >= max(3, 0.3 * len(lines)) else 0


def _units(text: str) -> list[str]:
    """Paragraph candidates: lines, with the lines of a hard-wrapped text joined back."""
    blocks = [block.split("\n") for block in text.split("\n\n") if block.strip()]
    width = _wrap_width([line for block in blocks for line in block])
    if not width:
        return [line for block in blocks for line in block]
    units: list[str] = []
    for block in blocks:
        current: list[str] = []
        for i, line in enumerate(block):
            current.append(line)
            following = block[i + 1] if i + 1 < len(block) else ""
            # A folded line runs close to the fold, or its sentence goes on in lower case.
            continues = following and (
                len(line) >= 0.7 * width or (following[0].islower() and not _SENTENCE_END.search(line))
            )
            if not continues:
                units.append(" ".join(current))
                current = []
    return units


def _drop_repeats(units: list[str]) -> list[str]:
    counts = Counter(u for u in units if len(u) >= 20)
    seen: set[str] = set()
    kept: list[str] = []
    for unit in units:
        n = counts.get(unit, 0)
        # Three copies is a template placeholder, not something an author wrote thrice.
        if n >= 3 or (n == 2 and unit in seen):
            continue
        seen.add(unit)
        kept.append(unit)
    return kept


def _cut_trailing_zone(units: list[str]) -> list[str]:
    """Cut at the first heading after the body that opens the debris zone."""
    prose_before = 0
    for i, unit in enumerate(units):
        if prose_before and _is_closing_heading(unit):
            return units[:i]
        if prose_before and _is_zone_heading(unit):
            prose_after = sum(len(u) for u in units[i + 1 :] if _is_substantive(u))
            # A box mid-article is followed by most of the article; a closing box by teasers.
            if prose_after * 4 <= prose_before:
                return units[:i]
        if _is_substantive(unit):
            prose_before += len(unit)
    return units


def _drop_teaser_runs(units: list[str]) -> list[str]:
    """Drop runs of three or more headline-like lines: teaser lists under the article.

    Headline-length (four words or more) because short runs after an article are as often
    the author's own list ("Brazil", "India", "Sri Lanka") as a menu.
    """
    kept: list[str] = []
    run: list[str] = []
    for unit in [*units, ""]:
        if unit and _is_title_like(unit) and _words(unit) >= 4:
            run.append(unit)
            continue
        if len(run) < 3:
            kept.extend(run)
        run = []
        if unit:
            kept.append(unit)
    return kept


def _parse_date(line: str) -> datetime.date | None:
    for pattern in _DATES:
        match = pattern.search(line)
        if not match:
            continue
        parts = match.groupdict()
        month = parts["month"]
        month_number = int(month) if month.isdigit() else _MONTHS[month[:3].casefold()]
        try:
            return datetime.date(int(parts["year"]), month_number, int(parts["day"]))
        except ValueError:
            return None
    return None


def _read_lead(lead: list[str], result: CleanedText) -> list[str]:
    """Take byline, dateline and headline from the lines above the body; return the rest."""
    rest: list[str] = []
    for unit in lead:
        byline = _BYLINE.match(unit)
        if byline and not result.byline:
            # "Jane Doe, 19 October 2012 | Blog name": the name is what comes first.
            result.byline = _BYLINE_END.split(byline.group(1))[0].strip()
            result.published = result.published or _parse_date(unit)
        elif _words(unit) <= 12 and (published := _parse_date(unit)):
            result.published = result.published or published
        else:
            rest.append(unit)
    # The headline is the title-like line nearest the body; kickers, section names and
    # menus above it stay out of the text.
    headlines = [u for u in rest if _is_title_like(u) and _words(u) >= 3]
    if headlines:
        result.title = headlines[-1]
    return [u for u in rest if not _is_title_like(u)]


def clean_paragraphs(text: str) -> CleanedText:
    """Split pasted text into a headline, a byline and body paragraphs without the debris."""
    units = _units(normalize_text(text))
    units = [u for u in units if not _is_breadcrumb(u, units)]
    units = drop_consent_notices(units)
    units = _drop_repeats(units)
    units = _cut_trailing_zone(units)
    substantive = [i for i, u in enumerate(units) if _is_substantive(u)]
    if not substantive:
        # Nothing reads as prose (a list, a caption, a tweet): keep it, bar the furniture.
        return CleanedText(paragraphs=[u for u in units if not _is_furniture(u)])

    first, last = substantive[0], substantive[-1]
    lead = [u for u in units[:first] if not _is_zone_heading(u) and not _is_teaser(u)]
    body = [u for u in units[first : last + 1] if not _is_furniture(u)]
    tail = [u for u in units[last + 1 :] if not _is_zone_heading(u) and not _is_teaser(u)]

    result = CleanedText()
    result.paragraphs = _read_lead(lead, result) + body + _drop_teaser_runs(tail)
    return result
