"""One post being checked: its text, the pieces rules look at (sentences, paragraphs), and positions.

Everything beyond the text is computed on first use and kept, so a rule that needs sentences pays for the
split once per post however many rules ask.

Sentences in a post end at '.', '!', '?', '…' (and runs of them, with closing quotes or brackets) followed by
a space or the end, at the ideographic full stop and the fullwidth '!' and '?' whatever follows, and at
every line break: posts use line breaks where prose uses full stops. A full stop after a common
abbreviation ("Mr.", "e.g.", "dll.") does not end a sentence; one inside a URL or a number is not followed
by a space and never does.
"""

from __future__ import annotations

from bisect import bisect_right
from functools import lru_cache
from typing import Any

import regex

from brand.entities import Entity, find_entities
from brand.findings import Action, Finding, FindingLevel
from brand.markdown import Block, markdown_prose
from brand.patterns import has_unspaced
from brand.triggers import text_words

_BREAK = regex.compile(r"[.!?…‼⁉]+[\"'\u2019\u201d)\]]*(?=\s|$)|[。\uff01\uff1f]+|\n")
# In a Markdown paragraph a line break is soft (a space once rendered): it does not end a sentence.
_SOFT_BREAK = regex.compile(r"[.!?…‼⁉]+[\"'\u2019\u201d)\]]*(?=\s|$)|[。\uff01\uff1f]+")
_BLANK_LINE = regex.compile(r"\n[^\S\n]*\n\s*")
_ABBREVIATION = regex.compile(
    r"(?i)(?:^|\W)(?:mr|mrs|ms|dr|prof|st|vs|etc|e\.g|i\.e|inc|ltd|jr|sr|no|jl|dll|dsb|dst|bpk|yth|tgl)$"
)
_NO_ACTION = Action()


Selectors = tuple[tuple[tuple[frozenset[str], bool], ...], ...]
# The blocks of a post (plain text): Vale's plain-text blocks, with the `.txt` extension's section.
_PLAIN_KINDS = (("text", "txt"), ("paragraph", "txt"), ("sentence", "txt"), ("summary", "txt"), ("raw", "txt"))


@lru_cache(maxsize=4096)
def selectors(scope: tuple[str, ...]) -> Selectors:
    """Vale's `scope` (check/scope.go): any entry may match; an entry is parts joined by `&`, all of which must
    match; a part is dot-separated sections, negated by a leading `~`."""
    entries = []
    for entry in scope:
        parts = []
        for part in entry.split("&"):
            part = part.strip()
            parts.append((frozenset(section.strip() for section in part.lstrip("~").split(".")), part.startswith("~")))
        entries.append(tuple(parts))
    return tuple(entries)


def scope_matches(wanted: Selectors, kind: tuple[str, ...]) -> bool:
    """Whether a block of `kind` (its sections, such as text.heading.h1.md) is in scope. A part matches when the
    block has all its sections; a negated part when it has not all of them, and never a `raw` or `summary`
    block, as in Vale."""
    sections = frozenset(kind)
    sized = "raw" in sections or "summary" in sections
    for parts in wanted:
        for needed, negated in parts:
            inside = needed <= sections
            if (negated and (inside or sized)) or (not negated and not inside):
                break
        else:
            return True
    return False


@lru_cache(maxsize=4096)
def _plain_kinds(scope: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    wanted = selectors(scope)
    return tuple(kind for kind in _PLAIN_KINDS if scope_matches(wanted, kind))


def whole_post(scope: tuple[str, ...]) -> bool:
    """Whether a rule of `scope` runs on the whole of a post and nothing else (`scope: text`, the default)."""
    return _plain_kinds(scope) == (("text", "txt"),)


class Document:
    __slots__ = (
        "_base",
        "_blocks",
        "_entities",
        "_line_starts",
        "_masks",
        "_memo",
        "_origin",
        "_paragraphs",
        "_parent",
        "_scoped",
        "_sentences",
        "_units",
        "_views",
        "_word_list",
        "_words",
        "markdown",
        "source",
        "text",
        "unspaced",
    )

    def __init__(self, text: str, *, markdown: bool = False, unspaced: bool | None = None) -> None:
        """`text` as a post (plain text), or with `markdown` a Markdown document: rules then see its prose
        (`brand.markdown`) and findings point into the text as written."""
        self.source = text
        self.markdown = markdown
        self._origin: list[int] | None = None
        self._blocks: list[Block] | None = None
        if markdown:
            text, self._origin, self._blocks = markdown_prose(text)
        self._memo: dict[str, Any] | None = None
        self._parent: Document | None = None
        self._base = 0
        self._scoped: dict[tuple[str, ...], list[Document] | None] = {}
        self._views: dict[tuple[int, int], Document] = {}
        self.text = text
        # Whether the text has characters of scripts written without spaces (see `patterns.WORD_BOUNDARY`).
        self.unspaced = has_unspaced(text) if unspaced is None else unspaced
        self._entities: list[Entity] | None = None
        self._masks: list[tuple[int, int]] | None = None
        self._units: dict[tuple[str, ...], list[tuple[int, int]]] = {}
        self._word_list: list[str] | None = None
        self._words: set[str] | None = None
        self._line_starts: list[int] | None = None
        self._sentences: list[tuple[int, int]] | None = None
        self._paragraphs: list[tuple[int, int]] | None = None

    def entities(self) -> list[Entity]:
        """Links, mentions and hashtags (`entities.find_entities`)."""
        if self._entities is None:
            self._entities = find_entities(self.text)
        return self._entities

    def word_list(self) -> list[str]:
        """The case-folded words in order (`triggers.text_words`)."""
        if self._word_list is None:
            self._word_list = text_words(self.text, self.unspaced)
        return self._word_list

    def words(self) -> set[str]:
        """The case-folded words that decide which rules and tokens can match (`brand.triggers`)."""
        if self._words is None:
            self._words = set(self.word_list())
        return self._words

    def masked(self, start: int, end: int) -> bool:
        """Whether a match lies wholly inside a link or an @mention: those are addresses, not prose (Vale's
        default `text` scope leaves URLs out too), so "acme" in "acme.com/x" is not a misspelt brand."""
        if self._masks is None:
            self._masks = [(entity.start, entity.end) for entity in self.entities() if entity.kind != "hashtag"]
        return any(low <= start and end <= high for low, high in self._masks)

    def sentences(self) -> list[tuple[int, int]]:
        if self._sentences is None:
            self._sentences = self._split_sentences(0, len(self.text), _BREAK)
        return self._sentences

    def _split_sentences(self, first: int, last: int, breaks: regex.Pattern[str]) -> list[tuple[int, int]]:
        spans: list[tuple[int, int]] = []
        start = first
        text = self.text
        for found in breaks.finditer(text, first, last):
            stop = found.start()
            if found.group(0).startswith(".") and _ABBREVIATION.search(text, max(0, stop - 6), stop):
                continue
            end = found.start() if found.group(0) == "\n" else found.end()
            self._add_trimmed(spans, start, end)
            start = found.end()
        self._add_trimmed(spans, start, last)
        return spans

    def paragraphs(self) -> list[tuple[int, int]]:
        if self._paragraphs is None:
            spans: list[tuple[int, int]] = []
            start = 0
            for found in _BLANK_LINE.finditer(self.text):
                self._add_trimmed(spans, start, found.start())
                start = found.end()
            self._add_trimmed(spans, start, len(self.text))
            self._paragraphs = spans
        return self._paragraphs

    def units(self, scope: tuple[str, ...]) -> list[tuple[int, int]]:
        """The spans a per-unit rule (occurrence, capitalization) counts in: the whole block it runs on (the
        block is already the rule's scope, see `scoped`)."""
        units = self._units.get(scope)
        if units is None:
            units = [(0, len(self.text))] if self.text.strip() else []
            self._units[scope] = units
        return units

    def scoped(self, scope: tuple[str, ...]) -> list[Document] | None:
        """The blocks a rule of `scope` runs on, as documents of their own whose findings point into this one;
        None when that is this whole post (the common `scope: text` of a post, run without a copy).

        A post (plain text) has Vale's plain-text blocks: `text` (the whole post), each `paragraph`, each
        `sentence` (and `summary`, `raw`: the whole post); headings, lists, tables, `alt` do not exist in it,
        so rules scoped to them never fire. A Markdown document has the blocks of `brand.markdown`: each
        paragraph gives `paragraph`, its sentences and `text`; headings, list items, quotes and table cells
        are `text` blocks too; `raw` is the source with its markup."""
        if scope in self._scoped:
            return self._scoped[scope]
        views: list[Document] | None
        if self._blocks is None:
            kinds = _plain_kinds(scope)
            if kinds == (("text", "txt"),) and self._parent is None:
                views = None
            else:
                spans: list[tuple[int, int]] = []
                for kind in kinds:
                    if kind[0] in ("text", "summary", "raw"):
                        spans.append((0, len(self.text)))
                    elif kind[0] == "paragraph":
                        spans.extend(self.paragraphs())
                    else:
                        spans.extend(self.sentences())
                views = [self.view(start, end) for start, end in spans if self.text[start:end].strip()]
        else:
            views = self._markdown_views(selectors(scope))
        self._scoped[scope] = views
        return views

    def _markdown_views(self, wanted: Selectors) -> list[Document]:
        assert self._blocks is not None
        views: list[Document] = []
        for kind, start, end in self._blocks:
            if kind[0] == "paragraph":
                if scope_matches(wanted, kind):
                    views.append(self.view(start, end))
                if scope_matches(wanted, ("sentence", "md")):
                    views.extend(self.view(a, b) for a, b in self._split_sentences(start, end, _SOFT_BREAK))
                if scope_matches(wanted, ("text", "md")):
                    views.append(self.view(start, end))
            elif scope_matches(wanted, kind):
                views.append(self.view(start, end))
        if scope_matches(wanted, ("summary", "md")):
            views.append(self.view(0, len(self.text)))
        if scope_matches(wanted, ("raw", "md")):
            views.append(Document(self.source))
        return views

    def memo(self, key: str) -> Any:
        """A dict kept for the whole document (shared by its blocks), for checks whose state spans blocks."""
        root = self
        while root._parent is not None:
            root = root._parent
        if root._memo is None:
            root._memo = {}
        return root._memo.setdefault(key, {})

    def view(self, start: int, end: int) -> Document:
        """The text [start, end) as a document of its own; its findings are this document's."""
        key = (start, end)
        view = self._views.get(key)
        if view is None:
            text = self.text[start:end]
            view = Document(text, unspaced=self.unspaced and has_unspaced(text))
            view._parent = self
            view._base = start
            self._views[key] = view
        return view

    def _add_trimmed(self, spans: list[tuple[int, int]], start: int, end: int) -> None:
        text = self.text
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            spans.append((start, end))

    def position(self, offset: int) -> tuple[int, int]:
        """1-based line and column (in characters) of an offset in the text as written (`source`)."""
        if self._line_starts is None:
            starts = [0]
            find = self.source.find
            at = find("\n")
            while at >= 0:
                starts.append(at + 1)
                at = find("\n", at + 1)
            self._line_starts = starts
        line = bisect_right(self._line_starts, offset)
        return line, offset - self._line_starts[line - 1] + 1

    def finding(
        self,
        rule: str,
        level: FindingLevel,
        message: str,
        start: int,
        end: int,
        *,
        replacement: str | None = None,
        action: Action = _NO_ACTION,
    ) -> Finding:
        if self._parent is not None:
            base = self._base
            return self._parent.finding(
                rule, level, message, start + base, end + base, replacement=replacement, action=action
            )
        match = self.text[start:end]
        if self._origin is not None:
            origin = self._origin
            start, end = origin[start], (origin[end - 1] + 1 if end > start else origin[start])
        line, column = self.position(start)
        return Finding.trusted(
            rule=rule,
            level=level,
            message=message,
            match=match,
            start=start,
            end=end,
            line=line,
            column=column,
            replacement=replacement,
            action=action,
        )
