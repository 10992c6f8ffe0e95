"""Helpers for the brand-engine tests: build a one-rule style from YAML text and run it."""

from __future__ import annotations

from pathlib import Path

from brand.engine import Finding, SocialRules, Style, check, compile_style
from brand.social import AltTextRule, LengthRule

STYLES = Path(__file__).parent / "styles"
# Social rules that report nothing, so a test of a Vale rule sees that rule's findings only.
QUIET = SocialRules(length=LengthRule(enabled=False), alt_text=AltTextRule(required=False))


def rule_style(body: str, *, name: str = "Test.Rule", accept: str = "", reject: str = "") -> Style:
    style, rule = name.split(".")
    files = {f"{style}/{rule}.yml": body.encode()}
    if accept:
        files["config/vocabularies/Test/accept.txt"] = accept.encode()
    if reject:
        files["config/vocabularies/Test/reject.txt"] = reject.encode()
    return compile_style(files)


def findings_of(style: Style, text: str) -> list[Finding]:
    return check(text, style, QUIET)


def lint(body: str, text: str, **vocab: str) -> list[Finding]:
    """The findings of a one-rule style (`body` is the rule's YAML) on one text."""
    return findings_of(rule_style(body, **vocab), text)


def matches(found: list[Finding]) -> list[str]:
    return [finding.match for finding in found]
