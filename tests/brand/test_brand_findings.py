"""Findings: conversion to and from `domain.brand.Finding`, approval blocking, and the fast constructor."""

from __future__ import annotations

from brand.engine import Finding, blocks_approval, check
from brand.findings import Action
from domain.brand import Finding as DomainFinding
from domain.brand import FindingLevel


def _finding(level: FindingLevel = FindingLevel.ERROR) -> Finding:
    return Finding(rule="Acme.Hype", level=level, message="m", match="epic", start=4, end=8, line=1, column=5)


def test_round_trip_through_the_domain_model() -> None:
    finding = _finding().model_copy(update={"replacement": "good"})
    stored = finding.to_domain()
    expected = DomainFinding(
        rule="Acme.Hype",
        level=FindingLevel.ERROR,
        message="m",
        match="epic",
        start=4,
        end=8,
        line=finding.line,
        column=finding.column,
        replacement="good",
    )
    assert stored == expected
    # With the text, line and column are worked out again; without it, the stored ones stand.
    lifted = Finding.from_domain(stored, "one\nnow epic")
    assert (lifted.line, lifted.column, lifted.replacement) == (2, 1, "good")
    assert Finding.from_domain(stored).column == finding.column


def test_any_error_blocks_approval() -> None:
    assert blocks_approval([_finding(FindingLevel.WARNING), _finding(FindingLevel.ERROR)])
    assert not blocks_approval([_finding(FindingLevel.WARNING), _finding(FindingLevel.SUGGESTION)])
    assert not blocks_approval([])
    assert _finding().blocks_approval


def test_trusted_construction_equals_validation() -> None:
    values = {
        "rule": "Social.Length", "level": FindingLevel.ERROR, "message": "m", "match": "x", "start": 1, "end": 2,
        "line": 1, "column": 2, "replacement": None, "action": Action(name="replace", params=["y"]),
    }  # fmt: skip
    fast = Finding.trusted(**values)  # type: ignore[arg-type]
    validated = Finding.model_validate(values)
    assert fast == validated
    assert fast.model_dump(mode="json") == validated.model_dump(mode="json")
    assert fast.model_copy(update={"match": "z"}).match == "z"
    assert fast.model_fields_set == validated.model_fields_set


def test_findings_serialise_for_the_activity_and_api() -> None:
    (finding,) = check("a" * 281, platform="x")
    dumped = finding.model_dump(mode="json")
    assert dumped["rule"] == "Social.Length"
    assert dumped["level"] == "error"
    assert Finding.model_validate(dumped) == finding
