"""A safe HTTP POST for webhooks, under the same address rules as the fetcher (sources/fetching.py).

A webhook URL is as untrusted as any URL a partner sends: http/https only, no credentials, the host
resolved once and every address checked (private, loopback, link-local, multicast, reserved and
cloud-metadata addresses refused unless `FETCH_ALLOWED_PRIVATE_HOSTS` lists them; metadata always),
then the connection made to exactly the checked address. Redirects are not followed: a receiver
that moved must update its URL, and following would be a way around the address check.
"""

from dataclasses import dataclass

import urllib3
from django.conf import settings
from urllib3.exceptions import HTTPError, NewConnectionError

from sources.addresses import RefusedAddress, Target, UnresolvedHost, checked_addresses, parse_target

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 10.0
_MAX_ADDRESSES_TRIED = 3
_MAX_RESPONSE_EXCERPT = 500


class DeliveryError(Exception):
    """A webhook could not be sent. `permanent`: a retry would fail the same way."""

    def __init__(self, message: str, *, permanent: bool, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.status = status


@dataclass(frozen=True)
class PostResult:
    status: int
    excerpt: str  # the start of the response body, for the delivery log


def _target(url: str) -> Target:
    try:
        return parse_target(url.strip())
    except ValueError as exc:
        raise DeliveryError(f"Cannot send to {url!r}: {exc}", permanent=True) from None


def _checked_addresses(target: Target) -> list[str]:
    allow_list = settings.FETCH_ALLOWED_PRIVATE_HOSTS or []
    try:
        return checked_addresses(target.host, target.port, allow_list=allow_list)
    except UnresolvedHost as exc:
        # DNS can come back: transient for a delivery, but a URL that never resolves is refused.
        why = f": {exc.cause}" if exc.cause else " (no address)"
        raise DeliveryError(f"Could not resolve {target.host}{why}", permanent=False) from None
    except RefusedAddress as exc:
        raise DeliveryError(
            f"Refused to send to {exc.host} ({exc.address}): {exc.reason}", permanent=True
        ) from None


def check_url(url: str) -> None:
    """Raise DeliveryError when `url` is not a URL we would ever send to (checked at registration)."""
    target = _target(url)
    try:
        _checked_addresses(target)
    except DeliveryError as exc:
        raise DeliveryError(exc.message, permanent=True) from None


def _pool(target: Target, address: str) -> urllib3.HTTPConnectionPool:
    timeout = urllib3.Timeout(connect=CONNECT_TIMEOUT, read=READ_TIMEOUT)
    if target.scheme == "https":
        # The pool gets the checked IP; the host name only goes into SNI and the certificate check.
        return urllib3.HTTPSConnectionPool(
            address,
            target.port,
            timeout=timeout,
            maxsize=1,
            cert_reqs="CERT_REQUIRED",
            server_hostname=target.host,
            assert_hostname=target.host,
        )
    return urllib3.HTTPConnectionPool(address, target.port, timeout=timeout, maxsize=1)


def post(url: str, *, body: bytes, headers: dict[str, str]) -> PostResult:
    """POST `body` to `url`; return the status (any status); raise DeliveryError if none came back."""
    target = _target(url)
    addresses = _checked_addresses(target)
    all_headers = {"Host": target.host_header, **headers}
    last_error: Exception | None = None
    for address in addresses[:_MAX_ADDRESSES_TRIED]:
        pool = _pool(target, address)
        try:
            response = pool.urlopen(
                "POST",
                target.request_path,
                body=body,
                headers=all_headers,
                retries=False,
                redirect=False,
                assert_same_host=False,
                preload_content=False,
            )
            try:
                excerpt = response.read(_MAX_RESPONSE_EXCERPT, decode_content=False)
            finally:
                response.release_conn()
            return PostResult(status=response.status, excerpt=excerpt.decode("utf-8", "replace"))
        except NewConnectionError as exc:  # refused or unreachable: another address may answer
            last_error = exc
        except (HTTPError, OSError) as exc:
            raise DeliveryError(f"Sending to {target.host} failed: {exc}", permanent=False) from exc
        finally:
            pool.close()
    raise DeliveryError(f"Could not connect to {target.host}: {last_error}", permanent=False)
