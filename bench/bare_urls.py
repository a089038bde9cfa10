"""The project's URLs plus two baseline endpoints for bench/api_load.py (mounted by bench_settings only).

- `bench/bare/`: a DRF APIView with no authentication, permission, throttle or query: the floor of a
  DRF request through our middleware.
- `bench/bare-auth/`: the same behind our partner view base (API key, scope, per-key throttle).
"""

from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from factcheck.urls import urlpatterns as project_urlpatterns
from partners.api.base import PartnerView


class BareView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []
    renderer_classes = [JSONRenderer]

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


class BareAuthView(PartnerView):
    def get(self, request: Request) -> Response:
        return Response({"ok": True})


urlpatterns = [
    path("bench/bare/", BareView.as_view()),
    path("bench/bare-auth/", BareAuthView.as_view()),
    *project_urlpatterns,
]
