"""Vale rule files read into typed definitions, with every problem reported against its file.

A rule file is a YAML mapping. Header keys (all checks): `extends` and `message` (required), `level`
(suggestion, warning or error; default suggestion), `scope`, `link`, `description`, `limit` (at most this
many alerts from the rule per post), `action`, `vocab`. Each check adds its own keys; a key the check does
not know is an error, so a typo such as `ignorcase` is caught instead of silently doing nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.brand import FindingLevel

SUPPORTED: tuple[str, ...] = (
    "existence",
    "substitution",
    "occurrence",
    "repetition",
    "consistency",
    "conditional",
    "capitalization",
)
SUPPORTED += ("metric", "spelling")  # brand.metric, brand.spelling
UNSUPPORTED = {
    "readability": "it scores long-form prose; limit length with the Social.Length rule instead",
    "script": "it runs Tengo scripts, which postgate does not execute",
    "sequence": "it needs part-of-speech tagging, which postgate does not do",
}
HEADER_KEYS = {"extends", "message", "level", "scope", "link", "description", "limit", "action", "vocab"}
CHECK_KEYS = {
    "existence": {"tokens", "raw", "append", "ignorecase", "nonword", "exceptions"},
    "substitution": {"swap", "ignorecase", "nonword", "exceptions", "capitalize", "append"},
    "occurrence": {"token", "max", "min", "ignorecase"},
    "repetition": {"tokens", "ignorecase", "alpha", "max", "exceptions"},
    "consistency": {"either", "ignorecase", "nonword"},
    "conditional": {"first", "second", "ignorecase", "exceptions"},
    "capitalization": {"match", "style", "exceptions", "indicators", "threshold", "prefix"},
    "metric": {"formula", "condition"},
    "spelling": {"dictionaries", "dicpath", "filters", "ignore", "custom", "append"},
}
ACTION_NAMES = {"replace", "remove", "edit", "suggest", "convert"}
# Scopes Vale 3 accepts (its `allowedScopes`); each may be negated (`~code`) or combined (`heading & ~heading.h1`).
VALE_SCOPES = {
    "text",
    "heading",
    "table",
    "list",
    "paragraph",
    "sentence",
    "alt",
    "title",
    "blockquote",
    "summary",
    "raw",
    "figure",
}
# Vale 3 refuses these inline scopes ("no longer supported; use 'raw' instead"): skipped, not refused here.
DROPPED_SCOPES = {"code", "link", "strong", "emphasis"}


class SkippedRule(Exception):
    """A well-formed rule postgate does not run (a rule type it lacks, a scope Vale 3 dropped): the style still
    loads, and the rule is listed with `reason` wherever the style's rules are shown."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class StyleError(Exception):
    """A style that cannot be used. `problems` lists (file, what to fix); `str()` shows one per line."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("\n".join(f"{file}: {problem}" for file, problem in problems))


@dataclass(frozen=True)
class ActionDefinition:
    name: str
    params: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class RuleDefinition:
    id: str
    file: str
    extends: str
    message: str
    level: FindingLevel
    scope: tuple[str, ...]
    link: str
    description: str
    limit: int | None
    action: ActionDefinition | None
    vocab: bool
    ignorecase: bool = False


@dataclass(frozen=True, kw_only=True)
class ExistenceDefinition(RuleDefinition):
    tokens: tuple[str, ...]
    raw: tuple[str, ...]
    append: bool
    nonword: bool
    exceptions: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class SubstitutionDefinition(RuleDefinition):
    swap: tuple[tuple[str, str], ...]
    nonword: bool
    exceptions: tuple[str, ...]
    capitalize: bool


@dataclass(frozen=True, kw_only=True)
class OccurrenceDefinition(RuleDefinition):
    token: str
    max: int
    min: int


@dataclass(frozen=True, kw_only=True)
class RepetitionDefinition(RuleDefinition):
    tokens: tuple[str, ...]
    alpha: bool
    max: int
    exceptions: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class ConsistencyDefinition(RuleDefinition):
    either: tuple[tuple[str, str], ...]
    nonword: bool


@dataclass(frozen=True, kw_only=True)
class ConditionalDefinition(RuleDefinition):
    first: str
    second: str
    exceptions: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class CapitalizationDefinition(RuleDefinition):
    match: str
    style: str
    exceptions: tuple[str, ...]
    indicators: tuple[str, ...]
    threshold: float
    prefix: str


class _Reader:
    """Typed access to one rule mapping; problems are collected, not raised, so one load reports them all."""

    def __init__(self, raw: dict[str, Any], file: str, problems: list[tuple[str, str]]) -> None:
        self.raw = raw
        self.file = file
        self.problems = problems

    def problem(self, text: str) -> None:
        self.problems.append((self.file, text))

    def string(self, key: str, default: str = "", *, required: bool = False) -> str:
        if key not in self.raw or self.raw[key] is None:
            if required:
                self.problem(f"missing required key '{key}'")
            return default
        value = self.raw[key]
        if isinstance(value, bool | dict | list):
            self.problem(f"'{key}' must be a string, not {type(value).__name__}")
            return default
        return str(value)

    def flag(self, key: str, default: bool = False) -> bool:
        value = self.raw.get(key, default)
        if not isinstance(value, bool):
            self.problem(f"'{key}' must be true or false, not {value!r}")
            return default
        return value

    def integer(self, key: str, default: int = 0) -> int:
        value = self.raw.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.problem(f"'{key}' must be a whole number of 0 or more, not {value!r}")
            return default
        return value

    def number(self, key: str, default: float) -> float:
        value = self.raw.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.problem(f"'{key}' must be a number, not {value!r}")
            return default
        return float(value)

    def strings(self, key: str) -> tuple[str, ...]:
        value = self.raw.get(key)
        if value is None:
            return ()
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            return (str(value),)
        if not isinstance(value, list) or any(isinstance(item, dict | list) or item is None for item in value):
            self.problem(f"'{key}' must be a list of strings")
            return ()
        return tuple(str(item) for item in value)

    def pairs(self, key: str, *, required: bool) -> tuple[tuple[str, str], ...]:
        value = self.raw.get(key)
        if value is None:
            if required:
                self.problem(f"missing required key '{key}' (a mapping of 'observed: expected' pairs)")
            return ()
        if not isinstance(value, dict):
            self.problem(f"'{key}' must be a mapping of 'observed: expected' pairs")
            return ()
        pairs: list[tuple[str, str]] = []
        for observed, expected in value.items():
            if not isinstance(observed, str):
                self.problem(f"'{key}' key {observed!r} must be a string; quote it in the YAML")
                continue
            if isinstance(expected, dict | list):
                self.problem(f"'{key}' value for {observed!r} must be a string")
                continue
            pairs.append((observed, "" if expected is None else str(expected)))
        return tuple(pairs)


def _action(reader: _Reader) -> ActionDefinition | None:
    value = reader.raw.get("action")
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("name"), str):
        reader.problem("'action' must be a mapping with a 'name' (replace, remove, edit, convert or suggest)")
        return None
    name = value["name"]
    if name not in ACTION_NAMES:
        reader.problem(f"action name {name!r} is not one of {', '.join(sorted(ACTION_NAMES))}")
    params = value.get("params") or []
    if not isinstance(params, list):
        reader.problem("'action.params' must be a list of strings")
        params = []
    return ActionDefinition(name=name, params=tuple(str(param) for param in params))


def _level(reader: _Reader) -> FindingLevel:
    value = reader.string("level", "suggestion")
    try:
        return FindingLevel(value)
    except ValueError:
        reader.problem(f"level {value!r} is not one of suggestion, warning, error")
        return FindingLevel.SUGGESTION


def _scope(reader: _Reader) -> tuple[str, ...]:
    """Vale's `scope`: a list (or one string) of selectors; a part of an unknown scope is a broken rule, a part
    Vale 3 dropped (`link`, `code`...) makes the rule skipped."""
    scope = reader.strings("scope") or ("text",)
    for entry in scope:
        for part in entry.split("&"):
            name = part.strip().lstrip("~").split(".")[0]
            if name in DROPPED_SCOPES:
                raise SkippedRule(f"scope '{name}' is no longer supported by Vale 3 (use 'raw'); the rule never runs")
            if name not in VALE_SCOPES:
                reader.problem(f"'{name}' is not a valid scope; use one of {', '.join(sorted(VALE_SCOPES))}")
    return scope


def parse_rule(rule_id: str, file: str, raw: object, problems: list[tuple[str, str]]) -> RuleDefinition | None:
    """Read one rule mapping; on any problem, append it to `problems` and return None. A well-formed rule
    postgate does not run raises `SkippedRule` with the reason."""
    if not isinstance(raw, dict):
        problems.append((file, "a rule file must be a YAML mapping (extends: ..., message: ...)"))
        return None
    before = len(problems)
    reader = _Reader(raw, file, problems)
    extends = reader.string("extends", required=True)
    if extends in UNSUPPORTED:
        raise SkippedRule(f"rule type '{extends}' is not supported: {UNSUPPORTED[extends]}")
    if extends and extends not in SUPPORTED:
        reader.problem(f"unknown rule type '{extends}'; use one of {', '.join(SUPPORTED)}")
        return None
    if not extends:
        return None
    unknown = sorted(set(raw) - HEADER_KEYS - CHECK_KEYS[extends])
    if unknown:
        allowed = ", ".join(sorted(HEADER_KEYS | CHECK_KEYS[extends]))
        reader.problem(f"unknown key(s) {', '.join(map(repr, unknown))} for '{extends}'; allowed keys: {allowed}")
    scope = _scope(reader)
    limit = reader.integer("limit", 0) if "limit" in raw else None
    header: dict[str, Any] = {
        "id": rule_id,
        "file": file,
        "extends": extends,
        "message": reader.string("message", required=True),
        "level": _level(reader),
        "scope": scope,
        "link": reader.string("link"),
        "description": reader.string("description"),
        "limit": limit or None,
        "action": _action(reader),
        "vocab": reader.flag("vocab", True),
        "ignorecase": reader.flag("ignorecase"),
    }
    definition = _parse_check(extends, reader, header)
    return definition if len(problems) == before else None


def _parse_check(extends: str, reader: _Reader, header: dict[str, Any]) -> RuleDefinition:
    if extends in ("metric", "spelling"):
        # Their own modules hold them; imported here since they build on this one.
        from brand.metric import parse_metric
        from brand.spelling import parse_spelling

        return (parse_metric if extends == "metric" else parse_spelling)(reader, header)
    if extends == "existence":
        tokens, raw = reader.strings("tokens"), reader.strings("raw")
        if not tokens and not raw:
            reader.problem("an existence rule needs 'tokens' or 'raw'")
        return ExistenceDefinition(
            **header,
            tokens=tokens,
            raw=raw,
            append=reader.flag("append"),
            nonword=reader.flag("nonword"),
            exceptions=reader.strings("exceptions"),
        )
    if extends == "substitution":
        return SubstitutionDefinition(
            **header,
            swap=reader.pairs("swap", required=True),
            nonword=reader.flag("nonword"),
            exceptions=reader.strings("exceptions"),
            capitalize=reader.flag("capitalize"),
        )
    if extends == "occurrence":
        definition = OccurrenceDefinition(
            **header, token=reader.string("token", required=True), max=reader.integer("max"), min=reader.integer("min")
        )
        if not definition.max and not definition.min:
            reader.problem("an occurrence rule needs 'max' or 'min' greater than 0")
        return definition
    if extends == "repetition":
        tokens = reader.strings("tokens")
        if not tokens:
            reader.problem("missing required key 'tokens'")
        return RepetitionDefinition(
            **header,
            tokens=tokens,
            alpha=reader.flag("alpha"),
            max=reader.integer("max"),
            exceptions=reader.strings("exceptions"),
        )
    if extends == "consistency":
        either = reader.pairs("either", required=True)
        return ConsistencyDefinition(**header, either=either, nonword=reader.flag("nonword"))
    if extends == "conditional":
        return ConditionalDefinition(
            **header,
            first=reader.string("first", required=True),
            second=reader.string("second", required=True),
            exceptions=reader.strings("exceptions"),
        )
    style = reader.string("style", "AP")
    if style.lower() not in ("ap", "chicago"):
        reader.problem(f"style {style!r} is not AP or Chicago")
    threshold = reader.number("threshold", 0.8)
    if not 0 <= threshold <= 1:
        reader.problem(f"threshold {threshold} must be between 0 and 1")
    return CapitalizationDefinition(
        **header,
        match=reader.string("match", required=True),
        style=style.lower(),
        exceptions=reader.strings("exceptions"),
        indicators=reader.strings("indicators"),
        threshold=threshold,
        prefix=reader.string("prefix"),
    )
