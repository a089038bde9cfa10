"""React to re-checked sources: flag claims whose evidence changed or vanished, with a readable diff.

`sources` announces a changed snapshot or a gone source; this module decides which claims care.
A claim cares when it has a verdict (verified / disputed) and non-rejected evidence from that
source, or is still open with confirmed evidence from it. A passage that still appears in the new
text (after normalising quotes, dashes, case and whitespace) is fine; otherwise the claim is flagged
`needs_recheck` with the old passage diffed against the closest passage of the new text. The old
snapshot stays what the verdict rests on: nothing here touches Evidence rows.
"""

import difflib
import re
import unicodedata
from typing import Any

from django.db.models import Q, QuerySet

from sources.models import Snapshot, Source, SourceCheck
from sources.passages import cut_passages
from sources.recheck import sources_mark_backing_verdict

from ..models import Claim, ClaimEvent, Evidence
from .claims import VERDICTS, claim_flag_recheck

OPEN = [Claim.Status.UNREVIEWED, Claim.Status.IN_REVIEW]
# Below this similarity no new passage is "the same passage, edited": the diff shows it removed.
CLOSEST_MIN_RATIO = 0.35
# Bounds the work per changed page: a 5 MB page has tens of thousands of windows.
MAX_CANDIDATES = 3000
_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "\u00a0": " "})


def normalise(text: str) -> str:
    """Text as compared: typography and spacing edits are not changes of substance."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES).casefold()
    return re.sub(r"\s+", " ", text).strip()


def evidence_resting_on(source_id: int) -> QuerySet[Evidence]:
    verdict = Q(claim__status__in=VERDICTS)
    open_confirmed = Q(is_confirmed=True, claim__status__in=OPEN)
    return (
        Evidence.objects.filter(snapshot__source_id=source_id, is_rejected=False)
        .filter(verdict | open_confirmed)
        .select_related("passage", "snapshot")
        .order_by("claim_id", "id")
    )


def closest_passage(old: str, candidates: list[str]) -> tuple[str, float]:
    """The new passage most like `old` (difflib ratio), cheap upper bounds first."""
    best, best_ratio = "", 0.0
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(old)
    for text in candidates[:MAX_CANDIDATES]:
        matcher.set_seq1(text)
        if matcher.real_quick_ratio() <= best_ratio or matcher.quick_ratio() <= best_ratio:
            continue
        ratio = matcher.ratio()
        if ratio > best_ratio:
            best, best_ratio = text, ratio
    return best, best_ratio


def word_diff(old: str, new: str) -> str:
    """A unified diff over words, one word per line, trimmed to the changed hunks: readable in the
    UI (red/green lines) and in a webhook payload."""
    lines = difflib.unified_diff(
        old.split(), new.split(), "evidence (as reviewed)", "page now", lineterm="", n=4
    )
    return "\n".join(lines)


def passage_change(old_passage: str, new_text: str, candidates: list[str]) -> dict[str, Any] | None:
    """None when the passage still stands in the new text; otherwise what became of it."""
    if normalise(old_passage) in normalise(new_text):
        return None
    closest, ratio = closest_passage(old_passage, candidates)
    if ratio < CLOSEST_MIN_RATIO:
        closest = ""
    return {
        "old": old_passage,
        "closest": closest,
        "similarity": round(ratio, 3),
        "diff": word_diff(old_passage, closest),
    }


def claims_recheck_changed_source(
    *, source_id: int, old_snapshot_id: int | None, new_snapshot_id: int
) -> list[int]:
    """Flag the claims whose evidence from this source no longer reads the same. Idempotent per
    new snapshot: a redelivered task flags nobody twice. Returns the flagged claim ids."""
    new = Snapshot.objects.select_related("source").get(pk=new_snapshot_id)
    candidates = [span.text for span in cut_passages(new.text)]
    new_norm = normalise(new.text)
    changes: dict[int, list[dict[str, Any]]] = {}
    seen: dict[int, dict[str, Any] | None] = {}
    for evidence in evidence_resting_on(source_id):
        passage = evidence.passage
        if passage.pk not in seen:
            still_there = normalise(passage.text) in new_norm
            seen[passage.pk] = None if still_there else passage_change(passage.text, new.text, candidates)
        change = seen[passage.pk]
        if change is not None:
            entry = {"evidence": evidence.pk, "snapshot": evidence.snapshot_id, **change}
            changes.setdefault(evidence.claim_id, []).append(entry)
    flagged = []
    for claim_id, items in changes.items():
        already = ClaimEvent.objects.filter(
            claim_id=claim_id, kind="needs_recheck", after__new_snapshot=new_snapshot_id
        ).exists()
        if already:
            continue
        gone = sum(1 for item in items if not item["closest"])
        reason = (
            f"The source {new.source.url} changed on {new.fetched_at:%Y-%m-%d}: "
            f"{len(items)} passage(s) this claim rests on no longer read the same"
            + (f" ({gone} removed entirely)." if gone else ".")
        )
        claim_flag_recheck(
            claim=Claim(pk=claim_id),
            reason=reason,
            diff="\n\n".join(item["diff"] for item in items),
            details={
                "source": source_id,
                "old_snapshot": old_snapshot_id,
                "new_snapshot": new_snapshot_id,
                "passages": items,
            },
        )
        flagged.append(claim_id)
    return flagged


def claims_flag_gone_source(*, source_id: int, reason: str = "") -> list[int]:
    """Flag the claims resting on a source that is gone; the stored snapshots keep the evidence
    viewable. Idempotent per "gone" history row (a source can come back and go again)."""
    source = Source.objects.get(pk=source_id)
    check = source.checks.filter(outcome=SourceCheck.Outcome.GONE).order_by("-checked_at", "-id").first()
    check_id = check.pk if check else None
    claim_ids = sorted(set(evidence_resting_on(source_id).values_list("claim_id", flat=True)))
    flagged = []
    for claim_id in claim_ids:
        if ClaimEvent.objects.filter(
            claim_id=claim_id, kind="needs_recheck", after__gone_check=check_id
        ).exists():
            continue
        why = reason or source.last_error or "no longer reachable"
        claim_flag_recheck(
            claim=Claim(pk=claim_id),
            reason=f"The source {source.url} is gone ({why}). "
            "Its stored snapshot still shows the evidence as it was reviewed.",
            details={"source": source_id, "gone_check": check_id},
        )
        flagged.append(claim_id)
    return flagged


def claim_sources_back_verdict(claim: Claim) -> int:
    """A verdict now rests on this claim's evidence: its sources move to the verdict cadence."""
    source_ids = list(
        Evidence.objects.filter(claim=claim, is_rejected=False)
        .values_list("snapshot__source_id", flat=True)
        .distinct()
    )
    return sources_mark_backing_verdict(source_ids)
