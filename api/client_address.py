"""Who is calling: the socket peer, or what trusted reverse proxies say in `X-Forwarded-For`.

`X-Forwarded-For` is written by whoever sends the request, so it is believed only when the peer is one of
`POSTGATE_TRUSTED_PROXIES`. Each trusted proxy appends the address it saw, so the list is read from the
right: the first address that is not a trusted proxy is the caller. With no trusted proxies (the
default) the header is ignored and the peer is the caller. uvicorn's own proxy-header handling is off
(`proxy_headers=False` where postgate starts it), so this is the only place the header is read.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from starlette.requests import Request

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(entries: Sequence[str]) -> tuple[Network, ...]:
    """CIDRs or single addresses; ValueError names a bad one."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ValueError(f"'{entry}' is not a network such as 10.0.0.0/8 or an address such as 10.0.0.7") from None
    return tuple(networks)


def _trusted(address: str, proxies: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in proxies)


def client_address(request: Request, proxies: Sequence[Network]) -> str:
    peer = request.client.host if request.client else "unknown"
    if not proxies or not _trusted(peer, proxies):
        return peer
    hops = [hop.strip() for value in request.headers.getlist("x-forwarded-for") for hop in value.split(",")]
    caller = peer
    for hop in reversed([hop for hop in hops if hop]):
        caller = hop[:64]
        if not _trusted(hop, proxies):
            break
    return caller
