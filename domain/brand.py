"""Brand-check findings: what the check reports on one revision for one channel."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel


class FindingLevel(StrEnum):
    SUGGESTION = "suggestion"
    WARNING = "warning"
    ERROR = "error"


class Finding(BaseModel):
    rule: str
    level: FindingLevel
    message: str
    match: str = ""
    start: int = 0
    end: int = 0

    @property
    def blocks_approval(self) -> bool:
        return self.level is FindingLevel.ERROR


class BrandRules(BaseModel):
    """The rules the skeleton checks: the channel's length limit and the workspace's banned words."""

    max_length: int
    banned_words: list[str] = []
