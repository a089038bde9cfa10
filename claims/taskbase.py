"""The base class of the pipeline's tasks: each works on one article, whose id is its first argument.

Beside `factcheck.taskbase.WorkbenchTask` (what "transient" means for every task), this adds what an
article's row must say once a step has failed for good.
"""

from claims.services.articles import article_fail
from factcheck.taskbase import WorkbenchTask, is_transient

from .models import Article


class ArticleTask(WorkbenchTask):
    """A pipeline step of one article, whose id is the task's first argument."""

    def record_final_failure(
        self, exc: BaseException, article_id: int, *args: object, **kwargs: object
    ) -> None:
        article = Article.objects.get(pk=article_id)
        if article.status in {Article.Status.DONE, Article.Status.FAILED}:
            return
        if is_transient(exc):
            message = (
                "A temporary problem (database, Redis or broker) outlasted every retry: "
                f"{type(exc).__name__}. Nothing was lost; submit the article again once the service is back."
            )
        else:
            message = "An internal error stopped the analysis."
        article_fail(article, message)
