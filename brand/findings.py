"""What a check reports: a superset of `domain.brand.Finding` with its position and suggested fix."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict

from domain.brand import Finding as DomainFinding
from domain.brand import FindingLevel

__all__ = ["Action", "Finding", "FindingLevel", "blocks_approval"]


class Action(BaseModel):
    """Vale's `action`: how an editor could fix the match (`replace`, `remove`, `edit`, `suggest`)."""

    model_config = ConfigDict(frozen=True)

    name: str = ""
    params: list[str] = []


class Finding(BaseModel):
    """One problem in a post.

    `start`/`end` are offsets into the checked text (Python string indexes, `end` exclusive); `line` and
    `column` are 1-based and count characters (code points), as Vale does. `replacement` is the first
    suggestion, when the rule has one.
    """

    model_config = ConfigDict(frozen=True)

    rule: str
    level: FindingLevel
    message: str
    match: str = ""
    start: int = 0
    end: int = 0
    line: int = 1
    column: int = 1
    replacement: str | None = None
    action: Action = Action()

    @property
    def blocks_approval(self) -> bool:
        return self.level is FindingLevel.ERROR

    @classmethod
    def trusted(
        cls,
        *,
        rule: str,
        level: FindingLevel,
        message: str,
        match: str,
        start: int,
        end: int,
        line: int,
        column: int,
        replacement: str | None,
        action: Action,
    ) -> Finding:
        """Build from values the engine computed itself, every field given, without validation.

        `model_construct` does the same through a generic loop at three times the cost; checks create
        findings in their inner loops. A test keeps it equal to a validated instance.
        """
        finding = cls.__new__(cls)
        fields = {
            "rule": rule,
            "level": level,
            "message": message,
            "match": match,
            "start": start,
            "end": end,
            "line": line,
            "column": column,
            "replacement": replacement,
            "action": action,
        }
        object.__setattr__(finding, "__dict__", fields)
        object.__setattr__(finding, "__pydantic_fields_set__", set(fields))
        object.__setattr__(finding, "__pydantic_extra__", None)
        object.__setattr__(finding, "__pydantic_private__", None)
        return finding

    def to_domain(self) -> DomainFinding:
        return DomainFinding(
            rule=self.rule,
            level=self.level,
            message=self.message,
            match=self.match,
            start=self.start,
            end=self.end,
            line=self.line,
            column=self.column,
            replacement=self.replacement,
        )

    @classmethod
    def from_domain(cls, finding: DomainFinding, text: str | None = None) -> Finding:
        """Lift a stored finding; with the text it was found in, its line and column are restored."""
        line, column = (finding.line, finding.column) if text is None else line_and_column(text, finding.start)
        return cls(
            rule=finding.rule,
            level=finding.level,
            message=finding.message,
            match=finding.match,
            start=finding.start,
            end=finding.end,
            line=line,
            column=column,
            replacement=finding.replacement,
        )


def line_and_column(text: str, offset: int) -> tuple[int, int]:
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


def blocks_approval(findings: Iterable[Finding]) -> bool:
    """Any error-level finding blocks approval; warnings and suggestions do not."""
    return any(finding.level is FindingLevel.ERROR for finding in findings)
