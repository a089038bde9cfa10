"""Writes for articles: submission (URL, HTML or pasted text) and the progress a reader sees."""

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from factcheck.queueing import enqueue

from ..models import Article
from ..signals import article_processed


class SubmissionError(ValueError):
    """The submitted input cannot become an article; the message is shown to the user."""


def _validate_url(url: str) -> str:
    from urllib.parse import urlsplit

    url = url.strip()
    try:
        parts = urlsplit(url)
        parts.hostname  # noqa: B018 - parsing the host raises on malformed IPv6 literals
    except ValueError:
        raise SubmissionError("That web address is not valid.") from None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise SubmissionError("Enter a full web address starting with http:// or https://.")
    if len(url) > 2000:
        raise SubmissionError("That web address is longer than 2,000 characters.")
    return url


def article_submit(
    *,
    url: str = "",
    text: str = "",
    html: str = "",
    title: str = "",
    user: AbstractBaseUser | None = None,
    via: str = "",
) -> Article:
    """Create an article from exactly one of url / html / text and queue its pipeline. `via` names a
    sender that is not a user ("partner:<id>"), for demand counts."""
    given = [name for name, value in (("url", url), ("html", html), ("text", text)) if value]
    if len(given) != 1:
        raise SubmissionError("Give exactly one of a URL, an HTML page or pasted text.")
    body = html or text
    if body and not body.strip():
        raise SubmissionError("The submitted text is empty.")
    if len(body) > settings.PIPELINE_MAX_TEXT_CHARS * 5:
        raise SubmissionError("The submitted text is too long.")
    if "\x00" in body:
        raise SubmissionError("The submitted text contains binary data (NUL bytes).")

    article = Article.objects.create(
        input_kind=given[0],
        url=_validate_url(url) if url else "",
        submitted_body=body,
        title=title.strip()[:1000],
        submitted_by=user if user is not None and user.is_authenticated else None,
        submitted_via=via[:100],
        progress=[_progress_entry("queued", "Waiting for a worker.")],
    )
    from ..tasks import process_article

    enqueue(process_article, article.pk)
    return article


def _progress_entry(step: str, message: str) -> dict[str, str]:
    return {"step": step, "message": message, "at": timezone.now().isoformat(timespec="seconds")}


def article_set_status(article: Article, status: str, message: str) -> None:
    """Move the article to a pipeline step and append a human-readable progress line."""
    article.status = status
    article.progress = [*article.progress, _progress_entry(status, message)]
    article.save(update_fields=["status", "progress", "updated_at"])


def article_fail(article: Article, message: str) -> None:
    with transaction.atomic():
        article.error = message
        article_set_status(article, Article.Status.FAILED, message)
        Article.objects.filter(pk=article.pk).update(error=message)
        article_processed.send(sender=Article, article=article)


def article_finish(article: Article, message: str) -> None:
    with transaction.atomic():
        article_set_status(article, Article.Status.DONE, message)
        Article.objects.filter(pk=article.pk).update(processed_at=timezone.now())
        article_processed.send(sender=Article, article=article)
