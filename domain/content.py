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


class RevisionContent(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_TEXT_LENGTH)

    def canonical_json(self) -> str:
        # Sorted keys, no whitespace, raw UTF-8: the same content always gives the same bytes.
        return json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    def content_hash(self) -> str:
        return "sha256:" + hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()


def content_hash(text: str) -> str:
    return RevisionContent(text=text).content_hash()
