"""What every platform adapter offers the publish and metrics activities.

Adapters talk HTTP through an `httpx.AsyncClient` they are given (one per worker, with its timeouts), to
a base URL from their configuration, so self-hosted instances and local doubles work the same way.
Every failure is raised as one of the typed errors in `platforms.errors`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from pydantic import AwareDatetime, BaseModel, Field, field_validator


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


class PlatformAdapter(Protocol):
    platform: str

    async def publish(self, variant: Variant, idempotency_key: str) -> PublishedPost: ...

    async def find_by_key(self, idempotency_key: str) -> PublishedPost | None:
        """The publication an earlier, possibly ambiguous attempt made with this key, if the platform has it."""
        ...

    async def delete(self, external_id: str) -> None: ...

    async def metrics(self, external_id: str) -> PlatformMetrics: ...

    async def limits(self) -> TextLimits: ...
