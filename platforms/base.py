"""What every platform adapter offers the publish and metrics activities.

Adapters talk HTTP through an `httpx.AsyncClient` they are given (one per worker, with its timeouts), to
a base URL from their configuration, so self-hosted instances and local doubles work the same way.
Every failure is raised as one of the typed errors in `platforms.errors`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from pydantic import AwareDatetime, BaseModel, Field, SecretStr, field_validator


class MediaRef(BaseModel):
    """An image or video to attach: where to fetch it, and the alt text people with screen readers get."""

    url: str
    mime_type: str = "image/jpeg"
    alt_text: str = ""


class Variant(BaseModel):
    """The text (and media) one channel publishes."""

    text: str = Field(min_length=1)
    media: list[MediaRef] = []


class PublishedPost(BaseModel):
    external_id: str
    url: str
    created_at: AwareDatetime

    @field_validator("created_at")
    @classmethod
    def _in_utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)


class PlatformMetrics(BaseModel):
    impressions: int = 0
    likes: int = 0
    shares: int = 0
    replies: int = 0


class TextLimits(BaseModel):
    """How long a post may be, as this platform counts it (the brand engine checks against it)."""

    max_length: int
    counting: str = Field(description="chars | graphemes | twitter-weighted | utf8-bytes")
    url_length: int | None = Field(default=None, description="every URL counts as this many, if the platform says so")
    max_media: int | None = Field(default=None, description="attachments one post takes, if the platform says")
    media_types: list[str] | None = Field(default=None, description="the MIME types it accepts, if it says")
    image_size_limit: int | None = Field(default=None, description="bytes an image may have, if it says")
    video_size_limit: int | None = Field(default=None, description="bytes a video may have, if it says")


class TokenSet(BaseModel):
    """OAuth2 tokens after a refresh; a platform that does not rotate refresh tokens sends none back."""

    access_token: SecretStr
    refresh_token: SecretStr | None = None
    expires_at: AwareDatetime | None = None


class PlatformAdapter(Protocol):
    platform: str
    # Whether an ambiguous publish can be settled with the idempotency key: `find_by_key` sees the earlier
    # attempt, or the platform (or receiver) replays a repeated key. Where False, a retry may post twice.
    reconciles_by_key: bool

    async def publish(self, variant: Variant, idempotency_key: str) -> PublishedPost: ...

    async def find_by_key(self, idempotency_key: str) -> PublishedPost | None:
        """The publication an earlier, possibly ambiguous attempt made with this key, if the platform has it."""
        ...

    async def delete(self, external_id: str) -> None: ...

    async def metrics(self, external_id: str) -> PlatformMetrics: ...

    async def limits(self) -> TextLimits: ...

    async def check_credentials(self) -> str:
        """Who the credentials act as (a handle, a page name), or the typed error the platform answers."""
        ...


class RefreshableAdapter(PlatformAdapter, Protocol):
    """An OAuth2 channel that can trade its refresh token for a new access token."""

    @property
    def can_refresh(self) -> bool: ...

    async def refresh(self) -> TokenSet: ...
