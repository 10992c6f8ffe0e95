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


class Finding(DomainFinding):
    """One problem in a post: the domain's finding plus Vale's `action`, immutable once made.

    `start`/`end` are offsets into the checked text (Python string indexes, `end` exclusive); `line` and
    `column` are 1-based and count characters (code points), as Vale does. `replacement` is the first
    suggestion, when the rule has one.
    """

    model_config = ConfigDict(frozen=True)

    action: Action = Action()

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
        object.__setattr__(finding, "__dict__", {**fields, "channel_id": None})  # a default, as validation leaves it
        object.__setattr__(finding, "__pydantic_fields_set__", set(fields))
        object.__setattr__(finding, "__pydantic_extra__", None)
        object.__setattr__(finding, "__pydantic_private__", None)
        return finding

    def to_domain(self) -> DomainFinding:
        return DomainFinding(**self.model_dump(exclude={"action"}))

    @classmethod
    def from_domain(cls, finding: DomainFinding, text: str | None = None) -> Finding:
        """Lift a stored finding; with the text it was found in, its line and column are restored."""
        fields = finding.model_dump()
        if text is not None:
            fields["line"], fields["column"] = line_and_column(text, finding.start)
        return cls(**fields)


def line_and_column(text: str, offset: int) -> tuple[int, int]:
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


def blocks_approval(findings: Iterable[Finding]) -> bool:
    """Any error-level finding blocks approval; warnings and suggestions do not."""
    return any(finding.level is FindingLevel.ERROR for finding in findings)
