"""Refuse obviously catastrophic patterns when a style is uploaded, before any post meets them.

Each of a rule's own patterns (and each vocabulary term) is searched in texts built to make a backtracking
engine blow up: long runs of the characters the pattern names, ended by one that fails the match
(`(a|a)+b` over "aaa...a!"). A normal pattern answers in microseconds; one that needs more than
`seconds` is tried again with `confirm_seconds` (a busy machine is not a slow pattern), and a pattern over
that too is refused. The probe finds the obvious cases only; the time budget of every check
(`brand.budget`) bounds the rest.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from brand.definitions import RuleDefinition
from brand.loading import rule_patterns
from brand.patterns import PatternError, compile_pattern
from brand.style import Style

PROBE_SECONDS = 0.05
CONFIRM_SECONDS = 1.0
_RUN = 30
_EXTRA = ("a", "1", " ", ".", "-", "_")
_ENDINGS = ("!", "\u2603")


def adversarial_texts(pattern: str) -> Iterator[str]:
    chars = [char for char in dict.fromkeys(pattern) if char.isalnum()][:12]
    chars += [char for char in _EXTRA if char not in chars]
    for char in chars:
        for ending in _ENDINGS:
            yield char * _RUN + ending
        yield (char + " ") * (_RUN // 2) + "!"
    mixed = "".join(char for char in chars if char.strip())
    yield (mixed * (_RUN // max(len(mixed), 1) + 1))[: _RUN * 2] + "!"


def slow_text(pattern: str, *, ignorecase: bool = False, seconds: float = PROBE_SECONDS) -> str | None:
    """A text on which `pattern` takes longer than `seconds` (confirmed), or None."""
    try:
        compiled = compile_pattern(pattern, ignorecase=ignorecase).compiled
    except PatternError:
        return None  # reported by the loader
    for text in adversarial_texts(pattern):
        try:
            compiled.search(text, timeout=seconds)
        except TimeoutError:
            try:
                compiled.search(text, timeout=CONFIRM_SECONDS)
            except TimeoutError:
                return text
    return None


def _described(text: str) -> str:
    return repr(text[:8] + "..." + text[-2:]) if len(text) > 12 else repr(text)


def _rule_definitions(style: Style) -> Iterable[RuleDefinition]:
    for check in style.checks:
        if check.definition.file != "config/vocabularies":  # probed term by term below
            yield check.definition


def probe_style(style: Style, *, seconds: float = PROBE_SECONDS) -> list[tuple[str, str]]:
    """(file, problem) for each pattern of the style that backtracks catastrophically."""
    problems: list[tuple[str, str]] = []
    for definition in _rule_definitions(style):
        patterns = rule_patterns(definition)
        if definition.action is not None and definition.action.params[:1] == ("regex",):
            patterns.append(definition.action.params[1])
        for pattern in dict.fromkeys(patterns):
            text = slow_text(pattern, ignorecase=definition.ignorecase, seconds=seconds)
            if text is not None:
                problems.append((definition.file, _slow(f"rule {definition.id}: its pattern", pattern, text)))
                break
    for term in dict.fromkeys([*style.accepted, *style.rejected]):
        text = slow_text(term, seconds=seconds)
        if text is not None:
            problems.append(("config/vocabularies", _slow("the vocabulary term", term, text)))
    return problems


def _slow(what: str, pattern: str, text: str) -> str:
    return (
        f"{what} {pattern!r} takes too long on a text like {_described(text)} (catastrophic backtracking: "
        "nested or overlapping repetition such as (a|a)+ or (a+)+); rewrite it without the nested repetition"
    )
