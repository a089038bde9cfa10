from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from sources.selectors import source_check_history, source_for_view


@login_required
def source_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One source: its re-check schedule and the history of re-checks worth remembering."""
    source = source_for_view(pk)
    history = source_check_history(source)
    return render(request, "claims/source_detail.html", {"source": source, "history": history})
