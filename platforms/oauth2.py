"""The OAuth 2.0 refresh-token grant (RFC 6749 section 6), as LinkedIn and X implement it.

A refused refresh (`invalid_grant` and friends, HTTP 400/401) raises `AuthExpired`: the account must be
reconnected by a person. A rate limit or a 5xx stays transient, so the caller can try again later without
giving up on the refresh token.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Literal

import httpx
from pydantic import SecretStr

from platforms.base import TokenSet
from platforms.errors import AuthExpired
from platforms.http_errors import retry_after_header
from platforms.platform_http import PlatformHttp, body_text


async def refresh_tokens(
    http: PlatformHttp,
    token_url: str,
    *,
    refresh_token: str,
    client_id: str,
    client_secret: str | None,
    secret_in: Literal["body", "basic"],
    clock: Callable[[], datetime],
) -> TokenSet:
    http.add_secret(refresh_token)
    if client_secret:
        http.add_secret(client_secret)
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": client_id}
    headers = {"Accept": "application/json"}
    if client_secret and secret_in == "basic":
        pair = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode("ascii")
        headers["Authorization"] = f"Basic {pair}"
    elif client_secret:
        data["client_secret"] = client_secret
    response = await http.send("POST", token_url, data=data, headers=headers)
    if response.status_code in (400, 401):
        raise AuthExpired(
            http.platform, http.scrubbed(f"refreshing the access token was refused: {_oauth_message(response)}")
        )
    if response.status_code >= 400:
        retry_after = retry_after_header(response.headers.get("Retry-After"), clock())
        message = f"refreshing the access token failed: {_oauth_message(response)}"
        raise http.error(response, message, retry_after=retry_after)
    body = http.json(response)
    access = body.get("access_token") if isinstance(body, dict) else None
    if not isinstance(access, str) or not access:
        raise http.unexpected("token", {"keys": sorted(body) if isinstance(body, dict) else None})
    http.add_secret(access)
    rotated = body.get("refresh_token")
    if isinstance(rotated, str) and rotated:
        http.add_secret(rotated)
    expires_in = body.get("expires_in")
    return TokenSet(
        access_token=SecretStr(access),
        refresh_token=SecretStr(rotated) if isinstance(rotated, str) and rotated else None,
        expires_at=clock() + timedelta(seconds=expires_in) if isinstance(expires_in, int | float) else None,
    )


def _oauth_message(response: httpx.Response) -> str:
    """`error (error_description)` from an RFC 6749 error body."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        description = body.get("error_description")
        return body["error"] + (f" ({description})" if isinstance(description, str) else "")
    return body_text(response)
