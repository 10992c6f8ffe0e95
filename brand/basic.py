"""The skeleton's rule set: the channel's length limit and the workspace's banned words.

The full Vale-compatible engine replaces this module's rules; the `check` signature stays.
"""

from __future__ import annotations

import re

from domain.brand import BrandRules, Finding, FindingLevel


def _banned_word_pattern(word: str) -> re.Pattern[str]:
    # \b is Unicode-aware for str patterns; lookarounds keep "ass" from matching inside "class".
    return re.compile(rf"(?<!\w){re.escape(word)}(?!\w)", re.IGNORECASE)


def check(text: str, rules: BrandRules) -> list[Finding]:
    findings: list[Finding] = []
    length = len(text)
    if length > rules.max_length:
        findings.append(
            Finding(
                rule="Social.Length",
                level=FindingLevel.ERROR,
                message=f"Post is {length} characters; this channel allows {rules.max_length}. "
                f"Shorten it by {length - rules.max_length}.",
                match=text[rules.max_length :][:40],
                start=rules.max_length,
                end=length,
            )
        )
    for word in rules.banned_words:
        if not word.strip():
            continue
        for found in _banned_word_pattern(word.strip()).finditer(text):
            findings.append(
                Finding(
                    rule="Brand.BannedWord",
                    level=FindingLevel.ERROR,
                    message=f"'{found.group(0)}' is on this workspace's banned-words list; reword it.",
                    match=found.group(0),
                    start=found.start(),
                    end=found.end(),
                )
            )
    return sorted(findings, key=lambda f: (f.start, f.rule))
