"""Named entities by capitalisation, cue words and a small gazetteer (no statistical tagger).

Good enough to say "names an agency" in a claim's reasons and to compare entities between a claim
and a source passage. It errs towards precision: a lone capitalised word at the start of a
sentence ("Officials", "Immigration") is not an entity unless the text confirms it elsewhere.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["extract_entities"]

_COUNTRIES = (
    "Afghanistan|Albania|Algeria|Angola|Argentina|Armenia|Australia|Austria|Azerbaijan|Bahamas|"
    "Bahrain|Bangladesh|Belarus|Belgium|Belize|Benin|Bhutan|Bolivia|Bosnia|Botswana|Brazil|Brunei|"
    "Bulgaria|Burkina Faso|Burundi|Cambodia|Cameroon|Canada|Chad|Chile|China|Colombia|Congo|"
    "Costa Rica|Croatia|Cuba|Cyprus|Czech Republic|Czechia|Denmark|Djibouti|Dominican Republic|"
    "Ecuador|Egypt|El Salvador|Eritrea|Estonia|Eswatini|Ethiopia|Fiji|Finland|France|Gabon|Gambia|"
    "Georgia|Germany|Ghana|Greece|Guatemala|Guinea|Guyana|Haiti|Honduras|Hong Kong|Hungary|Iceland|"
    "India|Indonesia|Iran|Iraq|Ireland|Israel|Italy|Ivory Coast|Jamaica|Japan|Jordan|Kazakhstan|"
    "Kenya|Kosovo|Kuwait|Kyrgyzstan|Laos|Latvia|Lebanon|Lesotho|Liberia|Libya|Lithuania|Luxembourg|"
    "Madagascar|Malawi|Malaysia|Maldives|Mali|Malta|Mauritania|Mauritius|Mexico|Moldova|Monaco|"
    "Mongolia|Montenegro|Morocco|Mozambique|Myanmar|Namibia|Nepal|Netherlands|New Zealand|"
    "Nicaragua|Niger|Nigeria|North Korea|North Macedonia|Norway|Oman|Pakistan|Palestine|Panama|"
    "Papua New Guinea|Paraguay|Peru|Philippines|Poland|Portugal|Qatar|Romania|Russia|Rwanda|"
    "Saudi Arabia|Senegal|Serbia|Sierra Leone|Singapore|Slovakia|Slovenia|Somalia|South Africa|"
    "South Korea|South Sudan|Spain|Sri Lanka|Sudan|Suriname|Sweden|Switzerland|Syria|Taiwan|"
    "Tajikistan|Tanzania|Thailand|Togo|Tunisia|Turkey|Turkmenistan|Uganda|Ukraine|"
    "United Arab Emirates|United Kingdom|United States|United States of America|Uruguay|"
    "Uzbekistan|Venezuela|Vietnam|Yemen|Zambia|Zimbabwe|Britain|Great Britain|England|Scotland|"
    "Wales|Northern Ireland|America|Europe|Asia|Africa|North America|South America|Latin America|"
    "Middle East|Antarctica|Arctic|Caribbean|Gaza|West Bank|Crimea|Kashmir|Tibet|Greenland|"
    "Alberta|British Columbia|Manitoba|New Brunswick|Newfoundland|Nova Scotia|Ontario|Quebec|"
    "Saskatchewan|Yukon|Nunavut|California|Texas|Florida|New York|Washington|Arizona|Illinois|"
    "Ohio|Michigan|Pennsylvania|Virginia|Massachusetts|New Jersey|Oregon|Nevada|Colorado|"
    "Minnesota|Wisconsin|Iowa|Alaska|Hawaii|London|Paris|Berlin|Brussels|Toronto|Montreal|"
    "Vancouver|Ottawa|Beijing|Moscow|Tokyo|Delhi|New Delhi|Mumbai|Kyiv|Kiev|Jerusalem|Tehran|"
    "Chicago|Los Angeles|San Francisco|Boston|Geneva|Rome|Madrid|Dublin|Sydney|Lagos|Nairobi|Cairo"
)
_PLACES = frozenset(_COUNTRIES.split("|"))
_PLACE_ACRONYMS = frozenset({"U.S.", "US", "USA", "U.S.A.", "UK", "U.K.", "UAE", "DRC"})
_ORG_WORDS = frozenset(
    "Agency Department Ministry Bank Council Commission University College Inc Inc. Corp Corp. "
    "Corporation Ltd Ltd. Company Co. Party Association Service Services Office Court Parliament "
    "Congress Senate House Committee Institute Foundation Board Authority Police Forces Army Navy "
    "Government Organization Organisation Union Group Fund Bureau School Hospital Times Post News "
    "Network Administration Centre Center Federation League Coalition Alliance Society Trust Press "
    "Journal Airlines Motors Nations Reserve Assembly Cabinet Tribunal Secretariat Unit".split()
)
_KNOWN_ORGS = frozenset(
    "Reuters Bloomberg Congress Parliament Senate Pentagon Kremlin Google Microsoft Apple Amazon "
    "Facebook Meta Twitter Tesla Walmart Medicare Medicaid Interpol Europol".split()
)
_PLACE_WORDS = frozenset(
    "City County Province State River Island Islands Mountains Valley Bay Sea Ocean Street Avenue "
    "Region District Territory Territories Coast Lake Park Peninsula Strait Gulf".split()
)
_TITLES = frozenset(
    "President Minister Senator Sen. Rep. Representative Governor Gov. Mayor Premier Chancellor "
    "Secretary Judge Justice Dr. Mr. Mrs. Ms. Sir Lord King Queen Prince Princess Pope General "
    "Gen. Mr Mrs Ms Dr Sen Rep Gov Gen Prof Chief CEO Chairman Chairwoman Chair Commissioner "
    "Ambassador Speaker Deputy Leader "
    "Professor Prof. Officer Director Spokesperson Spokesman Spokeswoman Attorney".split()
)
_STOP = frozenset(
    "the a an this that these those there their they it its he she we i you his her our my your "
    "since when while both but and or if as at in on for from to by of with after before during "
    "although though however meanwhile also so yet still now then here what who why how where "
    "all any each every some many most more no not one other such only according last next new".split()
)
_CALENDAR = frozenset(
    "January February March April May June July August September October November December "
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
)
_CONNECTORS = frozenset({"of", "for", "the", "de", "del", "du", "la", "van", "von", "bin", "al", "&"})
_TOKEN = re.compile(
    r"\b(?:Mr|Mrs|Ms|Dr|Sen|Rep|Gov|Gen|Prof|St|Jr|Sr)\.|(?:[A-Z]\.){2,}|[A-Z][\w\-.’']*[\w’']|[A-Z]|&|\b(?:of|for|the|de|del|du|la|van|von|bin|al)\b"
)
_POSSESSIVE = re.compile(r"['’]s$")
_SENTENCE_START = re.compile(r"(?:^|[.!?:]['\"”’)]?\s+|\n\s*|[\"“‘(]\s*)$")


def _tokens(text: str) -> list[list[re.Match[str]]]:
    """Runs of capitalised tokens (with connectors inside) separated only by single spaces."""
    runs: list[list[re.Match[str]]] = []
    current: list[re.Match[str]] = []
    for m in _TOKEN.finditer(text):
        adjacent = bool(current) and text[current[-1].end() : m.start()] == " "
        connector_after_possessive = (
            adjacent and _POSSESSIVE.search(current[-1].group()) and not m.group()[0].isupper()
        )
        if adjacent and not connector_after_possessive:
            current.append(m)
            continue
        if current:
            runs.append(current)
        current = [m]
    if current:
        runs.append(current)
    return runs


def _trim(run: list[re.Match[str]]) -> list[re.Match[str]]:
    while run and (run[0].group() in _CONNECTORS or run[0].group().lower() in _STOP):
        run = run[1:]
    while run and (run[-1].group() in _CONNECTORS or run[-1].group() in _CALENDAR):
        run = run[:-1]
    return run


def _split_possessive(run: list[re.Match[str]]) -> list[list[re.Match[str]]]:
    """'Canada’s Border Services Agency' stays whole; 'Canada’s Trudeau' is two entities."""
    for i, tok in enumerate(run[:-1]):
        if _POSSESSIVE.search(tok.group()):
            tail = run[i + 1 :]
            if any(t.group() in _ORG_WORDS for t in tail):
                return [run]
            return [run[: i + 1], tail]
    return [run]


def _is_acronym(word: str) -> bool:
    return bool(re.fullmatch(r"(?:[A-Z]\.){2,}|[A-Z][A-Z&]{1,6}s?", word))


def _kind(words: list[str], after_title: bool) -> str:
    name = " ".join(words)
    bare = _POSSESSIVE.sub("", name)
    if len(words) == 1 and _is_acronym(bare):
        return "place" if bare in _PLACE_ACRONYMS else "acronym"
    if (len(words) > 1 and any(w in _ORG_WORDS for w in words)) or bare in _KNOWN_ORGS:
        return "org"
    if bare in _PLACES or words[-1] in _PLACE_WORDS:
        return "place"
    if after_title:
        return "person"
    capitalised = [w for w in words if w[0].isupper()]
    if 2 <= len(words) <= 3 and len(capitalised) == len(words) and not any(c.isdigit() for c in name):
        return "person"
    return "other"


_TITLE_CASE_SMALL = frozenset(
    "with from into over amid says said after about than that this onto upon when what".split()
)


def _headline_like(text: str, start: int) -> bool:
    """A title-case line (headline, teaser) capitalises every content word, so capitalisation
    says nothing there; only acronyms and known places are safe."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", start)
    line = text[line_start : line_end if line_end != -1 else None].strip()
    if re.search(r"(?<!\.\.)[.!?;:][\"”’')]?$", line):
        return False
    words = re.findall(r"[A-Za-z][\w’'-]*", line)
    lower = [w for w in words if w[0].islower() and len(w) >= 4 and w not in _TITLE_CASE_SMALL]
    return len(words) >= 5 and not lower


def extract_entities(text: str) -> list[dict[str, Any]]:
    """Organisations, people, places and acronyms with exact spans, in text order."""
    found: list[dict[str, Any]] = []
    for raw_run in _tokens(text):
        before = text[max(0, raw_run[0].start() - 4) : raw_run[0].start()]
        sentence_start = bool(_SENTENCE_START.search(before))
        run = _trim(raw_run)
        if run is not raw_run and run and run[0].start() != raw_run[0].start():
            sentence_start = False  # a stripped "The"/"Since" was the sentence's first word
        pieces: list[tuple[list[re.Match[str]], bool]] = [(run, False)]
        title_end = max((i for i, t in enumerate(run) if t.group() in _TITLES), default=-1)
        if title_end == len(run) - 1:
            continue  # a bare title ("the President said") names nobody in particular
        if title_end >= 0:
            rest = run[title_end + 1 :]
            # "Dr. Jane Doe of the Bank of Canada": the person ends where a connector starts.
            cut = next((i for i, t in enumerate(rest) if t.group() in _CONNECTORS), len(rest))
            pieces = [(rest[:cut], True), (_trim(rest[cut:]), False)]
            sentence_start = False
        for run, after_title in pieces:
            _collect(text, run, raw_run, after_title, sentence_start, found)
    return _resolve_surnames(text, found)


def _collect(
    text: str,
    run: list[re.Match[str]],
    raw_run: list[re.Match[str]],
    after_title: bool,
    sentence_start: bool,
    found: list[dict[str, Any]],
) -> None:
    for part in _split_possessive(run):
        part = _trim(part)
        if not part:
            continue
        words = [t.group() for t in part]
        if len(words) > 1 and all(w.isupper() for w in words):
            continue  # "LEAVE A REPLY": shouted page furniture, not a name
        kind = _kind(words, after_title)
        first = part[0].start() == raw_run[0].start()
        if len(words) == 1 and words[0] in _CALENDAR | {"I"}:
            continue
        if kind in {"other", "person"} and _headline_like(text, part[0].start()):
            continue
        if kind == "other" and len(words) == 1 and sentence_start and first:
            continue
        found.append({"words": words, "kind": kind, "start": part[0].start(), "end": part[-1].end()})


def _resolve_surnames(text: str, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A later bare 'Trump' is the 'Donald Trump' named earlier in the same text."""
    surnames = {e["words"][-1] for e in found if e["kind"] == "person"}
    out: list[dict[str, Any]] = []
    for e in found:
        kind = e["kind"]
        bare = _POSSESSIVE.sub("", e["words"][-1])
        if kind == "other" and len(e["words"]) == 1 and bare in surnames:
            kind = "person"
        end = e["end"]
        if _POSSESSIVE.search(e["words"][-1]) and len(e["words"]) == 1:
            end -= 2  # "Canada’s" names Canada
        out.append({"text": text[e["start"] : end], "kind": kind, "start": e["start"], "end": end})
    return out
