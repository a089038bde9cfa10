"""One article's page: its sentences and claims in text order, for highlighting."""

from ..models import Article, Claim, Sentence


def article_page(article: Article) -> tuple[list[Sentence], list[Claim]]:
    """The sentences and claims of an article in text order, for highlighting."""
    sentences = list(article.sentences.order_by("start"))
    claims = list(article.claims.select_related("assignee").order_by("start"))
    return sentences, claims
