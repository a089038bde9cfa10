"""`Authorization: Api-Key <key>` for the partner API."""

from django.utils.functional import cached_property
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from .models import ApiKey, Partner
from .services import KeyRejected, api_key_authenticate

KEYWORD = "Api-Key"


class PartnerPrincipal:
    """`request.user` for a partner request: authenticated, but never a Django user or staff."""

    is_authenticated = True
    is_anonymous = False
    is_staff = False
    is_superuser = False

    def __init__(self, api_key: ApiKey) -> None:
        self.api_key = api_key

    @cached_property
    def partner(self) -> Partner:
        return self.api_key.partner

    def __str__(self) -> str:
        return f"partner:{self.partner.name}"


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[PartnerPrincipal, ApiKey] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD.lower().encode():
            return None  # not ours: IsAuthenticated answers 401 with our WWW-Authenticate
        if len(parts) != 2:
            raise AuthenticationFailed("Send the key as `Authorization: Api-Key <key>`.", code="invalid_key")
        try:
            raw_key = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed("This API key is not valid.", code="invalid_key") from None
        try:
            api_key = api_key_authenticate(raw_key=raw_key)
        except KeyRejected as exc:
            raise AuthenticationFailed(exc.message, code=exc.code) from exc
        return PartnerPrincipal(api_key), api_key

    def authenticate_header(self, request: Request) -> str:
        return f'{KEYWORD} realm="api"'
