from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from claims.errors import ReviewError
from claims.services.articles import SubmissionError
from claims.services.articles import article_submit as submit_service
from claims.services.claims import claim_promote_sentence

from ..forms import ArticleSubmitForm
from ..models import Article, Sentence
from ..selectors.article_page import article_page

FINISHED = {Article.Status.DONE, Article.Status.FAILED}


def _list_page(request: HttpRequest, form: ArticleSubmitForm, status: int = 200) -> HttpResponse:
    articles = (
        Article.objects.defer("text", "submitted_body", "outbound_links")
        .select_related("submitted_by")
        .annotate(claim_count=Count("claims"))
        .order_by("-created_at")[:50]
    )
    return render(request, "claims/article_list.html", {"form": form, "articles": articles}, status=status)


@login_required
def article_list(request: HttpRequest) -> HttpResponse:
    return _list_page(request, ArticleSubmitForm())


@login_required
@require_POST
def article_submit(request: HttpRequest) -> HttpResponse:
    form = ArticleSubmitForm(request.POST)
    if not form.is_valid():
        return _list_page(request, form, status=400)
    data = form.cleaned_data
    try:
        article = submit_service(
            url=data["url"],
            text=data["text"] if not data["url"] else "",
            title=data["title"],
            user=request.user,
        )
    except SubmissionError as exc:
        form.add_error(None, str(exc))
        return _list_page(request, form, status=400)
    return redirect("claims:article_detail", pk=article.pk)


def _article_context(article: Article) -> dict:
    finished = article.status in FINISHED
    sentences, claims = article_page(article) if finished else ([], [])
    return {"article": article, "finished": finished, "sentences": sentences, "claims": claims}


@login_required
def article_detail(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_object_or_404(Article.objects.defer("submitted_body"), pk=pk)
    return render(request, "claims/article_detail.html", _article_context(article))


@login_required
def article_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The live part of the article page; htmx polls it until the pipeline is done or failed."""
    article = get_object_or_404(Article.objects.defer("submitted_body"), pk=pk)
    return render(request, "claims/_article_body.html", _article_context(article))


@login_required
@require_POST
def sentence_promote(request: HttpRequest, pk: int, sentence_pk: int) -> HttpResponse:
    sentence = get_object_or_404(Sentence, pk=sentence_pk, article_id=pk)
    try:
        claim = claim_promote_sentence(sentence=sentence, user=request.user)
    except ReviewError as exc:
        messages.error(request, str(exc))
        return redirect("claims:article_detail", pk=pk)
    messages.success(request, "The sentence is now a claim.")
    return redirect(reverse("claims:article_detail", args=[pk]) + f"#claim-{claim.pk}")
