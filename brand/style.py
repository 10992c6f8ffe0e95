"""A compiled style: its checks, an index that picks the few that can match a post, and its version.

Most rules in real styles are word lists (existence, substitution, vocabularies). Running each rule's
regular expression over every post costs one scan per rule; instead each word-list rule is filed under
the first letters of the words its matches can start with (`patterns.trigger_keys`), the post's words are
looked up once, and only rules whose keys occur run. Rules whose patterns give no such keys (raw regular
expressions, `nonword`, occurrence, repetition, conditional, capitalization) run on every post. The index
only skips rules that cannot match, so findings are exactly those of running every rule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from brand.budget import check_spent, rule_budget
from brand.capitalization import CapitalizationCheck
from brand.checks import (
    Check,
    ConditionalCheck,
    ConsistencyCheck,
    ExistenceCheck,
    OccurrenceCheck,
    RepetitionCheck,
    SubstitutionCheck,
)
from brand.definitions import (
    CapitalizationDefinition,
    ConditionalDefinition,
    ConsistencyDefinition,
    ExistenceDefinition,
    OccurrenceDefinition,
    RepetitionDefinition,
    RuleDefinition,
    SubstitutionDefinition,
)
from brand.document import Document, whole_post
from brand.findings import Finding, FindingLevel
from brand.metric import MetricCheck, MetricDefinition
from brand.patterns import has_unspaced
from brand.spelling import SpellingCheck, SpellingDefinition
from brand.triggers import KEY_LENGTH, text_words


def build_check(
    definition: RuleDefinition, accepted: Sequence[str], word_lists: Mapping[str, str] | None = None
) -> Check:
    """Compile one definition; raises `PatternError`/`ValueError` with what is wrong. `word_lists` are the
    style's config/ignore files (spelling's `ignore`)."""
    if isinstance(definition, MetricDefinition):
        return MetricCheck(definition)
    if isinstance(definition, SpellingDefinition):
        return SpellingCheck(definition, accepted, word_lists or {})
    if isinstance(definition, ExistenceDefinition):
        return ExistenceCheck(definition, accepted)
    if isinstance(definition, SubstitutionDefinition):
        return SubstitutionCheck(definition, accepted)
    if isinstance(definition, OccurrenceDefinition):
        return OccurrenceCheck(definition)
    if isinstance(definition, RepetitionDefinition):
        return RepetitionCheck(definition, accepted)
    if isinstance(definition, ConsistencyDefinition):
        return ConsistencyCheck(definition)
    if isinstance(definition, ConditionalDefinition):
        return ConditionalCheck(definition, accepted)
    if isinstance(definition, CapitalizationDefinition):
        return CapitalizationCheck(definition, accepted)
    raise ValueError(f"no check for rule type '{definition.extends}'")


class Style:
    """Immutable once built; safe to share between threads and reuse for any number of posts."""

    __slots__ = (
        "_always",
        "_by_char",
        "_by_prefix",
        "_by_word",
        "_scoped",
        "accepted",
        "checks",
        "names",
        "rejected",
        "skipped",
        "version",
    )

    def __init__(
        self,
        *,
        names: tuple[str, ...],
        version: str,
        checks: Sequence[Check],
        accepted: Sequence[str] = (),
        rejected: Sequence[str] = (),
        skipped: Sequence[tuple[str, str, str]] = (),
    ) -> None:
        self.names = names
        self.version = version
        self.checks = tuple(checks)
        self.accepted = tuple(accepted)
        self.rejected = tuple(rejected)
        # Rules that loaded but do not run: (rule id, file, why), shown wherever the style's rules are.
        self.skipped = tuple(skipped)
        by_word: dict[str, set[int]] = {}
        by_prefix: dict[str, set[int]] = {}
        by_char: dict[str, set[int]] = {}
        always: list[int] = []
        for position, check in enumerate(self.checks):
            triggers = check.triggers
            if triggers is None:
                always.append(position)
                continue
            for index, keys in ((by_word, triggers.words), (by_prefix, triggers.prefixes), (by_char, triggers.chars)):
                for key in keys:
                    index.setdefault(key, set()).add(position)
        self._always = frozenset(always)
        # Rules that run on blocks of a post other than the whole of it (`scope` other than `text`).
        self._scoped = frozenset(
            position for position, check in enumerate(self.checks) if not whole_post(check.definition.scope)
        )
        self._by_word = {key: frozenset(positions) for key, positions in by_word.items()}
        self._by_prefix = {key: frozenset(positions) for key, positions in by_prefix.items()}
        self._by_char = {key: frozenset(positions) for key, positions in by_char.items()}

    @property
    def rule_ids(self) -> list[str]:
        return [check.id for check in self.checks]

    def skipped_warnings(self) -> list[str]:
        return [f"{file}: rule {rule} is skipped: {reason}" for rule, file, reason in self.skipped]

    def rule_details(self, rule_id: str) -> tuple[str, str]:
        """The `link` and `description` of a rule, for reports; empty for rules not in this style."""
        for check in self.checks:
            if check.id == rule_id:
                return check.definition.link, check.definition.description
        return "", ""

    def __repr__(self) -> str:
        return f"Style(names={self.names!r}, rules={len(self.checks)}, version={self.version[:12]!r})"

    def run(self, doc: Document) -> list[Finding]:
        """Findings of every rule (matches wholly inside a link or @mention are not prose: `Document.masked`)."""
        selected = set(self._always)
        text = doc.text
        words = doc.words()
        if doc.markdown:
            # A rule scoped `raw` reads the markup too: select on the words and characters of both.
            words = words | set(text_words(doc.source, doc.unspaced or has_unspaced(doc.source)))
            text = f"{text}\n{doc.source}"
        by_word, by_prefix = self._by_word, self._by_prefix
        for word in by_word.keys() & words:
            selected |= by_word[word]
        if by_prefix:
            for prefix in by_prefix.keys() & {word[:KEY_LENGTH] for word in words}:
                selected |= by_prefix[prefix]
        for char, positions in self._by_char.items():
            if char in text:
                selected |= positions
        found: list[Finding] = []
        skipped: list[str] = []
        markdown, scoped = doc.markdown, self._scoped
        for position in sorted(selected):
            check = self.checks[position]
            if check_spent():
                skipped.append(check.id)
                continue
            try:
                with rule_budget():
                    # The blocks of the rule's scope (`Document.scoped`); None: the whole post.
                    views = doc.scoped(check.definition.scope) if markdown or position in scoped else None
                    if views is None:
                        results = check.run(doc)
                    elif len(views) == 1:
                        results = check.run(views[0])
                    else:
                        results = [finding for view in views for finding in check.run(view)]
            except TimeoutError:
                found.append(timed_out(doc, check.id))
                continue
            limit = check.definition.limit
            found.extend(results[:limit] if limit else results)
        if skipped:
            found.append(check_timed_out(doc, skipped))
        return found


RULE_TIMED_OUT = "Postgate.RuleTimedOut"
CHECK_TIMED_OUT = "Postgate.CheckTimedOut"


def timed_out(doc: Document, rule_id: str) -> Finding:
    """A rule over its time budget: an error, since the post was not fully checked (docs/decisions.md)."""
    message = (
        f"Rule '{rule_id}' took too long on this text and was stopped, so the text is not fully checked. "
        "Ask an admin to simplify the rule's pattern, or reword the text."
    )
    return doc.finding(RULE_TIMED_OUT, FindingLevel.ERROR, message, 0, 0)


def check_timed_out(doc: Document, skipped: Sequence[str]) -> Finding:
    shown = ", ".join(skipped[:5]) + (f" and {len(skipped) - 5} more" if len(skipped) > 5 else "")
    message = (
        f"The brand check ran out of time before the rules {shown} could run, so the text is not fully "
        "checked. Ask an admin to simplify the style's slow rules, or shorten the text."
    )
    return doc.finding(CHECK_TIMED_OUT, FindingLevel.ERROR, message, 0, 0)
