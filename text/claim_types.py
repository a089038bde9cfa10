"""What kind of claim a sentence makes, in the categories fact-checkers use.

Full Fact's claim types (Konstantinovskiy et al., "Toward Automated Factchecking", 2021): a
quantity, a prediction, cause and effect, a rule or law, personal experience. A reviewer reads
the type as the first reason a sentence was picked ("a quantity: from 18,000 to 20,000"), and
the check-worthiness model reads the same flags as features. Phrase lists, not a classifier:
each type must be explainable by the words that triggered it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from text.quantities import extract_quantities

__all__ = ["CLAIM_TYPES", "ClaimType", "claim_types"]


@dataclass(frozen=True)
class ClaimType:
    name: str  # one of CLAIM_TYPES
    label: str  # what a reviewer reads, with the words that triggered it


# name -> how it is shown before its trigger ("a prediction: 'aims to'").
CLAIM_TYPES: dict[str, str] = {
    "quantity": "a quantity",
    "prediction": "a prediction or target",
    "cause": "cause and effect",
    "rule": "a rule or law",
    "personal": "personal experience",
}


def _phrases(spec: str) -> re.Pattern[str]:
    words = sorted((w.strip() for w in spec.split("|") if w.strip()), key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b", re.IGNORECASE)


_PREDICTION = _phrases(
    "will|won't|going to|is expected to|are expected to|expected to|forecast|forecasts|projected|"
    "projects|predicts|predicted|aims to|aim to|plans to|plan to|target|targets|set to|on track to|"
    "by next year|next year|next two years|next decade|within a decade|in the coming"
)
_CAUSE = _phrases(
    "because|because of|caused|causes|causing|led to|leads to|leading to|due to|as a result|"
    "result of|resulted in|results in|linked to|linking|responsible for|blamed|blames|thanks to|"
    "link|links|driven by|drives|contributed to|contributes to|fuelled|fueled|triggered|prevents|prevented"
)
# What a law or rule says (not every mention of a policy or an agreement).
_RULE = _phrases(
    "legislation|bill|bills|regulation|regulations|statute|unconstitutional|constitution|"
    "treaty|mandatory|is illegal|are illegal|it is illegal|against the law|required by law|banned|"
    "ban on|bans|prohibits|prohibited|is legal|are legal|entitled to"
)
# A record or a ranking is a claim about a quantity even without a figure ("a decade high").
_LAW = re.compile(r"\blaws?\b(?!\s+enforcement)", re.IGNORECASE)  # not "law enforcement"
_RECORD = _phrases(
    "record|record high|record low|all-time high|all-time low|decade high|decade low|highest|lowest|"
    "largest|smallest|biggest|fastest|slowest|fewest|the most|the least|more than ever|first time"
)
_PERSONAL = re.compile(
    r"\b(?:I|we)\s+(?:was|were|have|had|saw|met|went|grew|lived|worked|visited|spoke|got|did)\b|"
    r"\bmy\s+(?:family|father|mother|dad|mom|mum|wife|husband|son|daughter|life|experience)\b",
    re.IGNORECASE,
)


def _quantity_label(sentence: str, quantities: list[dict[str, Any]]) -> str | None:
    """ "from 18,000 to 20,000" when the figures have roles, else the first figures, years left out
    (a year dates a claim; it is not the quantity being claimed), else a record or ranking."""
    figures = [q for q in quantities if q["kind"] not in {"year", "duration"}]
    roles = {q.get("role") for q in figures}
    if {"from", "to"} <= roles:
        start = next(q["text"] for q in figures if q.get("role") == "from")
        end = next(q["text"] for q in figures if q.get("role") == "to")
        return f"from {start} to {end}"
    if figures:
        return ", ".join(q["text"] for q in figures[:3])
    record = _RECORD.search(sentence)
    return f"“{record.group(0).lower()}”" if record else None


def claim_types(sentence: str, quantities: list[dict[str, Any]] | None = None) -> list[ClaimType]:
    """The types a sentence's words show, most checkable first. `quantities` is the sentence's
    `extract_quantities`, when the caller has it already."""
    found: list[ClaimType] = []
    quantity = _quantity_label(sentence, extract_quantities(sentence) if quantities is None else quantities)
    if quantity:
        found.append(ClaimType("quantity", f"{CLAIM_TYPES['quantity']}: {quantity}"))
    for name, pattern in (("prediction", _PREDICTION), ("cause", _CAUSE), ("rule", _RULE)):
        match = pattern.search(sentence) or (_LAW.search(sentence) if name == "rule" else None)
        if match:
            found.append(ClaimType(name, f"{CLAIM_TYPES[name]} (“{match.group(0).lower()}”)"))
    personal = _PERSONAL.search(sentence)
    if personal:
        found.append(ClaimType("personal", f"{CLAIM_TYPES['personal']} (“{personal.group(0)}”)"))
    return found
