from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from sources.selectors import snapshot_for_view


@login_required
def snapshot_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The stored text of a source as fetched. Never its HTML: nothing of the page runs or loads."""
    snapshot = snapshot_for_view(pk)
    passage = None
    if request.GET.get("passage", "").isdigit():
        passage = snapshot.passages.filter(pk=int(request.GET["passage"])).only("start", "end").first()
    return render(request, "claims/snapshot_detail.html", {"snapshot": snapshot, "passage": passage})
