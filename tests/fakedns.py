"""Name resolution a test can steer: point a host name at a chosen address, or make the resolver fail.

Only `socket.getaddrinfo` is replaced, and only for the names a test sets; every other name
resolves for real, and every connection still goes over a real socket.

    def test_it_refuses(fake_dns):
        fake_dns["intranet.example.com"] = "10.1.2.3"
        fake_dns["down.example.com"] = "fail"  # the resolver cannot answer now
        ...
        assert fake_dns.lookups.count("intranet.example.com") == 1
"""

import socket

import pytest


class FakeDns(dict[str, str]):
    """Host name -> address ("fail": the resolver cannot answer now, as when its server is down);
    `lookups` lists every name asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.lookups: list[str] = []


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> FakeDns:
    answers = FakeDns()
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host: str, port: int, *args: object, **kwargs: object) -> list[tuple]:
        answers.lookups.append(host)
        if host not in answers:
            return real_getaddrinfo(host, port, *args, **kwargs)  # type: ignore[arg-type]
        address = answers[host]
        if address == "fail":
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        if ":" in address:
            return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers
