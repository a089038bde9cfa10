"""Cursor pagination: stable under inserts, and no COUNT(*) over a large table on every page."""

from typing import Any

from django.utils.dateparse import parse_datetime
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request

_BAD_CURSOR = "Not a cursor this API gave out: follow the `next` and `previous` links as they are."


class _Cursor(CursorPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request: Request) -> int:
        # DRF silently falls back to the default on a bad value; a client sending page_size=abc has a bug.
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationError({"page_size": [f"A whole number from 1 to {self.max_page_size}."]})
        return int(raw)

    def decode_cursor(self, request: Request) -> Cursor | None:
        # DRF answers an undecodable cursor with 404, and passes a decodable one with a nonsense
        # position straight to the database (a 500). Both are the client's mistake: 400.
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise ValidationError({self.cursor_query_param: [_BAD_CURSOR]}) from None
        if cursor is not None and cursor.position is not None and not _is_datetime(cursor.position):
            raise ValidationError({self.cursor_query_param: [_BAD_CURSOR]})
        return cursor

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] |= {"minimum": 1, "maximum": self.max_page_size}
        return parameters


class NewestArticlesFirst(_Cursor):
    ordering = ("-created_at", "-id")


class RecentlyUpdatedClaimsFirst(_Cursor):
    ordering = ("-updated_at", "-id")


def _is_datetime(value: str) -> bool:
    """Both orderings start with a timestamp, so a real cursor's position always parses as one."""
    try:
        return parse_datetime(value) is not None
    except ValueError:  # well formed but impossible, e.g. month 13
        return False
