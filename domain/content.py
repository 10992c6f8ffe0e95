"""Revision content and its hash: what an approver signs is exactly what gets published."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

MAX_TEXT_LENGTH = 20_000


def normalised(text: str) -> str:
    """Post text in Unicode NFC: "café" typed as e + combining accent is the same post as "café", for the
    brand rules (which match composed text) and for the content hash an approver signs."""
    return unicodedata.normalize("NFC", text)


PostText = Annotated[str, AfterValidator(normalised), Field(min_length=1, max_length=MAX_TEXT_LENGTH)]


class MediaRef(BaseModel):
    """A picture or video a variant carries: where to fetch it and the alt text people rely on."""

    url: str = Field(min_length=1, max_length=2000, pattern=r"^https?://")
    alt_text: str = Field(default="", max_length=1500)
    mime_type: str | None = Field(default=None, max_length=100)


class Variant(BaseModel):
    """What one channel gets instead of the post's base text (and its media)."""

    channel_id: str = Field(min_length=1, max_length=64)
    text: PostText | None = Field(default=None, description="the channel's own text; none = the base text")
    media: list[MediaRef] = Field(default=[], max_length=10)


class RevisionContent(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_TEXT_LENGTH)
    variants: list[Variant] = []

    def canonical_json(self) -> str:
        # Sorted keys, no whitespace, raw UTF-8: the same content always gives the same bytes. A revision
        # without variants hashes as it did before variants existed, so stored hashes stay valid.
        data = self.model_dump(mode="json", exclude_defaults=False)
        if not self.variants:
            del data["variants"]
        else:
            data["variants"] = sorted(data["variants"], key=lambda v: v["channel_id"])
        return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    def content_hash(self) -> str:
        return "sha256:" + hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()


def content_hash(text: str, variants: list[Variant] | None = None) -> str:
    """The hash an approver signs: the base text and every channel's variant, text and media alike."""
    return RevisionContent(text=text, variants=variants or []).content_hash()
