"""Who sent a request, and over what: the client address that sign-in throttling counts
by, and the scheme the browser used, behind the trusted proxies of
``HOLOS_TRUSTED_PROXIES``."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from starlette.requests import HTTPConnection

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_networks(entries: Sequence[str]) -> tuple[IpNetwork, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def from_trusted_proxy(request: HTTPConnection, trusted: Sequence[IpNetwork]) -> bool:
    peer_ip = _address(request.client.host if request.client else "")
    return peer_ip is not None and any(peer_ip in net for net in trusted)


def forwarded_proto(request: HTTPConnection, proxies: Sequence[str]) -> str | None:
    """The scheme the client used, as a trusted proxy tells it (``X-Forwarded-Proto``;
    with several proxies, the first one's, which faced the client). ``None`` when the
    peer is not a trusted proxy or says nothing."""
    if not proxies or not from_trusted_proxy(request, trusted_networks(proxies)):
        return None
    header = request.headers.get("x-forwarded-proto", "")
    first = header.split(",")[0].strip().lower()
    return first or None


def client_address(request: HTTPConnection, trusted: Sequence[IpNetwork]) -> str:
    """The address of whoever sent the request.

    The TCP peer, unless the peer is a trusted proxy (``HOLOS_TRUSTED_PROXIES``): then
    ``X-Forwarded-For`` is read from the right, skipping trusted proxies, and the first
    address that is not one is the client. Anything to the left of it could be forged by
    the client and is ignored; so is the header from a peer that is not trusted.
    """
    peer = request.client.host if request.client else ""
    peer_ip = _address(peer)
    if peer_ip is None or not any(peer_ip in net for net in trusted):
        return peer
    forwarded = ",".join(request.headers.getlist("x-forwarded-for"))
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        ip = _address(hop)
        if ip is None:
            return peer  # a malformed chain: fall back to what TCP says
        if not any(ip in net for net in trusted):
            return str(ip)
    return peer
