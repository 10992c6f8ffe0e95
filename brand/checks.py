"""Compiled Vale checks: each turns a rule definition into patterns once, then runs over many posts.

Semantics follow Vale's documentation; where Vale leaves a choice open the one made here is stated on the
class. Shared by all checks:

- `tokens` and swap keys are word-bounded (`patterns.WORD_BOUNDARY`) unless `nonword: true`.
- `exceptions` are case-sensitive regular expressions, as in Vale; a match is skipped when an exception is
  found, word-bounded, inside it (Vale's behaviour: exception "A/B" excuses the match "use A/B tests").
- With `vocab: true` (the default) the accepted vocabulary terms are exceptions too.
- `message` takes `%s` placeholders filled in order (Go's `fmt.Sprintf` without the other verbs).
"""

from __future__ import annotations

import operator
from collections.abc import Sequence

import regex

from brand.actions import Fix
from brand.definitions import (
    ConditionalDefinition,
    ConsistencyDefinition,
    ExistenceDefinition,
    OccurrenceDefinition,
    RepetitionDefinition,
    RuleDefinition,
    SubstitutionDefinition,
)
from brand.document import Document
from brand.findings import Action, Finding
from brand.patterns import (
    BoundedPattern,
    PatternError,
    UserPattern,
    alternation,
    compile_pattern,
    expand_template,
    word_bounded,
)
from brand.selection import TokenSelector
from brand.triggers import Triggers, char_triggers, token_triggers

_NON_SPACE_RUN = regex.compile(r"\[\^\\s[^\]\\\w\s]*\]\+|\\S\+")


def format_message(template: str, *args: str) -> str:
    if "%s" not in template:
        return template
    parts = template.split("%s")
    out = [parts[0]]
    for index, part in enumerate(parts[1:]):
        out.append(args[index] if index < len(args) else "")
        out.append(part)
    return "".join(out)


_REGEX_SYNTAX = regex.compile(r"[\\^$*+?{}\[\]|()]")


def _already(expected: str, observed: str, ignorecase: bool) -> bool:
    """Whether the matched text already is the suggestion: equal to plain text, or matched by a suggestion in
    regex syntax ("join|register for" included), ignoring case with `ignorecase` (see `SubstitutionCheck`)."""
    if _REGEX_SYNTAX.search(expected) is None:
        return expected == observed
    try:
        return compile_pattern(expected, ignorecase=ignorecase).fullmatch(observed) is not None
    except PatternError:
        return expected == observed


def to_sentence(options: Sequence[str]) -> str:
    """Vale's `ToSentence(words, "or")`: 'a'; 'a' or 'b'; 'a', 'b', or 'c'."""
    quoted = [f"'{option}'" for option in options]
    if len(quoted) <= 2:
        return " or ".join(quoted)
    return ", ".join([*quoted[:-1], f"or {quoted[-1]}"])


def unquote_first(message: str) -> str:
    """Vale's `convertMessage`: when the suggestions come quoted ('a' or 'b'), a message quoting both of its
    `%s` ("Use '%s' instead of '%s'.") loses the quotes around the first, so nothing is quoted twice."""
    for spec in ("'%s'", '"%s"'):
        if message.count(spec) == 2:
            message = message.replace(spec, "%s", 1)
    return message


def cap_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    r"""The span without the white space at its ends: a match of `(?:^|\s)word` is reported at the word, on its
    own line (Vale trims the observed text the same way)."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def exceptions_pattern(exceptions: Sequence[str]) -> BoundedPattern | None:
    if not exceptions:
        return None
    # Longest first, so an alternation prefers "Acme Cloud" to "Acme" (Vale sorts them the same way).
    ordered = sorted(dict.fromkeys(exceptions), key=len, reverse=True)
    return BoundedPattern(alternation(ordered))


class Check:
    """A compiled rule. `triggers` (see `brand.triggers`) say which posts it can match; None: every post."""

    __slots__ = ("definition", "fix", "id", "level", "triggers")

    def __init__(self, definition: RuleDefinition) -> None:
        self.definition = definition
        self.id = definition.id
        self.level = definition.level
        self.fix = Fix(definition.action)
        self.triggers: Triggers | None = None

    def run(self, doc: Document) -> list[Finding]:
        raise NotImplementedError

    def _excused(self, exceptions: BoundedPattern | None, doc: Document, observed: str) -> bool:
        return exceptions is not None and exceptions.pick(doc.unspaced).search(observed) is not None


class ExistenceCheck(Check):
    """`tokens` become `\\b(?:t1|t2)\\b`; `raw` entries are concatenated and put before the tokens, or after
    them with `append: true`; the message's `%s` is the match."""

    __slots__ = ("exceptions", "pattern", "selector")

    def __init__(self, definition: ExistenceDefinition, accepted: Sequence[str]) -> None:
        super().__init__(definition)
        raw = "".join(definition.raw)
        bounded = bool(definition.tokens) and not definition.nonword
        ignorecase = definition.ignorecase
        self.selector: TokenSelector | None = None
        if not raw:
            self.selector = TokenSelector(
                definition.tokens,
                lambda tokens: BoundedPattern(alternation(tokens), ignorecase=ignorecase, bounded=bounded),
                start_bounded=bounded,
                end_bounded=bounded,
            )
            self.pattern = self.selector.full
            self.triggers = self.selector.triggers
        else:
            # Vale puts `raw` before the word-bounded tokens, or after them with `append`.
            tokens = alternation(definition.tokens)
            parts = [word_bounded(tokens) if bounded else f"(?:{tokens})"] if tokens else []
            parts.insert(len(parts) if definition.append else 0, raw)
            self.pattern = BoundedPattern("".join(parts), ignorecase=ignorecase, bounded=False)
            if tokens and definition.append:
                self.triggers = token_triggers(definition.tokens, start_bounded=bounded, end_bounded=bounded)
        if self.triggers is None:
            self.triggers = char_triggers(self.pattern.plain.pattern, ignorecase=ignorecase)
        vocabulary = accepted if definition.vocab else ()
        self.exceptions = exceptions_pattern([*definition.exceptions, *vocabulary])

    def run(self, doc: Document) -> list[Finding]:
        if self.selector is not None:
            scan = self.selector.pattern(doc, self.selector.indexes(doc))
            if scan is None:
                return []
        else:
            scan = self.pattern.pick(doc.unspaced)
        found: list[Finding] = []
        text = doc.text
        for match in scan.finditer(text):
            start, end = match.span()
            observed = match.group(0)
            if observed[:1].isspace() or observed[-1:].isspace():
                start, end = trimmed(text, start, end)
                observed = text[start:end]
            if start == end or doc.masked(start, end) or self._excused(self.exceptions, doc, observed):
                continue
            replacement = self.fix.replacement(observed)
            # As Vale's makeAlert: with an action, a second `%s` is the fix.
            fix = replacement if replacement is not None else observed
            message = format_message(self.definition.message, observed, fix)
            found.append(
                doc.finding(self.id, self.level, message, start, end, replacement=replacement, action=self.fix.action)
            )
        return found


class SubstitutionCheck(Check):
    """`swap` keys (regular expressions, longest first) are matched; the value is the suggestion, with `$1`
    groups expanded and "a|b" meaning several. A match that already is a suggestion is fine: a plain-text
    suggestion must equal it exactly (so `ignorecase: true` with `javascript: JavaScript` flags "Javascript",
    as Vale does), a suggestion written as a regular expression must match it (ignoring case with
    `ignorecase`). One `%s` in the message is the suggestion, a second one the match."""

    __slots__ = ("exceptions", "expected", "keys", "selector")

    def __init__(self, definition: SubstitutionDefinition, accepted: Sequence[str]) -> None:
        super().__init__(definition)
        pairs = sorted(definition.swap, key=lambda pair: len(pair[0]), reverse=True)
        # One scan without named groups (which would slow every scan down); the key behind a match is then
        # the first, in the same order, that matches exactly the matched text.
        bounded = not definition.nonword
        ignorecase = definition.ignorecase
        self.selector = TokenSelector(
            [key for key, _ in pairs],
            lambda keys: BoundedPattern(alternation(keys), ignorecase=ignorecase, bounded=bounded),
            start_bounded=bounded,
            end_bounded=bounded,
        )
        self.keys = [compile_pattern(key, ignorecase=ignorecase) for key, _ in pairs]
        self.expected = [expected for _, expected in pairs]
        vocabulary = accepted if definition.vocab else ()
        self.exceptions = exceptions_pattern([*definition.exceptions, *vocabulary])
        self.triggers = self.selector.triggers or char_triggers(
            alternation(key for key, _ in pairs), ignorecase=ignorecase
        )

    def run(self, doc: Document) -> list[Finding]:
        found: list[Finding] = []
        definition = self.definition
        assert isinstance(definition, SubstitutionDefinition)
        indexes = self.selector.indexes(doc)
        scan = self.selector.pattern(doc, indexes)
        if scan is None:
            return []
        text = doc.text
        for match in scan.finditer(text):
            start, end = found_start, found_end = match.span()
            if start < end and (text[start].isspace() or text[end - 1].isspace()):
                start, end = trimmed(text, start, end)
            if start == end or doc.masked(start, end):
                continue
            # The key behind the match: the first, in the scan's order, matching here to the same end (a key's
            # lookahead may look past the match, so it is not matched against the match alone).
            own, index = next(
                (
                    (exact, i)
                    for i in indexes
                    if (exact := self.keys[i].match(text, found_start)) is not None and exact.end() == found_end
                ),
                (None, indexes[0]),
            )
            observed = text[start:end]
            expected = self.expected[index]
            if own is not None and "$" in expected:
                expected = expand_template(expected, own)
            if _already(expected, observed, definition.ignorecase) or self._excused(self.exceptions, doc, observed):
                continue
            capitalized = definition.capitalize and observed == cap_first(observed)
            action = self.fix.action
            template = definition.message
            if self.fix.name == "replace" and not self.fix.params:
                # As Vale: the suggestions are the value split at '|', quoted in the message ('a' or 'b').
                options = [cap_first(option) if capitalized else option for option in expected.split("|")]
                shown = to_sentence(options)
                template = unquote_first(template)
                action = Action.model_construct(name=action.name, params=options)
            else:
                # Without that action Vale shows the value as written, "a|b" included.
                shown = cap_first(expected) if capitalized else expected
                options = shown.split("|")
                if any(_REGEX_SYNTAX.search(option) for option in options):
                    options = [shown]
            message = format_message(template, shown, observed)
            replacement = None if _REGEX_SYNTAX.search(options[0]) else options[0]
            found.append(doc.finding(self.id, self.level, message, start, end, replacement=replacement, action=action))
        return found


class OccurrenceCheck(Check):
    """Counts `token` (not word-bounded, as in Vale) in each unit of `scope` (see `Document.units`); more than
    `max` or fewer than `min` flags the whole unit, with the count as the message's `%s`."""

    __slots__ = ("pattern",)

    def __init__(self, definition: OccurrenceDefinition) -> None:
        super().__init__(definition)
        self.pattern = compile_pattern(f"(?:{definition.token})", ignorecase=definition.ignorecase)
        if not definition.min:
            # Only too many can be wrong, and a post without the token has none.
            self.triggers = char_triggers(definition.token, ignorecase=definition.ignorecase)

    def run(self, doc: Document) -> list[Finding]:
        definition = self.definition
        assert isinstance(definition, OccurrenceDefinition)
        found: list[Finding] = []
        for start, end in doc.units(definition.scope):
            count = len(self.pattern.findall(doc.text, start, end))
            if (definition.max and count > definition.max) or (definition.min and count < definition.min):
                spans = [found.span() for found in self.pattern.finditer(doc.text, start, end)]
                # As Vale: reported at the first match that is not blank (at the unit's start when none).
                at = next(((a, b) for a, b in spans if doc.text[a:b].strip()), None if spans else (start, start))
                if at is None:
                    continue
                message = format_message(definition.message, str(count))
                found.append(doc.finding(self.id, self.level, message, *at, action=self.fix.action))
        return found


class RepetitionCheck(Check):
    """Flags a token match equal to the match before it (ignoring case with `ignorecase`), when only spaces
    separate the two ("the the"). `alpha: true` considers only matches made of letters. The span covers
    both; `%s` is the repeated text. Vale compares consecutive matches without looking between them; the
    whitespace condition keeps "the cat sat on the mat" quiet with a token list such as `the`."""

    __slots__ = ("exceptions", "pairs", "pattern", "whole_words")

    def __init__(self, definition: RepetitionDefinition, accepted: Sequence[str]) -> None:
        super().__init__(definition)
        self.pattern = compile_pattern(f"(?:{alternation(definition.tokens)})", ignorecase=definition.ignorecase)
        # Plain-text tokens: a repeat is one of them twice with only spaces between, which one search finds.
        self.pairs: UserPattern | None = None
        if not any(_REGEX_SYNTAX.search(token) for token in definition.tokens):
            doubled = "|".join(f"{regex.escape(token)}\\s*{regex.escape(token)}" for token in definition.tokens)
            self.pairs = compile_pattern(doubled, ignorecase=definition.ignorecase)
        vocabulary = accepted if definition.vocab else ()
        self.exceptions = exceptions_pattern([*definition.exceptions, *vocabulary])
        # Vale.Repetition's shape: `alpha` and one token that is a run of anything but spaces and some
        # punctuation. Its matches made of letters are then whole words, so a repeat needs two equal words
        # in a row in `Document.word_list` (outside unspaced scripts, whose characters are words alone).
        token = definition.tokens[0] if len(definition.tokens) == 1 else ""
        self.whole_words = definition.alpha and _NON_SPACE_RUN.fullmatch(token) is not None

    def run(self, doc: Document) -> list[Finding]:
        definition = self.definition
        assert isinstance(definition, RepetitionDefinition)
        text = doc.text
        if self.whole_words and not doc.unspaced:
            words = doc.word_list()
            if not any(map(operator.eq, words, words[1:])):
                return []
        if self.pairs is not None and self.pairs.search(text) is None:
            return []
        # Cheap test first: most posts repeat nothing, and `findall` runs in C.
        tokens = self.pattern.findall(text)
        folded = [token.casefold() for token in tokens] if definition.ignorecase else tokens
        if not any(map(operator.eq, folded, folded[1:])):
            return []
        found: list[Finding] = []
        previous: tuple[int, int, str] | None = None
        count = 0
        for match in self.pattern.finditer(text):
            start, end = match.span()
            current = match.group(0).strip()
            if not current or (definition.alpha and not current.isalpha()):
                previous = None
                continue
            key = current.casefold() if definition.ignorecase else current
            gap = text[previous[1] : start] if previous is not None else "x"
            if previous is not None and previous[2] == key and not gap.strip() and "\n" not in gap:
                count += 1
                if count > definition.max and not self._excused(self.exceptions, doc, current):
                    message = format_message(definition.message, current)
                    found.append(doc.finding(self.id, self.level, message, previous[0], end, action=self.fix.action))
                    count = 0
            else:
                count = 0
            previous = (start, end, key)
        return found


class ConsistencyCheck(Check):
    """For each `either` pair, as Vale (check/consistency.go): once both forms have occurred in the document
    (in this block or an earlier one), a block holding a form gets one finding, at its last match, with `%s`
    that text; the replacement is the form seen first in the document when the flagged text is the other."""

    __slots__ = ("pairs",)

    def __init__(self, definition: ConsistencyDefinition) -> None:
        super().__init__(definition)
        bounded = not definition.nonword
        self.pairs = [
            BoundedPattern(f"(?P<a>{first})|(?P<b>{second})", ignorecase=definition.ignorecase, bounded=bounded)
            for first, second in definition.either
        ]
        sides = [side for pair in definition.either for side in pair]
        self.triggers = token_triggers(sides, start_bounded=bounded, end_bounded=bounded)

    def run(self, doc: Document) -> list[Finding]:
        found: list[Finding] = []
        # The forms seen so far in the whole document, by pair: [first side seen, its text, sides seen].
        seen: dict[int, list[object]] = doc.memo(self.id)
        for index, pattern in enumerate(self.pairs):
            scan = pattern.pick(doc.unspaced).finditer(doc.text)
            matches = [match for match in scan if match.end() > match.start() and not doc.masked(*match.span())]
            if not matches:
                continue
            state = seen.setdefault(index, ["a" if matches[0].start("a") >= 0 else "b", matches[0].group(0), set()])
            sides = state[2]
            assert isinstance(sides, set)
            sides.update("a" if match.start("a") >= 0 else "b" for match in matches)
            if len(sides) < 2:
                continue
            last = matches[-1]
            first_side, first_text = state[0], state[1]
            assert isinstance(first_side, str) and isinstance(first_text, str)
            replacement = None if last.start(first_side) >= 0 else first_text
            message = format_message(self.definition.message, last.group(0))
            found.append(
                doc.finding(self.id, self.level, message, *last.span(), replacement=replacement, action=self.fix.action)
            )
        return found


class ConditionalCheck(Check):
    """Every match of `first` (its first group, or the whole match) must also be captured by some match of
    `second` anywhere in the post ("WHO" needs "World Health Organization (WHO)"); `%s` is the value."""

    __slots__ = ("exceptions", "first", "second")

    def __init__(self, definition: ConditionalDefinition, accepted: Sequence[str]) -> None:
        super().__init__(definition)
        self.first = compile_pattern(definition.first, ignorecase=definition.ignorecase)
        self.second = compile_pattern(definition.second, ignorecase=definition.ignorecase)
        vocabulary = accepted if definition.vocab else ()
        self.exceptions = exceptions_pattern([*definition.exceptions, *vocabulary])

    def run(self, doc: Document) -> list[Finding]:
        text = doc.text
        group = 1 if self.first.groups else 0
        candidates = []
        for match in self.first.finditer(text):
            value = match.group(group)
            start, end = match.span(group)
            if value and not doc.masked(start, end) and not self._excused(self.exceptions, doc, value):
                candidates.append((value, start, end))
        if not candidates:
            return []
        defined: set[str] = set()
        for match in self.second.finditer(text):
            groups = [found for found in match.groups() if found]
            defined.update(groups or [match.group(0)])
        message = self.definition.message
        return [
            doc.finding(self.id, self.level, format_message(message, value), start, end, action=self.fix.action)
            for value, start, end in candidates
            if value not in defined
        ]
