"""Which address sign-in throttling counts: X-Forwarded-For only through trusted proxies."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from admin_api.web.clients import client_address, trusted_networks


def request(peer: str, *forwarded: str) -> Request:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    return Request({"type": "http", "client": (peer, 50000), "headers": headers})


@pytest.mark.parametrize(
    ("trusted", "peer", "forwarded", "expected"),
    [
        ([], "203.0.113.5", ["198.51.100.1"], "203.0.113.5"),  # untrusted peer: header ignored
        (["127.0.0.1"], "127.0.0.1", [], "127.0.0.1"),  # trusted, but no header
        (["127.0.0.1"], "127.0.0.1", ["198.51.100.1"], "198.51.100.1"),
        # The client can prepend anything; the right-most untrusted hop counts.
        (["127.0.0.1"], "127.0.0.1", ["6.6.6.6, 198.51.100.1"], "198.51.100.1"),
        (["127.0.0.1", "10.0.0.0/8"], "127.0.0.1", ["198.51.100.1, 10.1.2.3"], "198.51.100.1"),
        (["127.0.0.1"], "127.0.0.1", ["6.6.6.6", "198.51.100.1"], "198.51.100.1"),  # two headers
        (["127.0.0.1"], "127.0.0.1", ["not-an-address"], "127.0.0.1"),  # malformed: the peer
        (["::1"], "::1", ["2001:db8::7"], "2001:db8::7"),
    ],
)
def test_client_address(trusted: list[str], peer: str, forwarded: list[str], expected: str) -> None:
    assert client_address(request(peer, *forwarded), trusted_networks(trusted)) == expected
