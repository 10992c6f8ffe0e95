"""What a post must contain for a rule to have any chance of matching it, read off the rule's patterns.

A style runs only the rules whose triggers a post contains (see `style.Style`); a rule whose patterns
yield no triggers runs on every post. Triggers are necessary conditions, never guesses, so skipping a rule
never loses a finding:

- words: a token `\\b(?:appears to be|arguably)\\b` can only match a text that has the word "appears" or
  "arguably" (case-folded). Of the words a token's literal text delimits on both sides, the longest is
  used ("number" for "a large number of": "a" would select almost every post).
- prefixes: `\\bseem(s)?\\b` only matches where a word starts with "see" (the first `KEY_LENGTH` letters).
- chars: a raw pattern such as `[!?]{2,}` or `\\d+\\s?%` needs one of '!', '?' or '%' somewhere.

The literal text a pattern starts with is found by a small reader of RE2 syntax that understands escapes,
character classes, groups, alternation, inline flags and quantifiers, and gives up (no triggers) on
anything else.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import regex

from brand.patterns import FLAGS_ONLY, UNSPACED_SCRIPTS

KEY_LENGTH = 3
_MAX_PREFIXES = 32
_MAX_CHARS = 8
_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f", "v": "\v"}
_LOOKAROUNDS = ("(?=", "(?!", "(?<=", "(?<!")
_GROUP_HEAD = regex.compile(r"\((?:\?(?:[a-zA-Z-]*:|P?<\w+>))?")
# Words as the index sees them: runs of word characters, each unspaced-script character on its own.
_WORDS = regex.compile(rf"[^\W{UNSPACED_SCRIPTS}]+|[{UNSPACED_SCRIPTS}]")
_PLAIN_WORDS = regex.compile(r"\w+")


@dataclass(frozen=True)
class Triggers:
    words: frozenset[str] = frozenset()
    prefixes: frozenset[str] = frozenset()
    chars: frozenset[str] = frozenset()

    def __or__(self, other: Triggers) -> Triggers:
        return Triggers(self.words | other.words, self.prefixes | other.prefixes, self.chars | other.chars)


def text_words(text: str, unspaced: bool) -> list[str]:
    """The case-folded words of a text in order, split the way `token_triggers` splits tokens; `unspaced`:
    whether the text has unspaced-script characters (`patterns.has_unspaced`)."""
    return (_WORDS if unspaced else _PLAIN_WORDS).findall(text.casefold())


def token_triggers(patterns: Iterable[str], *, start_bounded: bool = True, end_bounded: bool = True) -> Triggers | None:
    """Triggers of an alternation of tokens; `start_bounded`/`end_bounded`: whether the alternation is
    wrapped in word boundaries on that side (Vale's default, not with `nonword`)."""
    words: set[str] = set()
    prefixes: set[str] = set()
    for pattern in patterns:
        found = _prefixes(pattern)
        if found is None:
            return None
        for prefix, complete in found:
            key = _alternative_key(prefix.casefold(), start_bounded, complete and end_bounded)
            if key is None:
                return None
            (words if key[0] == "word" else prefixes).add(key[1])
    return Triggers(frozenset(words), frozenset(prefixes))


def char_triggers(pattern: str, *, ignorecase: bool) -> Triggers | None:
    """Characters one of which every match of `pattern` contains. Letters are not used when matching
    ignores case: full case folding lets 'ß' match "SS"."""
    ignorecase = ignorecase or "(?i" in pattern
    chars: set[str] = set()
    for alternative in _alternatives(pattern):
        found = _required(alternative, ignorecase)
        if not found:
            return None
        chars |= found
    return Triggers(chars=frozenset(chars))


def _alternative_key(prefix: str, start_bounded: bool, end_bounded: bool) -> tuple[str, str] | None:
    exact: list[str] = []
    partial: list[str] = []
    for word in _WORDS.finditer(prefix):
        # A word after one of the token's own non-word characters starts a word of the text, as does the
        # first one when the token is word-bounded; likewise at its end.
        starts = word.start() > 0 or start_bounded
        if starts and (word.end() < len(prefix) or end_bounded):
            exact.append(word.group(0))
        elif starts and len(word.group(0)) >= KEY_LENGTH:
            partial.append(word.group(0)[:KEY_LENGTH])
    if exact:
        return "word", max(exact, key=len)
    return ("prefix", partial[0]) if partial else None


def _structure(pattern: str, start: int = 0) -> Iterator[tuple[int, str, int]]:
    """Each character outside escapes and character classes, with the group depth after it."""
    depth = 0
    i = start
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if char == "[":
            i = _class_end(pattern, i)
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        yield i, char, depth
        i += 1


def _alternatives(pattern: str) -> list[str]:
    """Split at top-level '|' (outside groups, classes and escapes)."""
    parts: list[str] = []
    start = 0
    for i, char, depth in _structure(pattern):
        if char == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
    parts.append(pattern[start:])
    return parts


def _class_end(pattern: str, open_at: int) -> int:
    """Index after the ']' closing the class opened at `open_at` (a ']' first in the class is a member)."""
    i = open_at + 1
    if pattern.startswith("^", i):
        i += 1
    if pattern.startswith("]", i):
        i += 1
    while i < len(pattern):
        if pattern[i] == "\\":
            i += 2
            continue
        if pattern.startswith("[:", i):
            end = pattern.find(":]", i + 2)
            i = end + 2 if end >= 0 else i + 1
            continue
        if pattern[i] == "]":
            return i + 1
        i += 1
    return len(pattern)


def _closing_paren(pattern: str, open_at: int) -> int:
    for i, char, depth in _structure(pattern, open_at):
        if char == ")" and depth == 0:
            return i
    return -1


def _quantifier(pattern: str, at: int) -> tuple[bool, bool, int]:
    """(the preceding atom may be absent, it may repeat, index after the quantifier)."""
    if at >= len(pattern):
        return False, False, at
    char = pattern[at]
    if char in "?*+":
        end = at + 1 + (at + 1 < len(pattern) and pattern[at + 1] in "?+")
        return char != "+", True, end
    if char == "{":
        found = regex.match(r"\{(\d*)(?:,(\d*))?\}[?+]?", pattern[at:])
        if found:
            return int(found.group(1) or 0) == 0, True, at + found.end()
    return False, False, at


def _group(pattern: str, at: int) -> tuple[str | None, int]:
    """(the body of a consuming group at `at`, or None for a lookaround or an unreadable one; index after)."""
    close = _closing_paren(pattern, at)
    head = _GROUP_HEAD.match(pattern, at)
    if close < 0 or head is None or pattern.startswith(_LOOKAROUNDS, at):
        return None, (close + 1 if close >= 0 else len(pattern))
    return pattern[head.end() : close], close + 1


def _prefixes(pattern: str) -> list[tuple[str, bool]] | None:
    """Each literal text an alternative of `pattern` starts with, and whether it is the whole alternative."""
    result: list[tuple[str, bool]] = []
    for alternative in _alternatives(pattern):
        found = _sequence_prefixes(alternative)
        if found is None:
            return None
        result.extend(found)
        if len(result) > _MAX_PREFIXES:
            return None
    return result


def _sequence_prefixes(pattern: str) -> list[tuple[str, bool]] | None:
    current = [""]
    i = 0
    while i < len(pattern):
        char = pattern[i]
        pieces: list[tuple[str, bool]]
        if char == "(":
            flags = FLAGS_ONLY.match(pattern, i)
            if flags:
                i = flags.end()
                continue
            body, after = _group(pattern, i)
            inner = None if body is None else _prefixes(body)
            if inner is None:
                break
            pieces, i = inner, after
        elif char == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if nxt in _ESCAPES:
                pieces = [(_ESCAPES[nxt], True)]
            elif not nxt.isalnum():
                pieces = [(nxt, True)]
            else:
                break
            i += 2
        elif char in ".[]^$*+?{|)":
            break
        else:
            pieces = [(char, True)]
            i += 1
        optional, repeated, after = _quantifier(pattern, i)
        if optional:
            break
        current = [head + piece for head in current for piece, _ in pieces]
        if len(current) > _MAX_PREFIXES:
            return None
        if repeated or not all(done for _, done in pieces):
            return [(prefix, False) for prefix in current]
        i = after
    else:
        return [(prefix, True) for prefix in current]
    return [(prefix, False) for prefix in current]


def _class_members(body: str) -> set[str] | None:
    if body.startswith("^") or "[:" in body:
        return None
    members: set[str] = set()
    i = 0
    while i < len(body):
        char = body[i]
        if char == "\\":
            if i + 1 >= len(body) or body[i + 1].isalnum():
                return None
            i += 1
            char = body[i]
        if i + 2 < len(body) and body[i + 1] == "-":
            low, high = ord(char), ord(body[i + 2])
            if not 0 <= high - low <= _MAX_CHARS or body[i + 2] == "\\":
                return None
            members.update(chr(code) for code in range(low, high + 1))
            i += 3
            continue
        members.add(char)
        i += 1
    return members


def _required(pattern: str, ignorecase: bool) -> set[str] | None:
    """The characters of the first atom that every match of this sequence must contain, if any."""
    i = 0
    while i < len(pattern):
        char = pattern[i]
        atom: set[str] | None = None
        if char == "(":
            flags = FLAGS_ONLY.match(pattern, i)
            if flags:
                i = flags.end()
                continue
            body, i = _group(pattern, i)
            if body is not None:
                inner = [_required(alternative, ignorecase) for alternative in _alternatives(body)]
                atom = set().union(*inner) if all(inner) else None  # type: ignore[arg-type]
        elif char == "[":
            end = _class_end(pattern, i)
            atom = _class_members(pattern[i + 1 : end - 1])
            i = end
        elif char == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            atom = {_ESCAPES[nxt]} if nxt in _ESCAPES else (None if nxt.isalnum() else {nxt})
            i += 2
            if nxt in "pP" and pattern.startswith("{", i):
                i = pattern.find("}", i) + 1 or len(pattern)
        elif char in "*+?{":
            return None
        else:
            atom = None if char in ".^$" else {char}
            i += 1
        optional, _, i = _quantifier(pattern, i)
        if optional or not atom or len(atom) > _MAX_CHARS:
            continue
        if ignorecase and any(member.lower() != member.upper() for member in atom):
            continue
        return atom
    return None
