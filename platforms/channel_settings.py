"""What a channel on each platform is configured with: non-secret settings and secrets, validated apart.

Settings (base URL, handle, page id, author URN) are stored as JSON and shown by the API; secrets (tokens,
passwords, refresh tokens, client secrets) are sealed by store.credentials and never shown. Both models
refuse unknown fields, so a token pasted into the settings is refused rather than stored in the clear.
Every base URL is configurable, so self-hosted instances and local test doubles work like the real thing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import httpx
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, SecretStr, ValidationError

from platforms.base import PlatformAdapter
from platforms.bluesky import BlueskyAdapter, BlueskyConfig
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
from platforms.sandbox_adapter import SandboxChannel
from platforms.webhook import WebhookAdapter, WebhookConfig
from platforms.x import XAdapter, XConfig

PlatformName = Literal["sandbox", "mastodon", "bluesky", "linkedin", "x", "threads", "instagram", "facebook", "webhook"]
PLATFORMS: tuple[str, ...] = PlatformName.__args__  # type: ignore[attr-defined]
# LinkedIn supports each monthly API version for about a year; a channel can pin another.
LINKEDIN_VERSION = "202506"

_URL = re.compile(r"^https?://[^\s/?#]+[^\s]*$")


def _base_url(value: str) -> str:
    if not _URL.match(value):
        raise ValueError("must be an http:// or https:// URL with a host, e.g. https://mastodon.example")
    return value


def _secret(value: SecretStr) -> SecretStr:
    if not value.get_secret_value().strip():
        raise ValueError("must not be empty")
    return value


def _exists_in_utc(value: datetime) -> datetime:
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise ValueError("this time is outside the calendar once converted to UTC; give a real date") from None
    return value


BaseUrl = Annotated[str, Field(max_length=500), AfterValidator(_base_url)]
Secret = Annotated[SecretStr, Field(max_length=8192), AfterValidator(_secret)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NoSettings(_Strict):
    pass


class SandboxSettings(_Strict):
    base_url: BaseUrl | None = Field(default=None, description="a sandbox elsewhere; none = the worker's own")


class MastodonSettings(_Strict):
    instance_url: BaseUrl = Field(description="the instance, e.g. https://mastodon.social")
    visibility: Literal["public", "unlisted", "private", "direct"] = Field(
        default="public", description="of each status"
    )
    language: str | None = Field(default=None, max_length=16, description="ISO 639 code sent with each status")


class MastodonCredentials(_Strict):
    access_token: Secret = Field(description="a token with write:statuses and write:media")


def _language(value: str) -> str:
    if not _LANGUAGE.match(value):
        raise ValueError("must be a BCP-47 language tag, e.g. en, pt-BR, zh-Hant")
    return value


# BCP-47 as the AT Protocol's `language` format checks it: a primary subtag, then optional subtags.
_LANGUAGE = re.compile(r"^(?:[a-zA-Z]{2,3}|[iIxX])(?:-[a-zA-Z0-9]{1,8})*$")
Language = Annotated[str, Field(max_length=35), AfterValidator(_language)]


class BlueskySettings(_Strict):
    service_url: BaseUrl = Field(default="https://bsky.social", description="the account's PDS")
    handle: str = Field(min_length=3, max_length=253, description="the account's handle, e.g. acme.bsky.social")
    appview_url: BaseUrl | None = Field(default=None, description="where metrics are read; none = through the PDS")
    web_url: BaseUrl | None = Field(
        default=None,
        description="the web client post links point at; none = https://bsky.app for a bsky.social PDS, "
        "else the post's at:// URI",
    )
    langs: list[Language] = Field(
        default=[], max_length=3, description="the posts' languages (BCP-47), written to each record's `langs`"
    )


class BlueskyCredentials(_Strict):
    app_password: Secret = Field(description="an app password (Settings > App passwords), not the account's")


class OAuth2Credentials(_Strict):
    access_token: Secret = Field(description="the OAuth2 access token")
    refresh_token: Secret | None = Field(default=None, description="to refresh it before it runs out")
    client_secret: Secret | None = Field(default=None, description="the app's client secret, to refresh")
    expires_at: Annotated[AwareDatetime, AfterValidator(_exists_in_utc)] | None = Field(
        default=None, description="when the access token runs out"
    )


class LinkedInSettings(_Strict):
    api_url: BaseUrl = Field(default="https://api.linkedin.com", description="the REST API")
    author_urn: str = Field(
        pattern=r"^urn:li:(organization|person):.+$", max_length=200, description="who posts: urn:li:organization:..."
    )
    linkedin_version: str = Field(
        default=LINKEDIN_VERSION, pattern=r"^\d{6}$", description="the monthly API version (YYYYMM)"
    )
    visibility: Literal["PUBLIC", "CONNECTIONS", "LOGGED_IN"] = Field(default="PUBLIC", description="of each post")
    keep_hashtags: bool = Field(default=True, description="false: hashtags are sent as plain words")
    web_url: BaseUrl = Field(default="https://www.linkedin.com", description="where post links point")
    client_id: str | None = Field(default=None, max_length=200, description="the app's client id, to refresh")
    token_url: BaseUrl = Field(
        default="https://www.linkedin.com/oauth/v2/accessToken", description="where tokens are refreshed"
    )


class XSettings(_Strict):
    api_url: BaseUrl = Field(default="https://api.x.com", description="the v2 API")
    username: str | None = Field(default=None, max_length=50, description="for post links; none = /i/web/status/")
    web_url: BaseUrl = Field(default="https://x.com", description="where post links point")
    client_id: str | None = Field(default=None, max_length=200, description="the app's client id, to refresh")
    token_url: BaseUrl | None = Field(default=None, description="where tokens are refreshed; none = the API's")


class ThreadsSettings(_Strict):
    api_url: BaseUrl = Field(default="https://graph.threads.net/v1.0", description="the Threads Graph API")
    user_id: str = Field(min_length=1, max_length=64, description="the Threads user id")


class InstagramSettings(_Strict):
    api_url: BaseUrl = Field(default="https://graph.facebook.com/v23.0", description="the Graph API version")
    ig_user_id: str = Field(min_length=1, max_length=64, description="the Instagram professional account's id")


class FacebookSettings(_Strict):
    api_url: BaseUrl = Field(default="https://graph.facebook.com/v23.0", description="the Graph API version")
    page_id: str = Field(min_length=1, max_length=64, description="the Page's id")
    attach_first_link: bool = Field(default=True, description="the post's first link becomes its link preview")


class GraphCredentials(_Strict):
    access_token: Secret = Field(description="a long-lived token (a Page token for Facebook)")


class WebhookSettings(_Strict):
    url: BaseUrl = Field(description="where each post is POSTed as signed JSON")
    max_length: int = Field(default=10_000, ge=1, le=100_000, description="the receiver's limit, in characters")


def _long_secret(value: SecretStr) -> SecretStr:
    if len(value.get_secret_value()) < 16:
        raise ValueError("must be at least 16 characters: it signs every request")
    return value


class WebhookCredentials(_Strict):
    secret: Annotated[SecretStr, Field(max_length=1024), AfterValidator(_long_secret)] = Field(
        description="signs every request (HMAC-SHA256); at least 16 characters"
    )


@dataclass(frozen=True)
class PlatformSpec:
    settings: type[BaseModel]
    # None: the platform takes no credentials (the sandbox).
    credentials: type[BaseModel] | None
    # The platform's limits differ per server (a Mastodon instance's own), so they are read from it: when
    # the channel is tested, and by the worker before a brand check when never read or a day old.
    live_limits: bool = False


SPECS: dict[str, PlatformSpec] = {
    "sandbox": PlatformSpec(SandboxSettings, None),
    "mastodon": PlatformSpec(MastodonSettings, MastodonCredentials, live_limits=True),
    "bluesky": PlatformSpec(BlueskySettings, BlueskyCredentials),
    "linkedin": PlatformSpec(LinkedInSettings, OAuth2Credentials),
    "x": PlatformSpec(XSettings, OAuth2Credentials),
    "threads": PlatformSpec(ThreadsSettings, GraphCredentials),
    "instagram": PlatformSpec(InstagramSettings, GraphCredentials),
    "facebook": PlatformSpec(FacebookSettings, GraphCredentials),
    "webhook": PlatformSpec(WebhookSettings, WebhookCredentials),
}

LIVE_LIMITS: tuple[str, ...] = tuple(name for name, spec in SPECS.items() if spec.live_limits)


class ConfigInvalid(Exception):
    """Settings or credentials that do not fit the platform; `errors` name each field (never its value)."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors))
        self.errors = errors


def _problems(where: str, err: ValidationError) -> ConfigInvalid:
    # Only location, message and type: pydantic's `input` could be a secret.
    return ConfigInvalid([{"loc": (where, *e["loc"]), "msg": e["msg"], "type": e["type"]} for e in err.errors()])


def validate_settings(platform: str, settings: Mapping[str, Any]) -> dict[str, Any]:
    """The platform's settings with defaults filled in, as stored (JSON-able)."""
    try:
        model = SPECS[platform].settings.model_validate(dict(settings))
    except ValidationError as err:
        raise _problems("settings", err) from None
    return model.model_dump(mode="json", exclude_none=True)


def validate_credentials(platform: str, credentials: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The secrets to seal, as plain values; None for a platform without credentials.

    A platform that needs credentials refuses None; the sandbox refuses any.
    """
    spec = SPECS[platform].credentials
    if spec is None:
        if credentials is not None:  # even {}: the OpenAPI says credentials are a platform's, never empty
            raise ConfigInvalid(
                [{"loc": ("credentials",), "msg": f"{platform} channels take no credentials", "type": "extra"}]
            )
        return None
    if credentials is None:
        raise ConfigInvalid(
            [{"loc": ("credentials",), "msg": f"{platform} channels need credentials", "type": "missing"}]
        )
    try:
        model = spec.model_validate(dict(credentials))
    except ValidationError as err:
        raise _problems("credentials", err) from None
    return plain_secrets(model)


def plain_secrets(model: BaseModel) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, SecretStr):
            values[name] = value.get_secret_value()
        elif isinstance(value, datetime):
            values[name] = value.isoformat()
        elif value is not None:
            values[name] = value
    return values


def token_expiry(secrets: Mapping[str, Any] | None) -> datetime | None:
    raw = secrets.get("expires_at") if secrets else None
    return datetime.fromisoformat(raw) if isinstance(raw, str) else None


def build_adapter(
    client: httpx.AsyncClient,
    platform: str,
    channel_id: str,
    settings: Mapping[str, Any],
    secrets: Mapping[str, Any] | None,
    *,
    sandbox_url: str,
) -> PlatformAdapter:
    """The adapter for one channel over the shared client; settings and secrets are validated again here."""
    config = {**validate_settings(platform, settings)}
    given = dict(secrets or {})
    given.pop("expires_at", None)
    if platform == "sandbox":
        return SandboxChannel(client, config.get("base_url") or sandbox_url, channel_id)
    if platform == "mastodon":
        return MastodonAdapter(client, MastodonConfig(**config, **given))
    if platform == "bluesky":
        return BlueskyAdapter(client, BlueskyConfig(**config, **given))
    if platform == "linkedin":
        return LinkedInAdapter(client, LinkedInConfig(**config, **given))
    if platform == "x":
        return XAdapter(client, XConfig(**config, **given))
    if platform == "threads":
        return ThreadsAdapter(client, ThreadsConfig(**config, **given))
    if platform == "instagram":
        return InstagramAdapter(client, InstagramConfig(**config, **given))
    if platform == "facebook":
        return FacebookPageAdapter(client, FacebookPageConfig(**config, page_access_token=given["access_token"]))
    if platform == "webhook":
        return WebhookAdapter(client, WebhookConfig(**config, **given))
    raise ValueError(f"unknown platform {platform!r}; one of {', '.join(PLATFORMS)}")
