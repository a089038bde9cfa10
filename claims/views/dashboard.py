from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ..selectors.dashboard import dashboard_for


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "claims/dashboard.html", {"data": dashboard_for(user=request.user)})
