"""Where the fetcher may connect: URLs split into targets, and which IP addresses are off limits."""

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

METADATA = "cloud metadata address"
# AWS (IPv4 and IPv6), GCP and Azure share 169.254.169.254; Alibaba Cloud uses 100.100.100.200.
_METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (mapped, NAT64, 6to4, Teredo), if any.

    `::ffff:10.0.0.1` reaches 10.0.0.1, so it must be judged as 10.0.0.1.
    """
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour:
        return address.sixtofour
    return address.teredo[1] if address.teredo else None


def refusal_reason(address: IPAddress) -> str | None:
    """Why `address` must not be reached, e.g. "private address"; None for a public address."""
    if address in _METADATA_ADDRESSES:
        return METADATA
    embedded = embedded_ipv4(address)
    if embedded is not None:
        return refusal_reason(embedded)
    checks = (
        ("loopback", address.is_loopback),
        ("unspecified", address.is_unspecified),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
    )
    for reason, hit in checks:
        if hit:
            return f"{reason} address"
    # Catches what the flags above miss, e.g. 100.64.0.0/10 (carrier-grade NAT).
    return None if address.is_global else "non-public address"


def is_allow_listed(host: str, address: IPAddress, entries: Iterable[str]) -> bool:
    """Whether an allow-list entry (host name, IP or CIDR) covers `host` resolved to `address`."""
    for raw in entries:
        entry = raw.strip().lower().rstrip(".")
        try:
            network = ipaddress.ip_network(entry.strip("[]"), strict=False)
        except ValueError:
            if entry and entry == host:
                return True
            continue
        embedded = embedded_ipv4(address)
        if address in network or (embedded is not None and embedded in network):
            return True
    return False


@dataclass(frozen=True)
class Target:
    """One http(s) URL, validated and split into what a connection needs."""

    url: str
    scheme: str
    host: str  # lower-case, IDNA-encoded, without brackets
    port: int
    request_path: str  # path plus query, percent-encoded, as sent on the request line

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default_port = 443 if self.scheme == "https" else 80
        return host if self.port == default_port else f"{host}:{self.port}"

    @property
    def origin(self) -> str:
        return f"{self.scheme}://{self.host_header}"


def parse_target(url: str) -> Target:
    """Split `url`; raise ValueError, with a reason a reviewer can read, when it cannot be fetched."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"malformed URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError("only http and https URLs can be fetched")
    if not parts.hostname:
        raise ValueError("the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise ValueError("URLs with credentials in them are not fetched")
    try:
        host = parts.hostname.rstrip(".").encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError("the host name is not valid") from None
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
    query = quote(parts.query, safe="/?%:@!$&'()*+,;=-._~")
    return Target(
        url=url,
        scheme=scheme,
        host=host,
        port=port or (443 if scheme == "https" else 80),
        request_path=path + (f"?{query}" if query else ""),
    )


class UnresolvedHost(Exception):
    """The host name gave no address. `permanent` when the name does not exist at all."""

    def __init__(self, host: str, cause: BaseException | None, *, permanent: bool) -> None:
        super().__init__(host)
        self.host, self.cause, self.permanent = host, cause, permanent


class RefusedAddress(Exception):
    """The host resolves to an address the workbench must never reach."""

    def __init__(self, host: str, address: str, reason: str) -> None:
        super().__init__(f"{host} ({address}): {reason}")
        self.host, self.address, self.reason = host, address, reason


# "No such name" is an answer, and it will be the same answer in a minute; only a resolver that
# could not answer (EAI_AGAIN, a timeout) is worth a retry.
_NO_SUCH_NAME = frozenset(
    getattr(socket, name) for name in ("EAI_NONAME", "EAI_NODATA") if hasattr(socket, name)
)


def checked_addresses(host: str, port: int, *, allow_list: Iterable[str]) -> list[str]:
    """Resolve `host` once and return its addresses, every one checked; connect to these only.

    The one SSRF check for everything that connects out (the fetcher, webhook delivery). One refused
    answer refuses the whole host: a mixed answer is what a DNS-rebinding attack looks like. Cloud
    metadata addresses stay refused even when the allow-list covers them.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        permanent = isinstance(exc, socket.gaierror) and exc.errno in _NO_SUCH_NAME
        raise UnresolvedHost(host, exc, permanent=permanent) from None
    entries = list(allow_list)
    addresses: list[str] = []
    for info in infos:
        raw = str(info[4][0]).split("%", 1)[0]  # drop an IPv6 zone id
        address = ipaddress.ip_address(raw)
        reason = refusal_reason(address)
        if reason and (reason == METADATA or not is_allow_listed(host, address, entries)):
            raise RefusedAddress(host, raw, reason)
        if raw not in addresses:
            addresses.append(raw)
    if not addresses:
        raise UnresolvedHost(host, None, permanent=False)
    return addresses
