"""One error shape for the whole API: `{"error": {"code", "message", "details"}}`."""

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from claims.errors import ReviewError
from claims.services.articles import SubmissionError
from factcheck.taskbase import TRANSIENT_ERRORS as SERVICE_ERRORS
from partners.services import PartnerError

logger = logging.getLogger(__name__)

_MESSAGES = {
    "invalid": "The request is not valid; see details.",
    "not_found": "Nothing here, or nothing this key may see.",
}


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def _code_and_details(exc: exceptions.APIException) -> tuple[str, Any]:
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        return "invalid", detail if isinstance(detail, dict) else {"non_field_errors": detail}
    codes = exc.get_codes()
    code = codes if isinstance(codes, str) else exc.default_code
    if isinstance(exc, exceptions.Throttled):
        return code, {"retry_after": exc.wait}
    return code, {}


# How long a client should wait before trying again while a service we need is away.
RETRY_AFTER_SECONDS = 15


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, PartnerError | SubmissionError | ReviewError):
        set_rollback()
    if isinstance(exc, SERVICE_ERRORS):
        # Redis (throttling, locks, the broker) or the database is away for a moment: say so, and
        # when to come back, instead of a 500. Nothing was committed: the transaction rolls back.
        set_rollback()
        logger.warning("partner API request refused while a service is down: %r", exc)
        body = error_body(
            "service_unavailable", "A service the API needs is briefly unavailable; retry in a few seconds."
        )
        return Response(
            body,
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        body = error_body(
            "too_large", f"The request body is larger than the {limit:,} bytes the API accepts."
        )
        return Response(body, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, PartnerError):
        return Response(error_body(exc.code, exc.message), status=exc.status)
    if isinstance(exc, SubmissionError):
        return Response(error_body("invalid_submission", str(exc)), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, ReviewError):
        return Response(error_body("invalid_request", str(exc)), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        # Unexpected: log it with its traceback and still answer in the API's shape.
        logger.error("partner API request failed", exc_info=exc)
        body = error_body("server_error", "Something went wrong on our side; it was logged.")
        return Response(body, status=status.HTTP_500_INTERNAL_SERVER_ERROR)
    code, details = _code_and_details(exc)
    message = _MESSAGES.get(code) or (str(exc.detail) if not isinstance(exc.detail, dict | list) else code)
    response.data = error_body(code, message, details)
    return response
