"""The outbound guard: what postgate refuses to connect to, and that it connects to what it checked."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpcore
import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from platforms.errors import RejectedByPlatform, TransientPlatformError
from platforms.outbound import (
    UNREACHABLE,
    GuardedBackend,
    OutboundPolicy,
    forbidden,
    guarded_client,
    guarded_transport,
    refused_url,
)
from platforms.platform_http import PlatformHttp
from servers import free_port

STRICT = OutboundPolicy()


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "::1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "fd00:ec2::254",
        "fe80::1",
        "fc00::5",
        "100.64.0.1",
        "0.0.0.0",
        "::",
        "224.0.0.1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "64:ff9b::a9fe:a9fe",
        "2002:7f00:1::",
    ],
)
def test_internal_addresses_are_refused_by_default(address: str) -> None:
    assert forbidden(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "1.1.1.1"])
def test_public_addresses_are_not(address: str) -> None:
    assert not forbidden(ipaddress.ip_address(address))


def test_create_time_check_refuses_literal_internal_urls_and_other_schemes() -> None:
    for url in ("http://127.0.0.1:8233/", "http://[::1]/", "http://169.254.169.254/latest", "http://2130706433/"):
        assert refused_url(url, STRICT), url
    assert refused_url("ftp://example.com/", STRICT)
    assert refused_url("https://hooks.example.com/pg", STRICT) is None
    assert refused_url("http://localhost:9/", STRICT) is None  # a name is judged when used, after resolution
    allowed = OutboundPolicy.parse(["127.0.0.1:8233"])
    assert refused_url("http://127.0.0.1:8233/", allowed) is None
    assert refused_url("http://127.0.0.1:8234/", allowed)


def test_allow_entries_parse_and_bad_ones_say_why() -> None:
    policy = OutboundPolicy.parse(["10.0.0.0/8", "[::1]:8010", "sandbox:8010", "PDS.internal"])
    assert policy.admits_address(ipaddress.ip_address("10.9.9.9"), 443)
    assert policy.admits_address(ipaddress.ip_address("::1"), 8010)
    assert not policy.admits_address(ipaddress.ip_address("::1"), 8011)
    assert policy.admits_host("sandbox", 8010) and not policy.admits_host("sandbox", 80)
    assert policy.admits_host("pds.internal", 443)
    with pytest.raises(ValueError, match="port"):
        OutboundPolicy.parse(["10.0.0.1:http"])


class Recording(httpcore.AsyncNetworkBackend):
    def __init__(self) -> None:
        self.hosts: list[str] = []

    async def connect_tcp(self, host: str, port: int, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        self.hosts.append(host)
        raise httpcore.ConnectError("[Errno 111] Connection refused")


async def test_it_connects_to_the_address_it_checked_not_the_name() -> None:
    inner = Recording()
    backend = GuardedBackend(inner, OutboundPolicy.parse(["127.0.0.0/8", "::1"]))
    with pytest.raises(httpcore.ConnectError) as failed:
        await backend.connect_tcp("localhost", 9)
    assert inner.hosts and all(ipaddress.ip_address(host).is_loopback for host in inner.hosts)
    assert str(failed.value) == UNREACHABLE  # the network's own words (a refused port) never come through


async def test_a_name_resolving_to_loopback_is_refused_before_any_connection() -> None:
    inner = Recording()
    with pytest.raises(httpcore.ConnectError, match="could not connect"):
        await GuardedBackend(inner, STRICT).connect_tcp("localhost", 9)
    assert inner.hosts == []


async def _serve_once_and_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\r\n\r\n")
    writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
    await writer.drain()
    writer.close()


@pytest.fixture
async def tls_server(tmp_path: Path) -> AsyncIterator[tuple[int, ssl.SSLContext, list[str | None]]]:
    """An HTTPS server on 127.0.0.1 whose certificate names only 'localhost'; records the SNI it was sent."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert_file, key_file)
    names: list[str | None] = []
    server_context.sni_callback = lambda _sock, sni, _ctx: names.append(sni)
    server = await asyncio.start_server(_serve_once_and_answer, "127.0.0.1", 0, ssl=server_context)
    port = server.sockets[0].getsockname()[1]
    client_context = ssl.create_default_context(cafile=str(cert_file))
    async with server:
        yield port, client_context, names


async def test_tls_still_verifies_and_sends_the_host_name(tls_server: tuple[int, ssl.SSLContext, list]) -> None:
    port, context, names = tls_server
    transport = guarded_transport(OutboundPolicy.parse(["127.0.0.1"]), verify=context)
    async with httpx.AsyncClient(transport=transport, trust_env=False, timeout=10) as http:
        response = await http.get(f"https://localhost:{port}/")
    assert response.text == "ok" and names == ["localhost"]


async def test_a_refused_destination_is_a_permanent_platform_error_without_port_details() -> None:
    async with guarded_client(STRICT, timeout=5) as http:
        platform = PlatformHttp(http, "mastodon", "http://127.0.0.1:8233")
        with pytest.raises(RejectedByPlatform) as refused:
            await platform.send("GET", "/api/v1/accounts/verify_credentials")
    assert UNREACHABLE in refused.value.message and "8233" not in refused.value.message


async def test_a_closed_allowed_port_is_transient_and_says_the_same() -> None:
    async with guarded_client(OutboundPolicy.parse(["127.0.0.1"]), timeout=5) as http:
        platform = PlatformHttp(http, "mastodon", f"http://127.0.0.1:{free_port()}")
        with pytest.raises(TransientPlatformError) as failed:
            await platform.send("GET", "/api/v1/accounts/verify_credentials")
    assert UNREACHABLE in failed.value.message and "Errno" not in failed.value.message
