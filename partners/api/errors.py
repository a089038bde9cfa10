"""One error shape for the whole API: `{"error": {"code", "message", "details"}}`."""

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from claims.review import ReviewError
from claims.services import SubmissionError
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


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, PartnerError | SubmissionError | ReviewError):
        set_rollback()
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
