from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from claims.errors import NotAllowed, ReviewError
from claims.permissions import is_editor
from claims.services.claims import claims_bulk_update

from ..forms import BulkActionForm, QueueFilterForm
from ..selectors.export import csv_lines, export_rows
from ..selectors.queue import assignable_users
from ..selectors.queue import claim_queue as queue_selector
from ._common import refuse, safe_next

PAGE_SIZE = 25


@login_required
def claim_queue(request: HttpRequest) -> HttpResponse:
    assignees = assignable_users()
    form = QueueFilterForm(request.GET, assignees=assignees)
    claims = queue_selector(user=request.user, **form.filters())
    page = Paginator(claims, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "assignees": assignees,
        "is_editor": is_editor(request.user),
        "here": request.get_full_path(),
    }
    return render(request, "claims/queue.html", context)


@login_required
def claim_queue_csv(request: HttpRequest) -> HttpResponse:
    """The queue view with its current filters and order as CSV, streamed: for editors' reports."""
    if not is_editor(request.user):
        raise refuse(NotAllowed("Only editors can export the queue."))
    form = QueueFilterForm(request.GET, assignees=assignable_users())
    claims = queue_selector(user=request.user, **form.filters())
    response = StreamingHttpResponse(csv_lines(export_rows(claims)), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="claims-{stamp}.csv"'
    return response


@login_required
@require_POST
def claims_bulk(request: HttpRequest) -> HttpResponse:
    back = safe_next(request, reverse("claims:queue"))
    form = BulkActionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    data = form.cleaned_data
    try:
        changed, refused = claims_bulk_update(
            claims=list(data["claims"]), user=request.user, action=data["action"], assignee=data["assignee"]
        )
    except NotAllowed as exc:
        raise refuse(exc) from exc
    except ReviewError as exc:
        messages.error(request, str(exc))
        return redirect(back)
    verb = "assigned" if data["action"] == "assign" else "dismissed"
    messages.success(request, f"{changed} claim{'s' if changed != 1 else ''} {verb}.")
    for message in refused:
        messages.warning(request, message)
    return redirect(back)
