"""Credential checks and OAuth2 refresh of every adapter, against each platform's documented requests
(respx contract doubles), and `build_adapter` turning a channel's settings and secrets into the adapter."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from platforms.bluesky import BlueskyAdapter, BlueskyConfig
from platforms.channel_settings import build_adapter
from platforms.errors import AuthExpired, RejectedByPlatform, TransientPlatformError
from platforms.linkedin import LinkedInAdapter, LinkedInConfig
from platforms.mastodon import MastodonAdapter, MastodonConfig
from platforms.meta import (
    FacebookPageAdapter,
    FacebookPageConfig,
    InstagramAdapter,
    InstagramConfig,
    ThreadsAdapter,
    ThreadsConfig,
)
from platforms.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookAdapter, WebhookConfig, verify_signature
from platforms.x import XAdapter, XConfig

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
TOKEN = "AQXdSP_W41_UPs5ioT_t8HESyODB4FqbkJ8LrV_5mff4gPODzOYR"
REFRESH = "AQWN-refresh-7UkPqr2dhd0ZbLw"
CLIENT_SECRET = "WPL_AP1.client-secret.Qk3"


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=httpx.Timeout(5.0)) as client:
        yield client


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        yield router


def form(request: httpx.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.content.decode()).items()}


# --- Mastodon and Bluesky ---------------------------------------------------------------------------------


async def test_mastodon_check_reads_verify_credentials(http: httpx.AsyncClient, mock: respx.MockRouter) -> None:
    route = mock.get("https://social.example/api/v1/accounts/verify_credentials").respond(
        200, json={"id": "1", "username": "acme", "acct": "acme", "display_name": "Acme"}
    )
    adapter = MastodonAdapter(http, MastodonConfig(instance_url="https://social.example", access_token=TOKEN))

    assert await adapter.check_credentials() == "@acme@social.example"
    assert route.calls.last.request.headers["Authorization"] == f"Bearer {TOKEN}"


async def test_mastodon_check_with_a_revoked_token_is_auth_expired_without_the_token(
    http: httpx.AsyncClient, mock: respx.MockRouter
) -> None:
    mock.get("https://social.example/api/v1/accounts/verify_credentials").respond(
        401, json={"error": f"The access token {TOKEN} was revoked"}
    )
    adapter = MastodonAdapter(http, MastodonConfig(instance_url="https://social.example", access_token=TOKEN))

    with pytest.raises(AuthExpired) as refused:
        await adapter.check_credentials()
    assert TOKEN not in str(refused.value) and "revoked" in str(refused.value)


async def test_bluesky_check_logs_in_with_the_app_password(http: httpx.AsyncClient, mock: respx.MockRouter) -> None:
    route = mock.post("https://pds.example/xrpc/com.atproto.server.createSession").respond(
        200, json={"did": "did:plc:abc", "handle": "acme.bsky.social", "accessJwt": "a.b.c", "refreshJwt": "d.e.f"}
    )
    config = BlueskyConfig(service_url="https://pds.example", handle="acme.bsky.social", app_password="abcd-efgh")

    assert await BlueskyAdapter(http, config).check_credentials() == "@acme.bsky.social"
    assert json.loads(route.calls.last.request.content) == {"identifier": "acme.bsky.social", "password": "abcd-efgh"}

    route.respond(401, json={"error": "AuthenticationRequired", "message": "Invalid identifier or password"})
    with pytest.raises(AuthExpired, match="Invalid identifier or password"):
        await BlueskyAdapter(http, config).check_credentials()


# --- LinkedIn ---------------------------------------------------------------------------------------------


def linkedin(http: httpx.AsyncClient, author: str = "urn:li:organization:5515715", **extra: object) -> LinkedInAdapter:
    config = LinkedInConfig(
        api_url="https://api.linkedin.example",
        access_token=TOKEN,
        author_urn=author,
        linkedin_version="202510",
        token_url="https://www.linkedin.example/oauth/v2/accessToken",
        **extra,
    )
    return LinkedInAdapter(http, config, clock=lambda: NOW)


async def test_linkedin_check_reads_the_organization(http: httpx.AsyncClient, mock: respx.MockRouter) -> None:
    route = mock.get("https://api.linkedin.example/rest/organizations/5515715").respond(
        200, json={"id": 5515715, "localizedName": "Acme Coffee"}
    )
    assert await linkedin(http).check_credentials() == "Acme Coffee"
    assert route.calls.last.request.headers["LinkedIn-Version"] == "202510"


async def test_linkedin_check_refuses_a_token_of_another_member(
    http: httpx.AsyncClient, mock: respx.MockRouter
) -> None:
    route = mock.get("https://api.linkedin.example/v2/userinfo").respond(200, json={"sub": "782bbtaQ", "name": "Ada"})
    assert await linkedin(http, "urn:li:person:782bbtaQ").check_credentials() == "Ada"

    route.respond(200, json={"sub": "someone-else", "name": "Eve"})
    with pytest.raises(RejectedByPlatform, match="not the channel's author urn:li:person:782bbtaQ"):
        await linkedin(http, "urn:li:person:782bbtaQ").check_credentials()


async def test_linkedin_refresh_trades_the_refresh_token_for_new_tokens(
    http: httpx.AsyncClient, mock: respx.MockRouter
) -> None:
    route = mock.post("https://www.linkedin.example/oauth/v2/accessToken").respond(
        200,
        json={
            "access_token": "AQV-new-access",
            "expires_in": 5184000,
            "refresh_token": "AQW-new-refresh",
            "refresh_token_expires_in": 525600,
        },
    )
    adapter = linkedin(http, refresh_token=REFRESH, client_id="86abc", client_secret=CLIENT_SECRET)
    assert adapter.can_refresh

    tokens = await adapter.refresh()

    assert form(route.calls.last.request) == {
        "grant_type": "refresh_token",
        "refresh_token": REFRESH,
        "client_id": "86abc",
        "client_secret": CLIENT_SECRET,
    }
    assert tokens.access_token.get_secret_value() == "AQV-new-access"
    assert tokens.refresh_token is not None and tokens.refresh_token.get_secret_value() == "AQW-new-refresh"
    assert tokens.expires_at == NOW + timedelta(seconds=5184000)


async def test_a_refused_refresh_is_auth_expired_and_shows_no_secret(
    http: httpx.AsyncClient, mock: respx.MockRouter
) -> None:
    route = mock.post("https://www.linkedin.example/oauth/v2/accessToken").respond(
        400, json={"error": "invalid_grant", "error_description": f"The token {REFRESH} is expired"}
    )
    adapter = linkedin(http, refresh_token=REFRESH, client_id="86abc", client_secret=CLIENT_SECRET)
    with pytest.raises(AuthExpired) as refused:
        await adapter.refresh()
    assert "invalid_grant" in str(refused.value) and REFRESH not in str(refused.value)

    route.respond(503, text="upstream unavailable")
    with pytest.raises(TransientPlatformError):
        await adapter.refresh()


async def test_linkedin_without_client_credentials_cannot_refresh(http: httpx.AsyncClient) -> None:
    adapter = linkedin(http, refresh_token=REFRESH)
    assert not adapter.can_refresh
    with pytest.raises(AuthExpired, match="reconnect"):
        await adapter.refresh()


# --- X ----------------------------------------------------------------------------------------------------


def x(http: httpx.AsyncClient, **extra: object) -> XAdapter:
    return XAdapter(http, XConfig(api_url="https://api.x.example", access_token=TOKEN, **extra), clock=lambda: NOW)


async def test_x_check_reads_users_me(http: httpx.AsyncClient, mock: respx.MockRouter) -> None:
    route = mock.get("https://api.x.example/2/users/me").respond(
        200, json={"data": {"id": "2244994945", "name": "Acme", "username": "acme"}}
    )
    assert await x(http).check_credentials() == "@acme"
    route.respond(401, json={"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"})
    with pytest.raises(AuthExpired):
        await x(http).check_credentials()


async def test_x_refresh_of_a_confidential_client_uses_basic_auth(
    http: httpx.AsyncClient, mock: respx.MockRouter
) -> None:
    route = mock.post("https://api.x.example/2/oauth2/token").respond(
        200,
        json={
            "token_type": "bearer",
            "expires_in": 7200,
            "access_token": "x-new-access",
            "scope": "tweet.write users.read offline.access",
            "refresh_token": "x-new-refresh",
        },
    )
    tokens = await x(http, refresh_token=REFRESH, client_id="cid", client_secret=CLIENT_SECRET).refresh()

    request = route.calls.last.request
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(f"cid:{CLIENT_SECRET}".encode()).decode()
    assert form(request) == {"grant_type": "refresh_token", "refresh_token": REFRESH, "client_id": "cid"}
    assert tokens.refresh_token is not None and tokens.refresh_token.get_secret_value() == "x-new-refresh"
    assert tokens.expires_at == NOW + timedelta(hours=2)


async def test_x_refresh_of_a_public_client_sends_only_its_id(http: httpx.AsyncClient, mock: respx.MockRouter) -> None:
    route = mock.post("https://api.x.example/2/oauth2/token").respond(
        200, json={"token_type": "bearer", "access_token": "x-new-access"}
    )
    tokens = await x(http, refresh_token=REFRESH, client_id="cid").refresh()
    assert "Authorization" not in route.calls.last.request.headers
    assert tokens.refresh_token is None and tokens.expires_at is None


# --- Meta and webhooks ------------------------------------------------------------------------------------


async def test_meta_checks_read_the_account_with_the_token(http: httpx.AsyncClient, mock: respx.MockRouter) -> None:
    graph = "https://graph.example/v23.0"
    threads = mock.get(f"{graph}/7", params={"fields": "id,username"}).respond(
        200, json={"id": "7", "username": "acme"}
    )
    mock.get(f"{graph}/17841", params={"fields": "id,username"}).respond(
        200, json={"id": "17841", "username": "acme.ig"}
    )
    mock.get(f"{graph}/1010", params={"fields": "id,name"}).respond(200, json={"id": "1010", "name": "Acme Coffee"})

    assert (
        await ThreadsAdapter(http, ThreadsConfig(api_url=graph, user_id="7", access_token=TOKEN)).check_credentials()
        == "@acme"
    )
    instagram = InstagramAdapter(http, InstagramConfig(api_url=graph, ig_user_id="17841", access_token=TOKEN))
    assert await instagram.check_credentials() == "@acme.ig"
    page = FacebookPageAdapter(http, FacebookPageConfig(api_url=graph, page_id="1010", page_access_token=TOKEN))
    assert await page.check_credentials() == "Acme Coffee"
    assert threads.calls.last.request.headers["Authorization"] == f"Bearer {TOKEN}"


async def test_meta_check_with_an_expired_token_is_auth_expired(
    http: httpx.AsyncClient, mock: respx.MockRouter
) -> None:
    graph = "https://graph.example/v23.0"
    mock.get(f"{graph}/1010").respond(
        400,
        json={
            "error": {
                "message": "Error validating access token: Session has expired",
                "type": "OAuthException",
                "code": 190,
            }
        },
    )
    page = FacebookPageAdapter(http, FacebookPageConfig(api_url=graph, page_id="1010", page_access_token=TOKEN))
    with pytest.raises(AuthExpired, match="Session has expired"):
        await page.check_credentials()


async def test_webhook_check_sends_a_signed_get_and_accepts_a_post_only_receiver(
    http: httpx.AsyncClient, mock: respx.MockRouter
) -> None:
    secret = "whsec-0123456789abcdef"
    route = mock.get("https://hooks.example/postgate").respond(405)
    adapter = WebhookAdapter(
        http, WebhookConfig(url="https://hooks.example/postgate", secret=secret), clock=lambda: NOW
    )

    assert await adapter.check_credentials() == "hooks.example"
    request = route.calls.last.request
    assert request.headers["X-Postgate-Event"] == "check"
    assert verify_signature(secret, request.headers[TIMESTAMP_HEADER], b"", request.headers[SIGNATURE_HEADER], now=NOW)

    route.respond(401, json={"error": "bad signature"})
    with pytest.raises(AuthExpired, match="bad signature"):
        await adapter.check_credentials()


# --- from a channel's settings and secrets ----------------------------------------------------------------

SETUPS = {
    "sandbox": ({}, None, True),
    "mastodon": ({"instance_url": "https://social.example"}, {"access_token": TOKEN}, True),
    "bluesky": ({"handle": "acme.bsky.social"}, {"app_password": "abcd-efgh"}, True),
    "webhook": ({"url": "https://hooks.example/p"}, {"secret": "whsec-0123456789abcdef"}, True),
    "linkedin": ({"author_urn": "urn:li:organization:1"}, {"access_token": TOKEN}, False),
    "x": ({}, {"access_token": TOKEN, "expires_at": "2030-01-01T00:00:00+00:00"}, False),
    "threads": ({"user_id": "7"}, {"access_token": TOKEN}, False),
    "instagram": ({"ig_user_id": "17841"}, {"access_token": TOKEN}, False),
    "facebook": ({"page_id": "1010"}, {"access_token": TOKEN}, False),
}


@pytest.mark.parametrize("platform", sorted(SETUPS))
async def test_build_adapter_gives_each_platform_its_adapter_and_ambiguity_rule(
    http: httpx.AsyncClient, platform: str
) -> None:
    settings, secrets, reconciles = SETUPS[platform]
    adapter = build_adapter(http, platform, "ch1", settings, secrets, sandbox_url="http://sandbox.example")
    assert adapter.platform == platform
    # Only platforms that settle an ambiguous publish by our key may retry one on their own.
    assert adapter.reconciles_by_key is reconciles


async def test_a_facebook_channel_token_becomes_the_page_token(http: httpx.AsyncClient, mock: respx.MockRouter) -> None:
    route = mock.get("https://graph.facebook.com/v23.0/1010").respond(200, json={"id": "1010", "name": "Acme"})
    adapter = build_adapter(http, "facebook", "fb", {"page_id": "1010"}, {"access_token": TOKEN}, sandbox_url="")
    assert await adapter.check_credentials() == "Acme"
    assert route.calls.last.request.headers["Authorization"] == f"Bearer {TOKEN}"
