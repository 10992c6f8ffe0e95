"""Where postgate may connect: no loopback, private, link-local or metadata address unless allowed.

Notification webhooks, channel base URLs and media URLs are typed in by users, so an outbound request is a
way into the network postgate runs in (the Temporal UI on loopback, a cloud metadata service). Every
outbound client of the worker and the API is built by `guarded_client`: its transport resolves the host
itself, checks every address it resolves to, and connects to the address it checked (TLS still verifies
and sends SNI for the host name, and the Host header is unchanged), so a DNS answer that changes between
the check and the connection (rebinding) gains nothing.

Refused by default: addresses that are not globally routable (loopback, RFC 1918 private, link-local,
unique-local, shared, documentation, reserved), multicast, unspecified, and the metadata services
(169.254.169.254, fd00:ec2::254); IPv4 inside IPv6 (mapped, 6to4, NAT64) is judged as the IPv4 address.
`OutboundPolicy.allow` admits networks (`10.0.0.0/8`, `127.0.0.1`) and host names (`sandbox`, `pds.internal`),
each optionally with a port (`127.0.0.1:8010`, `[::1]:8010`, `sandbox:8010`).

Every failure to connect, refused here or by the network, closed port or filtered, says the same
`UNREACHABLE`, so answers do not map the network behind postgate.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

UNREACHABLE = "could not connect (unreachable, or an address postgate may not reach: see POSTGATE_OUTBOUND_ALLOW)"
METADATA = (ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254"))
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class OutboundRefused(httpcore.ConnectError):
    """The destination is not one postgate may reach; nothing was sent. Its message is `UNREACHABLE`."""


@dataclass(frozen=True)
class _Entry:
    network: IPNetwork | None = None
    host: str | None = None
    port: int | None = None


@dataclass(frozen=True)
class OutboundPolicy:
    """Which otherwise refused destinations are allowed (see the module's docstring)."""

    entries: tuple[_Entry, ...] = field(default=())

    @classmethod
    def parse(cls, allow: Iterable[str] = (), *, also: Iterable[str] = ()) -> OutboundPolicy:
        """`allow`: entries as the setting spells them; `also`: URLs whose host and port are allowed too
        (the operator's own sandbox URL)."""
        entries = [parse_entry(item) for item in allow if item.strip()]
        for url in also:
            parts = urlsplit(url)
            if parts.hostname:
                entries.append(_from_host(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)))
        return cls(tuple(entries))

    def admits_host(self, host: str, port: int) -> bool:
        host = host.lower().rstrip(".")
        return any(e.host == host and e.port in (None, port) for e in self.entries)

    def admits_address(self, address: IPAddress, port: int) -> bool:
        return any(e.network is not None and address in e.network and e.port in (None, port) for e in self.entries)

    def may_connect(self, address: IPAddress, port: int) -> bool:
        return not forbidden(address) or self.admits_address(address, port)


def parse_entry(text: str) -> _Entry:
    """`CIDR`, `IP`, `host`, each optionally `:port`; IPv6 with a port in brackets. ValueError says why."""
    text = text.strip()
    port: int | None = None
    if text.startswith("["):
        body, _, rest = text[1:].partition("]")
        if rest:
            port = _port(rest.removeprefix(":"), text)
        text = body
    elif text.count(":") == 1:
        text, raw_port = text.split(":")
        port = _port(raw_port, text)
    try:
        return _Entry(network=ipaddress.ip_network(text, strict=False), port=port)
    except ValueError:
        pass
    if not text or any(char in text for char in "/ @") or text.count(":"):
        raise ValueError(f"'{text}' is not a network (10.0.0.0/8), an address or a host name")
    return _Entry(host=text.lower().rstrip("."), port=port)


def _port(raw: str, text: str) -> int:
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise ValueError(f"'{text}': the port must be a number from 1 to 65535")
    return int(raw)


def _from_host(host: str, port: int) -> _Entry:
    try:
        return _Entry(network=ipaddress.ip_network(host), port=port)
    except ValueError:
        return _Entry(host=host.lower().rstrip("."), port=port)


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def forbidden(address: IPAddress) -> bool:
    """Whether the address is refused unless allowed: not globally routable, multicast, or metadata."""
    inner = _embedded_ipv4(address)
    if inner is not None and forbidden(inner):
        return True
    return (
        address in METADATA
        or not address.is_global
        or address.is_multicast
        or address.is_unspecified
        or address.is_reserved
        or address.is_loopback
        or address.is_link_local
        or address.is_private
    )


def literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def refused_url(url: str, policy: OutboundPolicy) -> str | None:
    """What is wrong with `url` as a destination, judged without DNS (create-time validation), or None.

    A host name is checked when it is used, after resolution; here only the scheme and a literal address."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "give an http:// or https:// URL with a host"
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return "the URL's port is not a number from 1 to 65535"
    address = literal_address(parts.hostname)
    if address is None:
        # Numeric forms the resolver also reads as IPv4 ("2130706433", "127.1", "0x7f.1").
        try:
            address = ipaddress.ip_address(socket.inet_aton(parts.hostname))
        except (OSError, ValueError):
            return None
    if policy.admits_host(parts.hostname, port) or policy.may_connect(address, port):
        return None
    return "the URL points at a loopback, private, link-local or metadata address, which postgate does not reach"


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves, checks every address, connects to a checked address; every failure reads `UNREACHABLE`."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend, policy: OutboundPolicy) -> None:
        self._inner = inner
        self._policy = policy

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        if self._policy.admits_host(host, port):
            targets = [host]
        else:
            addresses = await self._resolve(host, port)
            if not addresses:
                raise httpcore.ConnectError(UNREACHABLE)  # a name that does not resolve (now): may pass
            # One refused address refuses the host: an attacker's name may list a public and a private one.
            if not all(self._policy.may_connect(address, port) for address in addresses):
                raise OutboundRefused(UNREACHABLE)
            targets = [str(address) for address in addresses]
        for target in targets:
            try:
                return await self._inner.connect_tcp(
                    target, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout, OSError):
                continue
        raise httpcore.ConnectError(UNREACHABLE)

    async def _resolve(self, host: str, port: int) -> list[IPAddress]:
        literal = literal_address(host)
        if literal is not None:
            return [literal]
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            return []
        found: dict[IPAddress, None] = {}
        for _family, _type, _proto, _name, sockaddr in infos:
            address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
            found[address] = None
        return list(found)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise OutboundRefused(UNREACHABLE)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def guarded_transport(policy: OutboundPolicy, **kwargs: Any) -> httpx.AsyncHTTPTransport:
    """An `httpx.AsyncHTTPTransport` (same arguments) whose connections go through `GuardedBackend`."""
    transport = httpx.AsyncHTTPTransport(**kwargs)
    pool = transport._pool  # httpx keeps its httpcore pool here; tests/platforms/test_outbound.py pins it
    pool._network_backend = GuardedBackend(pool._network_backend, policy)
    return transport


def guarded_client(policy: OutboundPolicy, *, limits: httpx.Limits | None = None, **kwargs: Any) -> httpx.AsyncClient:
    """An `httpx.AsyncClient` that only reaches what `policy` allows. Proxies from the environment are not
    used: a proxy would make the connection, and the check, somewhere else."""
    transport = guarded_transport(
        policy, limits=limits or httpx.Limits(max_connections=100, max_keepalive_connections=20)
    )
    return httpx.AsyncClient(transport=transport, trust_env=False, **kwargs)


def is_refused(exc: BaseException) -> bool:
    """Whether an httpx error is the policy's refusal (nothing was sent), not a network failure."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, OutboundRefused):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def policy_of(allow: Sequence[str], sandbox_url: str) -> OutboundPolicy:
    return OutboundPolicy.parse(allow, also=[sandbox_url] if sandbox_url else [])
