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
    line: int = 1
    column: int = 1
    replacement: str | None = None
    # Which channel's variant the finding is about (a post on several channels is checked per channel).
    channel_id: str | None = None

    @property
    def blocks_approval(self) -> bool:
        return self.level is FindingLevel.ERROR
