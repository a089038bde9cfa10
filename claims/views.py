"""Web UI views: thin functions that read through selectors and write through services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from .models import Article
from .services import SubmissionError
from .services import article_submit as submit_service


@login_required
def article_list(request: HttpRequest) -> HttpResponse:
    articles = Article.objects.order_by("-created_at")[:50]
    return render(request, "claims/article_list.html", {"articles": articles})


@login_required
@require_POST
def article_submit(request: HttpRequest) -> HttpResponse:
    url = request.POST.get("url", "").strip()
    text = request.POST.get("text", "")
    try:
        article = submit_service(url=url, text=text if not url else "", user=request.user)
    except SubmissionError as exc:
        messages.error(request, str(exc))
        return redirect("claims:article_list")
    return redirect("claims:article_detail", pk=article.pk)


@login_required
def article_detail(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_object_or_404(Article, pk=pk)
    claims = article.claims.order_by("start")
    return render(request, "claims/article_detail.html", {"article": article, "claims": claims})
