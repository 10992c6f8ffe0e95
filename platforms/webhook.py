"""A generic channel: each post is POSTed as signed JSON to a URL the workspace configures.

The request carries `X-Postgate-Timestamp` (Unix seconds) and `X-Postgate-Signature: sha256=<hex>`, the
HMAC-SHA256 of `<timestamp>.<body>` under the shared secret. Receivers check it with `verify_signature`,
and answer 2xx, optionally with JSON `{"id": ..., "url": ...}`.

Reconciliation: the body carries the idempotency key, and the receiver is expected to treat a repeated key
as the same post (answering with the same id). So `find_by_key` returns None and the retry re-sends.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, SecretStr

from platforms.base import PlatformMetrics, PublishedPost, TextLimits, Variant
from platforms.errors import RejectedByPlatform
from platforms.http_errors import retry_after_header
from platforms.platform_http import PlatformHttp, body_text

PLATFORM = "webhook"
SIGNATURE_HEADER = "X-Postgate-Signature"
TIMESTAMP_HEADER = "X-Postgate-Timestamp"
EVENT_HEADER = "X-Postgate-Event"


class WebhookConfig(BaseModel):
    url: str
    secret: SecretStr
    max_length: int = 10_000


def sign(secret: str | bytes, timestamp: str, body: bytes) -> str:
    """The `X-Postgate-Signature` value for `body` sent at `timestamp`."""
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    digest = hmac.new(key, timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_signature(
    secret: str | bytes,
    timestamp: str,
    body: bytes,
    header: str,
    tolerance_s: float = 300,
    now: datetime | None = None,
) -> bool:
    """Whether a webhook request is genuine and recent: for receivers, given the raw body bytes as received.

    A timestamp more than `tolerance_s` seconds away from `now` fails even with a valid signature, so a
    captured request cannot be replayed later.
    """
    try:
        sent_at = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((now or datetime.now(UTC)).timestamp() - sent_at) > tolerance_s:
        return False
    if not isinstance(header, str) or not header.startswith("sha256="):
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), header)


class WebhookAdapter:
    platform = PLATFORM
    # The receiver deduplicates on the idempotency key, so re-sending settles an ambiguous publish.
    reconciles_by_key = True

    def __init__(
        self,
        client: httpx.AsyncClient,
        config: WebhookConfig,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._secret = config.secret.get_secret_value()
        self._http = PlatformHttp(client, PLATFORM, config.url, secrets=(self._secret,))
        self._config = config
        self._clock = clock

    async def publish(self, variant: Variant, idempotency_key: str) -> PublishedPost:
        now = self._clock().astimezone(UTC)
        payload = {
            "idempotency_key": idempotency_key,
            "text": variant.text,
            "media": [media.model_dump(mode="json") for media in variant.media],
            "post": {"attempted_at": now.isoformat().replace("+00:00", "Z")},
        }
        # The exact bytes sent are the bytes signed, so the body is serialised here rather than by httpx.
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        timestamp = str(int(now.timestamp()))
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": idempotency_key,
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(self._secret, timestamp, body),
        }
        response = await self._http.send("POST", self._config.url, publishing=True, content=body, headers=headers)
        if response.status_code >= 300:
            retry_after = retry_after_header(response.headers.get("Retry-After"), now)
            raise self._http.error(response, _receiver_message(response), retry_after=retry_after)
        answer: Any = None
        if response.content.strip():
            try:
                answer = response.json()
            except ValueError:
                answer = None  # a 2xx is an acceptance, whatever its body says
        answer = answer if isinstance(answer, dict) else {}
        external_id = answer.get("id")
        url = answer.get("url")
        return PublishedPost(
            external_id=str(external_id) if isinstance(external_id, str | int) else idempotency_key,
            url=url if isinstance(url, str) else "",
            created_at=now,
        )

    async def find_by_key(self, idempotency_key: str) -> PublishedPost | None:
        """Always None: the receiver deduplicates on the idempotency key, so re-sending is the reconciliation."""
        return None

    async def delete(self, external_id: str) -> None:
        raise RejectedByPlatform(
            PLATFORM, f"Webhook channels cannot delete; remove {external_id} in the receiving system"
        )

    async def metrics(self, external_id: str) -> PlatformMetrics:
        """Nothing to count: a webhook receiver reports no engagement back."""
        return PlatformMetrics()

    async def limits(self) -> TextLimits:
        return TextLimits(max_length=self._config.max_length, counting="chars")

    async def check_credentials(self) -> str:
        """A signed GET with an empty body (`X-Postgate-Event: check`): the receiver is there and takes us.

        A receiver that only accepts POST answers 405, which still proves it is reachable; 401/403 means it
        refuses our signature (the shared secret differs).
        """
        timestamp = str(int(self._clock().timestamp()))
        headers = {
            EVENT_HEADER: "check",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(self._secret, timestamp, b""),
        }
        response = await self._http.send("GET", self._config.url, headers=headers)
        if response.status_code >= 300 and response.status_code != 405:
            raise self._http.error(response, _receiver_message(response))
        return urlsplit(self._config.url).netloc


def _receiver_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        for key in ("message", "error", "detail"):
            if isinstance(body.get(key), str):
                return f"HTTP {response.status_code}: {body[key]}"
    return body_text(response)
