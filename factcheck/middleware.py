"""Degrade, don't crash: while the database or Redis is briefly away, pages answer 503 with
Retry-After (the API does the same in its own error shape, partners/api/errors.py)."""

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from .taskbase import TRANSIENT_ERRORS

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 15
# Standalone on purpose: the site's base template reads the session and the user, which may be
# exactly what is unavailable.
_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Back in a moment</title></head>
<body><h1>Back in a moment</h1>
<p>A service the workbench needs is briefly unavailable. Nothing you saved is lost.
Please try again in a few seconds.</p></body></html>
"""


class ServiceUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, TRANSIENT_ERRORS):
            return None
        logger.warning(
            "%s %s answered 503 while a service is down: %r", request.method, request.path, exception
        )
        response = HttpResponse(_PAGE, status=503, content_type="text/html; charset=utf-8")
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
