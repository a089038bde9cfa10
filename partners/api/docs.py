"""The OpenAPI schema, Swagger UI and Redoc (served from drf-spectacular-sidecar: no CDN), and the
error responses every operation can give, added to the schema in one place.
"""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

# The docs pages' own bits: Swagger UI and Redoc style elements inline and Redoc runs a blob: worker.
# Scripts still come only from this site (the split Swagger view serves its init script as a file).
DOCS_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; "
    "form-action 'self'; base-uri 'none'; object-src 'none'"
)

_ERRORS = {
    "400": "The request is not valid; `details` says which fields and why.",
    "401": "No key, or the key is unknown, revoked or expired.",
    "403": "The key lacks the scope this request needs.",
    "404": "Nothing here, or nothing this key may see.",
    "409": "The Idempotency-Key was used before with a different body.",
    "429": "Too many requests for this key; wait `Retry-After` seconds.",
}
_ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "string", "example": "not_found"},
                "message": {"type": "string"},
                "details": {"type": "object", "additionalProperties": True},
            },
        }
    },
}


def add_error_responses(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: document the error body on every partner operation,
    and mark request bodies required (an empty POST is a 400, not a valid request)."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = _ERROR_SCHEMA
    ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if "requestBody" in operation:
                operation["requestBody"]["required"] = True  # every body we take has required fields
            codes = ["400", "401", "403", "404", "429"]
            if method == "post" and path.endswith("/articles/"):
                codes.append("409")
            for code in codes:
                response = {"description": _ERRORS[code], "content": ref}
                if code == "429":
                    response["headers"] = {"Retry-After": {"schema": {"type": "integer"}}}
                operation.setdefault("responses", {}).setdefault(code, response)
    return result


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "partners.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key <key>`, as printed by `manage.py create_partner`.",
        }


class SchemaView(SpectacularAPIView):
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    custom_settings = {
        "POSTPROCESSING_HOOKS": [
            "drf_spectacular.hooks.postprocess_schema_enums",
            "partners.api.docs.add_error_responses",
        ],
        "ENUM_NAME_OVERRIDES": {
            "ClaimStatusEnum": "claims.models.Claim.Status",
            "ArticleStatusEnum": "claims.models.Article.Status",
            "DeliveryStatusEnum": "partners.models.WebhookDelivery.Status",
            "WebhookEventEnum": "partners.models.Event",
        },
        "DESCRIPTION": "The partner API of the fact-checking workbench. Send your key as "
        "`Authorization: Api-Key <key>`. Errors share one body: "
        '`{"error": {"code", "message", "details"}}`.',
    }


class _DocsPage:
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        # Set here, so the project's CSP middleware (which only sets a missing header) keeps it.
        response["Content-Security-Policy"] = DOCS_CSP
        return response


class SwaggerView(_DocsPage, SpectacularSwaggerSplitView):
    url_name = "partners:schema"


class RedocView(_DocsPage, SpectacularRedocView):
    url_name = "partners:schema"
    # Our copy of drf-spectacular's page without its Google Fonts link: the docs stay offline.
    template_name = "partners/redoc.html"


class NotFoundView(APIView):
    """Unknown paths under /api/v1/ answer in the API's error shape, not with an HTML page."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    schema = None  # not an operation

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        raise NotFound()
