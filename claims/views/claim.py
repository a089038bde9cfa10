from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from ..errors import NotAllowed, ReviewError, StaleVersion
from ..forms import (
    RATING_SUGGESTIONS,
    AddSourceForm,
    AssignForm,
    CommentForm,
    EvidenceDecisionForm,
    ReasonForm,
    VerdictForm,
)
from ..models import Claim, ClaimLink, Evidence, FactCheckMatch
from ..permissions import is_editor
from ..selectors.claim_page import claim_page
from ..selectors.queue import assignable_users
from ..services import claims as claim_writes
from ..services import duplicates as duplicate_writes
from ..services import evidence as evidence_writes
from ..services import factchecks as factcheck_writes
from ._common import get_claim_for_user, refuse, safe_next


def _claim_url(claim: Claim, anchor: str = "") -> str:
    return reverse("claims:claim_detail", args=[claim.pk]) + (f"#{anchor}" if anchor else "")


def _verdict_initial(claim: Claim, cite: str | None = None) -> dict[str, Any]:
    initial: dict[str, Any] = {"version": claim.version}
    if claim.has_verdict:
        initial.update(status=claim.status, rationale=claim.rationale, rating_label=claim.rating_label)
    elif cite and cite.isdigit():
        # "Use in rationale" on a confirmed published fact-check: its rating and link start the rationale.
        match = (
            FactCheckMatch.objects.filter(claim=claim, pk=int(cite), state=FactCheckMatch.State.CONFIRMED)
            .select_related("fact_check")
            .first()
        )
        if match is not None:
            initial["rationale"] = fact_check_citation(match)
    return initial


def fact_check_citation(match: FactCheckMatch) -> str:
    entry = match.fact_check
    when = f" on {entry.date_published.isoformat()}" if entry.date_published else ""
    who = entry.publisher_name or "a fact-checker"
    return f"{who} rated this claim \u201c{entry.rating_text}\u201d{when}: {entry.url}"


def _render_claim(
    request: HttpRequest,
    claim: Claim,
    *,
    verdict_form: VerdictForm | None = None,
    conflict: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {
        "claim": claim,
        "page": claim_page(claim),
        "verdict_form": verdict_form or VerdictForm(initial=_verdict_initial(claim, request.GET.get("cite"))),
        "conflict": conflict,
        "is_editor": is_editor(request.user),
        "assignees": assignable_users(),
        "rating_suggestions": RATING_SUGGESTIONS,
        "stances": Evidence._meta.get_field("suggested_stance").choices,
        "comment_form": CommentForm(),
        "source_form": AddSourceForm(),
    }
    return render(request, "claims/claim_detail.html", context, status=status)


@login_required
def claim_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_claim(request, get_claim_for_user(request, pk))


@login_required
def claim_sources(request: HttpRequest, pk: int) -> HttpResponse:
    """The sources added for a claim with their fetch progress; htmx polls it while any is pending."""
    claim = get_claim_for_user(request, pk)
    page = claim_page(claim)
    response = render(request, "claims/_claim_sources.html", {"claim": claim, "page": page})
    if request.headers.get("HX-Request") and not page.sources_pending:
        # The page polled because a source was on its way and now none is: reload it, so the
        # evidence those sources brought appears without the reviewer doing anything.
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_POST
def claim_verdict(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_claim_for_user(request, pk)
    form = VerdictForm(request.POST)
    if not form.is_valid():
        return _render_claim(request, claim, verdict_form=form, status=400)
    data = form.cleaned_data
    try:
        claim_writes.claim_set_verdict(
            claim=claim,
            user=request.user,
            status=data["status"],
            rationale=data["rationale"],
            rating_label=data["rating_label"],
            expected_version=data["version"],
        )
    except StaleVersion as exc:
        # Show the newer state, keep everything the user typed, and let them save over it knowingly.
        fresh = get_claim_for_user(request, pk)
        typed = request.POST.copy()
        typed["version"] = str(fresh.version)
        return _render_claim(request, fresh, verdict_form=VerdictForm(typed), conflict=str(exc), status=409)
    except ReviewError as exc:
        form.add_error(None, str(exc))
        return _render_claim(request, claim, verdict_form=form, status=400)
    messages.success(request, f"Marked {data['status']}.")
    return redirect(_claim_url(claim))


def _reason_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Dismiss, restore and revert share one shape: optional note, expected version, redirect."""
    claim = get_claim_for_user(request, pk)
    form = ReasonForm(request.POST)
    form.is_valid()
    reason, version = form.cleaned_data.get("reason", ""), form.cleaned_data.get("version")
    try:
        if action == "dismiss":
            claim_writes.claim_dismiss(
                claim=claim, user=request.user, reason=reason, expected_version=version
            )
            done = "Claim dismissed."
        elif action == "restore":
            claim_writes.claim_restore(claim=claim, user=request.user, expected_version=version)
            done = "Claim restored."
        else:
            claim_writes.claim_revert_verdict(
                claim=claim, user=request.user, note=reason, expected_version=version
            )
            done = "Verdict reverted; the claim is back in review."
    except NotAllowed as exc:
        raise refuse(exc) from exc
    except ReviewError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return redirect(safe_next(request, _claim_url(claim)))


@login_required
@require_POST
def claim_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    return _reason_action(request, pk, "dismiss")


@login_required
@require_POST
def claim_restore(request: HttpRequest, pk: int) -> HttpResponse:
    return _reason_action(request, pk, "restore")


@login_required
@require_POST
def claim_revert(request: HttpRequest, pk: int) -> HttpResponse:
    return _reason_action(request, pk, "revert")


@login_required
@require_POST
def claim_assign(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_claim_for_user(request, pk)
    form = AssignForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose someone from the list.")
        return redirect(_claim_url(claim, "assignment"))
    assignee = form.cleaned_data["assignee"]
    try:
        claim_writes.claim_assign(
            claim=claim, user=request.user, assignee=assignee, expected_version=form.cleaned_data["version"]
        )
    except NotAllowed as exc:
        raise refuse(exc) from exc
    except ReviewError as exc:
        messages.error(request, str(exc))
    else:
        who = assignee.get_username() if assignee else "nobody"
        messages.success(request, f"Assigned to {who}.")
    return redirect(safe_next(request, _claim_url(claim, "assignment")))


@login_required
@require_POST
def claim_comment(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_claim_for_user(request, pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            claim_writes.comment_add(claim=claim, user=request.user, body=form.cleaned_data["body"])
        except ReviewError as exc:
            messages.error(request, str(exc))
    else:
        messages.error(request, "A comment cannot be empty.")
    return redirect(_claim_url(claim, "comments"))


@login_required
@require_POST
def claim_add_source(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_claim_for_user(request, pk)
    form = AddSourceForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Enter a full web address starting with http:// or https://.")
        return redirect(_claim_url(claim, "sources"))
    try:
        source = evidence_writes.claim_add_source(
            claim=claim, url=form.cleaned_data["url"], user=request.user
        )
    except ReviewError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, f"Fetching {source.url}; its passages are matched to this claim on arrival."
        )
    return redirect(_claim_url(claim, "sources"))


@login_required
@require_POST
def evidence_decide(request: HttpRequest, pk: int, evidence_pk: int) -> HttpResponse:
    claim = get_claim_for_user(request, pk)
    evidence = get_object_or_404(Evidence, pk=evidence_pk, claim=claim)
    form = EvidenceDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose confirm or reject, and a known stance.")
        return redirect(_claim_url(claim, f"evidence-{evidence.pk}"))
    confirmed = form.cleaned_data["decision"] == "confirm"
    try:
        evidence_writes.evidence_decide(
            evidence=evidence, user=request.user, confirmed=confirmed, stance=form.cleaned_data["stance"]
        )
    except ReviewError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Evidence confirmed." if confirmed else "Evidence rejected.")
    return redirect(_claim_url(claim, f"evidence-{evidence.pk}"))


@login_required
@require_POST
def claim_link_decide(request: HttpRequest, pk: int, link_pk: int) -> HttpResponse:
    claim = get_claim_for_user(request, pk)
    link = get_object_or_404(ClaimLink, pk=link_pk, claim=claim)
    decision = request.POST.get("decision")
    if decision not in {"confirm", "reject"}:
        messages.error(request, "Choose confirm or reject.")
    else:
        duplicate_writes.claim_link_decide(link=link, user=request.user, confirmed=decision == "confirm")
        messages.success(
            request, "Duplicate confirmed." if decision == "confirm" else "Not the same claim: noted."
        )
    return redirect(_claim_url(claim, "duplicates"))


@login_required
@require_POST
def fact_check_match_decide(request: HttpRequest, pk: int, match_pk: int) -> HttpResponse:
    """A reviewer says a published fact-check reviews this claim, or does not."""
    claim = get_claim_for_user(request, pk)
    match = get_object_or_404(FactCheckMatch.objects.select_related("fact_check"), pk=match_pk, claim=claim)
    decision = request.POST.get("decision")
    if decision not in {"confirm", "reject"}:
        messages.error(request, "Choose confirm or reject.")
    else:
        factcheck_writes.factcheck_match_decide(
            match=match, user=request.user, confirmed=decision == "confirm"
        )
        messages.success(
            request,
            "Fact-check confirmed for this claim."
            if decision == "confirm"
            else "Not a review of this claim: noted.",
        )
    return redirect(_claim_url(claim, "fact-checks"))
