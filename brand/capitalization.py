"""Vale's `capitalization` check, applied to each sentence of a post (see `Document.units`).

`match` is `$title`, `$sentence`, `$lower`, `$upper` or a regular expression the unit must contain.
Words are runs of letters (with inner apostrophes and hyphens); links, @mentions, #hashtags, numbers and
emoji are not words. A word is always right when it is an exception (or an accepted vocabulary term), all
capitals ("API", "UMKM", "I"), capitalised inside ("iPhone", "GitHub"), or in a script without case.

- `$sentence`: the first word (and the first after an `indicators` suffix such as ':') starts upper case,
  the others are lower case.
- `$title`: every word starts upper case except the small words of the `style` (AP: articles,
  conjunctions and prepositions of three letters or fewer; Chicago: articles, coordinating conjunctions
  and all prepositions), which are lower case unless first or last.
- `$sentence` and `$title` pass when at least `threshold` (default 0.8) of the words are right, as in Vale;
  `$lower` and `$upper` need every word right, and so does the first word of `$sentence` (Vale fails the
  unit at once when it is wrong).

The suggested replacement (action `replace`) is the unit rewritten in the expected case.
"""

from __future__ import annotations

from collections.abc import Sequence

import regex

from brand.checks import Check, exceptions_pattern, format_message
from brand.definitions import CapitalizationDefinition
from brand.document import Document
from brand.findings import Action, Finding
from brand.patterns import compile_pattern

# A word is not part of a mention, hashtag, path or query (nothing before it from "@#/.$?&="), nor a URL
# scheme or a domain label (not followed by "://" or ".x").
_WORD = regex.compile(r"(?<![\w@#\uff03$/.?&=])(?>\p{L}[\p{L}\p{M}\p{N}]*(?:['\u2019-][\p{L}\p{M}\p{N}]+)*)(?!:/|\.\w)")
# A capitalised word with only lower case after its first letter (the shape `_exempt_shape` does not cover).
_TITLED = regex.compile(
    r"(?<![\w@#\uff03$/.?&=])(?>\p{Lu}[\p{Ll}\p{M}\p{N}]*\p{Ll}[\p{Ll}\p{M}\p{N}]*(?:['\u2019-][\p{Ll}\p{M}\p{N}]+)*)"
    r"(?![\p{L}\p{M}\p{N}'\u2019-]|:/|\.\w)"
)
_AP_SMALL = frozenset("a an the and but for nor or so yet as at by in of off on per to up via vs".split())
_CHICAGO_SMALL = frozenset(
    """a an the and but for nor or as at by in of off on per to up via vs about above across after against
    along amid among around before behind below beneath beside besides between beyond despite down during
    except from inside into like near onto opposite out outside over past since than through throughout
    toward towards under underneath unlike until upon with within without""".split()
)
MATCH_STYLES = ("$title", "$sentence", "$lower", "$upper")


def _capitalised(word: str) -> str:
    return word[:1].upper() + word[1:]


def _exempt_shape(word: str) -> bool:
    """All capitals, capitals inside ("iPhone"), or no cased letters at all (scripts without case)."""
    return word.isupper() or any(char.isupper() for char in word[1:]) or word.lower() == word.upper()


class CapitalizationCheck(Check):
    __slots__ = ("exceptions", "pattern", "prefix", "small")

    def __init__(self, definition: CapitalizationDefinition, accepted: Sequence[str]) -> None:
        super().__init__(definition)
        if definition.match.startswith("$") and definition.match not in MATCH_STYLES:
            raise ValueError(f"match {definition.match!r} is not {', '.join(MATCH_STYLES)} or a pattern")
        self.pattern = None if definition.match in MATCH_STYLES else compile_pattern(definition.match)
        self.prefix = compile_pattern(definition.prefix) if definition.prefix else None
        vocabulary = accepted if definition.vocab else ()
        self.exceptions = exceptions_pattern([*definition.exceptions, *vocabulary])
        self.small = _CHICAGO_SMALL if definition.style == "chicago" else _AP_SMALL

    def run(self, doc: Document) -> list[Finding]:
        definition = self.definition
        assert isinstance(definition, CapitalizationDefinition)
        found: list[Finding] = []
        for whole, end in doc.units(definition.scope):
            # As Vale: a `prefix` at the start is left as it is; the message's first `%s` is the whole unit,
            # the second the expected text (the unit rewritten, or the pattern of a `match` pattern).
            start = whole
            if self.prefix is not None:
                lead = self.prefix.match(doc.text, start, end)
                if lead is not None:
                    start = lead.end()
            unit = doc.text[start:end]
            if not unit.strip() or self._plainly_right(unit):
                continue
            if self.pattern is not None:
                message = format_message(definition.message, doc.text[whole:end], definition.match)
                found.append(doc.finding(self.id, self.level, message, whole, end, action=self.fix.action))
                continue
            rewritten = self._suggestion(doc, start, end)
            if rewritten is None:
                continue
            suggestion = doc.text[whole:start] + rewritten
            message = format_message(definition.message, doc.text[whole:end], suggestion)
            start = whole
            action = self.fix.action
            if self.fix.name == "replace" and not self.fix.params:
                action = Action.model_construct(name=action.name, params=[suggestion])
            found.append(doc.finding(self.id, self.level, message, start, end, replacement=suggestion, action=action))
        return found

    def _plainly_right(self, unit: str) -> bool:
        """A cheap test that settles most units: True only when the full check would pass too."""
        definition = self.definition
        assert isinstance(definition, CapitalizationDefinition)
        match = definition.match
        if self.pattern is not None:
            return self.pattern.search(unit) is not None
        if match == "$lower":
            return unit == unit.lower()
        if match == "$upper":
            return unit == unit.upper()
        if match == "$sentence":
            first = _WORD.search(unit)
            return first is None or (not first.group(0)[:1].islower() and not _TITLED.search(unit, first.end()))
        return False

    def _suggestion(self, doc: Document, start: int, end: int) -> str | None:
        """The unit in the expected case, or None when it passes."""
        definition = self.definition
        assert isinstance(definition, CapitalizationDefinition)
        unit = doc.text[start:end]
        entities = [(e.start - start, e.end - start) for e in doc.entities() if e.start < end and e.end > start]
        exceptions = self.exceptions.pick(doc.unspaced).finditer(unit) if self.exceptions is not None else ()
        excused = [found.span() for found in exceptions]
        words = [
            (found, any(a < found.end() and found.start() < b for a, b in excused))
            for found in _WORD.finditer(unit)
            if not any(a < found.end() and found.start() < b for a, b in entities)
        ]
        if not words:
            return None
        right = 0
        pieces: list[str] = []
        cursor = 0
        for index, (found, exception) in enumerate(words):
            word = found.group(0)
            gap = unit[words[index - 1][0].end() : found.start()] if index else ""
            expected = word if exception else self._expected(word, index, len(words), gap)
            right += expected == word
            if index == 0 and expected != word and definition.match == "$sentence":
                # As Vale's `sentence`: a wrong first word fails the unit whatever the threshold.
                right = -len(words)
            pieces += [unit[cursor : found.start()], expected]
            cursor = found.end()
        pieces.append(unit[cursor:])
        exact = definition.match in ("$lower", "$upper")
        passed = right == len(words) if exact else right / len(words) >= definition.threshold
        return None if passed else "".join(pieces)

    def _expected(self, word: str, index: int, total: int, gap: str) -> str:
        definition = self.definition
        assert isinstance(definition, CapitalizationDefinition)
        match = definition.match
        if match == "$lower":
            return word.lower()
        if match == "$upper":
            return word.upper()
        if _exempt_shape(word):
            return word
        starts = index == 0 or any(gap.rstrip().endswith(indicator) for indicator in definition.indicators if indicator)
        if match == "$sentence":
            return _capitalised(word) if starts else word.lower()
        if starts or index == total - 1 or word.lower() not in self.small:
            return _capitalised(word)
        return word.lower()
