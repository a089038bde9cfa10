"""What every partner endpoint shares: key authentication, scopes, per-key throttling."""

from typing import Any

from django.conf import settings
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.serializers import Serializer
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from partners.authentication import PartnerPrincipal
from partners.models import ApiKey, Partner


class HasScope(BasePermission):
    """The key must carry the scope the view names for the request's method."""

    message = "This API key does not have the scope this request needs."
    code = "missing_scope"

    def has_permission(self, request: Request, view: APIView) -> bool:
        needed = getattr(view, "scopes", {}).get(request.method, "read")
        api_key = request.auth
        if not isinstance(api_key, ApiKey):
            return False
        if needed not in api_key.scopes:
            self.message = f"This API key does not have the {needed!r} scope this request needs."
            return False
        return True


class ApiKeyThrottle(SimpleRateThrottle):
    """A rate per key, counted in the shared cache (Redis), so every web process agrees."""

    scope = "partner"

    def get_rate(self) -> str:
        # Read per request (not at import like DRF's THROTTLE_RATES) so settings changes apply.
        return str(settings.PARTNER_API_RATE)

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if isinstance(request.auth, ApiKey):
            return f"throttle:partner-key:{request.auth.pk}"
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class PartnerView(APIView):
    # JSON only: the browsable API cannot send an Api-Key header and its inline scripts break our CSP.
    renderer_classes = [JSONRenderer]
    parser_classes = [JSONParser]
    permission_classes = [IsAuthenticated, HasScope]
    throttle_classes = [ApiKeyThrottle]
    # HTTP method -> scope needed; methods not listed need "read".
    scopes: dict[str, str] = {}
    # The serializer that reads the query string, if the view takes one.
    query_serializer_class: type[Serializer] | None = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        method = request.method.lower() if request.method else ""
        if method not in self.http_method_names or not hasattr(self, method):
            return  # the dispatch answers 405
        # A misspelt filter (?verdit=any) silently ignored would hand the client everything: refuse it.
        allowed = set(self.query_serializer_class().fields) if self.query_serializer_class else set()
        if len(self.renderer_classes) > 1:
            allowed.add(api_settings.URL_FORMAT_OVERRIDE or "format")  # ?format=json picks a renderer
        pagination = getattr(self, "pagination_class", None)
        if pagination is not None:
            allowed |= {pagination.cursor_query_param, pagination.page_size_query_param}
        unknown = sorted(set(request.query_params) - allowed)
        if unknown:
            raise ValidationError({name: ["Unknown query parameter."] for name in unknown})

    @property
    def partner(self) -> Partner:
        principal = self.request.user
        assert isinstance(principal, PartnerPrincipal)  # guaranteed by IsAuthenticated + our auth
        return principal.partner

    @property
    def api_key(self) -> ApiKey:
        assert isinstance(self.request.auth, ApiKey)
        return self.request.auth
