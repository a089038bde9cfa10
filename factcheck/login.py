"""Login throttling: failed attempts are counted per account and per client address in Redis.

Past the limit the login form refuses, with a clear message, even the right password, until the
window has passed: guessing a password at web speed stops being possible. A successful login clears
the account's count. An office behind one address gets a larger allowance than one account.
"""

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.http import HttpRequest

# Addresses are shared (an office, a newsroom's proxy): they get this many times an account's limit.
ADDRESS_ALLOWANCE = 5


def _keys(request: HttpRequest | None, username: str) -> list[tuple[str, int]]:
    limit = settings.LOGIN_THROTTLE_ATTEMPTS
    keys = [(f"login-failures:account:{username.strip().casefold()[:150]}", limit)]
    address = request.META.get("REMOTE_ADDR", "") if request is not None else ""
    if address:
        keys.append((f"login-failures:address:{address}", limit * ADDRESS_ALLOWANCE))
    return keys


def login_refusal(request: HttpRequest | None, username: str) -> str | None:
    """Why this login may not even be tried now, or None."""
    for key, limit in _keys(request, username):
        if int(cache.get(key) or 0) >= limit:
            minutes = max(1, round(settings.LOGIN_THROTTLE_WINDOW / 60))
            return (
                f"Too many failed logins. Wait {minutes} minute{'s' if minutes != 1 else ''} and try again."
            )
    return None


def login_failed(request: HttpRequest | None, username: str) -> None:
    for key, _ in _keys(request, username):
        # add() starts the window on the first failure; incr() never moves it.
        cache.add(key, 0, timeout=settings.LOGIN_THROTTLE_WINDOW)
        try:
            cache.incr(key)
        except ValueError:  # expired between the two calls
            cache.set(key, 1, timeout=settings.LOGIN_THROTTLE_WINDOW)


def login_succeeded(username: str) -> None:
    cache.delete(_keys(None, username)[0][0])


class ThrottledLoginMixin:
    def clean(self) -> dict:
        username = self.data.get("username", "")
        refusal = login_refusal(self.request, username)
        if refusal:
            raise forms.ValidationError(refusal, code="throttled")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            login_failed(self.request, username)
            raise
        login_succeeded(username)
        return cleaned


class ThrottledAuthenticationForm(ThrottledLoginMixin, AuthenticationForm):
    """The reviewers' login form (/accounts/login/)."""


class ThrottledAdminAuthenticationForm(ThrottledLoginMixin, AdminAuthenticationForm):
    """The admin's login form, under the same limits."""
