"""Vale vocabularies: `config/vocabularies/<Name>/accept.txt` and `reject.txt`, one term or regex a line.

Accepted terms (case-sensitive unless they start with `(?i)`) are exceptions for every rule with
`vocab: true`, and `Vale.Terms` flags any occurrence that matches a term ignoring case but not exactly
("Github" when "GitHub" is accepted). Rejected terms are flagged wherever they appear, by `Vale.Avoid`.
Both are errors, as in Vale. Lines that are empty or start with '#' are ignored.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import regex

from brand.checks import Check, ExistenceCheck, format_message
from brand.definitions import ExistenceDefinition, RuleDefinition
from brand.document import Document
from brand.findings import Action, Finding, FindingLevel
from brand.patterns import BoundedPattern, alternation, compile_pattern
from brand.selection import TokenSelector

_META = regex.compile(r"[\\.^$*+?{}\[\]|()]")
_HEADER: dict[str, Any] = {
    "file": "config/vocabularies",
    "scope": ("text",),
    "link": "",
    "description": "",
    "limit": None,
    "action": None,
    "vocab": False,
    "level": FindingLevel.ERROR,
}


def is_phrase(term: str) -> bool:
    """Vale's `IsPhrase`: letters, digits, spaces and hyphens only (no regular-expression syntax)."""
    return all(char.isalpha() or char.isdigit() or char in " -" for char in term)


def parse_terms(data: str) -> list[str]:
    return [line.strip() for line in data.splitlines() if line.strip() and not line.lstrip().startswith("#")]


class TermsCheck(Check):
    """Vale.Terms: accepted terms must keep their exact spelling and case."""

    __slots__ = ("entries", "folded", "selector", "spelled")

    def __init__(self, accepted: Sequence[str]) -> None:
        message = "Use '%s' instead of '%s'."
        super().__init__(RuleDefinition(id="Vale.Terms", extends="substitution", message=message, **_HEADER))
        # As Vale (`loadVocabRules`): only phrases (letters, digits, spaces, hyphens) are checked for their
        # spelling, each under its lower-case form; of terms equal ignoring case the last listed wins.
        by_key: dict[str, str] = {}
        for entry in accepted:
            if is_phrase(entry):
                by_key.pop(entry.lower(), None)
                by_key[entry.lower()] = entry
        self.entries = list(by_key.values())
        self.spelled = frozenset(self.entries)
        self.selector = TokenSelector(
            self.entries,
            lambda entries: BoundedPattern(alternation(entries), ignorecase=True),
            start_bounded=True,
            end_bounded=True,
        )
        self.folded = [compile_pattern(entry, ignorecase=True) for entry in self.entries]
        self.triggers = self.selector.triggers

    def run(self, doc: Document) -> list[Finding]:
        found: list[Finding] = []
        indexes = self.selector.indexes(doc)
        scan = self.selector.pattern(doc, indexes)
        if scan is None:
            return found
        for match in scan.finditer(doc.text):
            observed = match.group(0)
            if not observed or observed in self.spelled or doc.masked(*match.span()):
                continue
            start, end = match.span()
            entry = next(
                (self.entries[i] for i in indexes if self.folded[i].fullmatch(doc.text, start, end)),
                self.entries[indexes[0]],
            )
            if observed == entry:
                continue
            literal = _META.search(entry) is None
            message = format_message(self.definition.message, entry, observed)
            action = Action(name="replace", params=[entry]) if literal else Action()
            replacement = entry if literal else None
            found.append(doc.finding(self.id, self.level, message, start, end, replacement=replacement, action=action))
        return found


def avoid_check(rejected: Sequence[str]) -> Check:
    """Vale.Avoid: rejected terms, flagged wherever they appear."""
    definition = ExistenceDefinition(
        id="Vale.Avoid",
        extends="existence",
        message="Avoid using '%s'.",
        tokens=tuple(dict.fromkeys(rejected)),
        raw=(),
        append=False,
        nonword=False,
        exceptions=(),
        **_HEADER,
    )
    return ExistenceCheck(definition, ())
