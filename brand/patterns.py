"""Regular expressions for Vale rules: RE2/regexp2 syntax in, `regex` patterns out.

Vale compiles rules with Go's regexp2 (RE2 syntax plus lookarounds). The `regex` module understands almost
all of it, including inline flags in the middle of a pattern (`a(?i)b` scopes `(?i)` to the rest of the
group, as Go does), `\\p{Han}`, POSIX classes and `(?P<name>...)`. `translate` rewrites what it does not:

- `\\Q...\\E` literal spans become escaped text;
- the ungreedy flag `(?U)` and the byte escape `\\C` have no equivalent and are refused with a hint.

Word boundaries. Vale wraps `tokens` in `\\b(?:...)\\b`. A `\\b` alone never fires between two letters, so a
brand name inside Chinese or Japanese text ("我爱Acme产品") would not match, and one Han character could not
be matched on its own. `WORD_BOUNDARY` is `\\b` or the edge of a character from a script written without
spaces (Han, Hiragana, Katakana, Thai, Lao, Khmer, Myanmar): every such character counts as its own word.
`\\w` in `regex` includes combining marks, so decomposed accents and Indic vowel signs stay inside words.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import regex

from brand.budget import time_left

UNSPACED_SCRIPTS = r"\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}"
WORD_BOUNDARY = rf"(?:\b|(?<=[{UNSPACED_SCRIPTS}])|(?=[{UNSPACED_SCRIPTS}]))"

UNSPACED = regex.compile(rf"[{UNSPACED_SCRIPTS}]")
FLAGS_ONLY = regex.compile(r"\(\?[a-zA-Z]*(?:-[a-zA-Z]*)?\)")
_GO_TEMPLATE = regex.compile(r"\$(?:(\$)|\{(\w+)\}|(\w+))")


class PatternError(ValueError):
    """A pattern that cannot be compiled; the message says what is wrong and where."""


class UserPattern:
    """A compiled user pattern whose every call runs under the current time budget (`brand.budget`):
    the `regex` module's `timeout=` is the time left, and `TimeoutError` is raised past it."""

    __slots__ = ("compiled", "groups", "pattern")

    def __init__(self, compiled: regex.Pattern[str]) -> None:
        self.compiled = compiled
        self.pattern = compiled.pattern
        self.groups = compiled.groups

    def search(self, string: str, pos: int = 0, endpos: int | None = None) -> regex.Match[str] | None:
        return self.compiled.search(string, pos, endpos, timeout=time_left())

    def match(self, string: str, pos: int = 0, endpos: int | None = None) -> regex.Match[str] | None:
        return self.compiled.match(string, pos, endpos, timeout=time_left())

    def fullmatch(self, string: str, pos: int = 0, endpos: int | None = None) -> regex.Match[str] | None:
        return self.compiled.fullmatch(string, pos, endpos, timeout=time_left())

    def finditer(self, string: str, pos: int = 0, endpos: int | None = None) -> Iterator[regex.Match[str]]:
        # The timeout of `finditer` covers the whole iteration, from this call on.
        return self.compiled.finditer(string, pos, endpos, timeout=time_left())

    def findall(self, string: str, pos: int = 0, endpos: int | None = None) -> list[Any]:
        return self.compiled.findall(string, pos, endpos, timeout=time_left())

    def sub(self, repl: Callable[[regex.Match[str]], str] | str, string: str) -> str:
        return self.compiled.sub(repl, string, timeout=time_left())


def translate(pattern: str) -> str:
    """Rewrite the few RE2 constructs `regex` lacks; refuse those with no equivalent."""
    out: list[str] = []
    i = 0
    in_class = False
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if nxt == "Q" and not in_class:
                end = pattern.find("\\E", i + 2)
                literal = pattern[i + 2 :] if end < 0 else pattern[i + 2 : end]
                out.append(regex.escape(literal))
                i = len(pattern) if end < 0 else end + 2
                continue
            if nxt == "C":
                raise PatternError(f"'\\C' (any byte) at position {i} has no equivalent here; use '.' instead")
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            # A ']' right after '[' or '[^' is a literal member, not the end of the class.
            lead = 2 if pattern.startswith("[^", i) else 1
            if pattern.startswith("]", i + lead):
                out.append(pattern[i : i + lead + 1])
                i += lead + 1
                continue
        elif char == "(" and pattern.startswith("(?", i):
            flags = FLAGS_ONLY.match(pattern, i) or regex.match(r"\(\?[a-zA-Z-]*:", pattern[i:])
            if flags and "U" in flags.group(0):
                raise PatternError(
                    f"the ungreedy flag (?U) at position {i} is not supported; use lazy quantifiers (*?, +?) instead"
                )
        out.append(char)
        i += 1
    return "".join(out)


def compile_pattern(pattern: str, *, ignorecase: bool = False) -> UserPattern:
    """Compile a Vale (RE2) pattern; `PatternError` carries the engine's complaint."""
    flags = regex.IGNORECASE | regex.FULLCASE if ignorecase else 0
    try:
        return UserPattern(regex.compile(translate(pattern), flags | regex.MULTILINE))
    except regex.error as exc:
        raise PatternError(f"invalid regular expression {pattern!r}: {exc}") from None


def alternation(tokens: Iterable[str]) -> str:
    # A token with an inline flag such as "(?i)" gets its own group, so the flag does not leak into the
    # tokens after it (in "a|(?i)b|c" it would make "c" case-insensitive too, in Go as here).
    return "|".join(f"(?:{token})" if "(?" in token else token for token in tokens)


def word_bounded(body: str) -> str:
    return f"{WORD_BOUNDARY}(?:{body}){WORD_BOUNDARY}"


class BoundedPattern:
    """A pattern compiled twice: word-bounded with the full `WORD_BOUNDARY` for texts that contain
    unspaced-script characters, and with a plain `\\b` (several times faster to scan) for all other texts,
    where the two are equivalent. With `bounded=False` both are the bare pattern."""

    __slots__ = ("full", "plain")

    def __init__(self, body: str, *, ignorecase: bool = False, bounded: bool = True) -> None:
        if bounded:
            self.full = compile_pattern(word_bounded(body), ignorecase=ignorecase)
            self.plain = compile_pattern(rf"\b(?:{body})\b", ignorecase=ignorecase)
        else:
            self.full = self.plain = compile_pattern(f"(?:{body})", ignorecase=ignorecase)

    def pick(self, unspaced: bool) -> UserPattern:
        return self.full if unspaced else self.plain


# Every character of the scripts above lies in these ranges (a test checks it against the `regex` module's
# script data); a `re` search over ranges is several times faster than a script-property search, and most
# posts fail it, emoji included.
_MAYBE_UNSPACED = re.compile(
    "[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u19e0-\u19ff\u2e80-\u2fdf\u3000-\u9fff\ua9e0-\ua9ff"
    "\uaa60-\uaa7f\uf900-\ufaff\uff00-\uffef\U000116d0-\U000116ff\U00016fe0-\U00016fff\U0001aff0-\U0001b2ff"
    "\U0001f200-\U0001f2ff\U00020000-\U0003ffff]"
)


def has_unspaced(text: str) -> bool:
    return _MAYBE_UNSPACED.search(text) is not None and UNSPACED.search(text) is not None


def expand_template(template: str, match: regex.Match[str]) -> str:
    """Go's `Regexp.Expand`: `$1`, `${1}`, `$name`, `${name}`, `$$`; an unknown group expands to nothing."""

    def group(found: regex.Match[str]) -> str:
        if found.group(1):
            return "$"
        name = found.group(2) or found.group(3)
        try:
            key: int | str = int(name) if name.isdigit() else name
            return match.group(key) or ""
        except (IndexError, regex.error):
            return ""

    if "$" not in template:
        return template
    return _GO_TEMPLATE.sub(group, template)
