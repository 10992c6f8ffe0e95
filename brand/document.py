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

import regex

from brand.entities import Entity, find_entities
from brand.findings import Action, Finding, FindingLevel
from brand.patterns import has_unspaced
from brand.triggers import text_words

_BREAK = regex.compile(r"[.!?…‼⁉]+[\"'\u2019\u201d)\]]*(?=\s|$)|[。\uff01\uff1f]+|\n")
_BLANK_LINE = regex.compile(r"\n[^\S\n]*\n\s*")
_ABBREVIATION = regex.compile(
    r"(?i)(?:^|\W)(?:mr|mrs|ms|dr|prof|st|vs|etc|e\.g|i\.e|inc|ltd|jr|sr|no|jl|dll|dsb|dst|bpk|yth|tgl)$"
)
_NO_ACTION = Action()


class Document:
    __slots__ = (
        "_entities",
        "_line_starts",
        "_masks",
        "_paragraphs",
        "_sentences",
        "_units",
        "_word_list",
        "_words",
        "text",
        "unspaced",
    )

    def __init__(self, text: str) -> None:
        self.text = text
        # Whether the text has characters of scripts written without spaces (see `patterns.WORD_BOUNDARY`).
        self.unspaced = has_unspaced(text)
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
            spans: list[tuple[int, int]] = []
            start = 0
            text = self.text
            for found in _BREAK.finditer(text):
                stop = found.start()
                if found.group(0).startswith(".") and _ABBREVIATION.search(text, max(0, stop - 6), stop):
                    continue
                end = found.start() if found.group(0) == "\n" else found.end()
                self._add_trimmed(spans, start, end)
                start = found.end()
            self._add_trimmed(spans, start, len(text))
            self._sentences = spans
        return self._sentences

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
        """The spans a per-unit rule (occurrence, capitalization) applies to for its `scope`.

        A post has no markup, so `sentence`, `heading` and `title` scopes mean each sentence (a post's lines
        play the part of headings), `paragraph` each paragraph, and anything else the whole post.
        """
        units = self._units.get(scope)
        if units is None:
            names = {part.split(".")[0].lstrip("~") for part in scope}
            if names & {"sentence", "heading", "title"}:
                units = self.sentences()
            elif "paragraph" in names:
                units = self.paragraphs()
            else:
                units = [(0, len(self.text))] if self.text.strip() else []
            self._units[scope] = units
        return units

    def _add_trimmed(self, spans: list[tuple[int, int]], start: int, end: int) -> None:
        text = self.text
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            spans.append((start, end))

    def position(self, offset: int) -> tuple[int, int]:
        """1-based line and column (in characters) of an offset."""
        if self._line_starts is None:
            starts = [0]
            find = self.text.find
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
        line, column = self.position(start)
        return Finding.trusted(
            rule=rule,
            level=level,
            message=message,
            match=self.text[start:end],
            start=start,
            end=end,
            line=line,
            column=column,
            replacement=replacement,
            action=action,
        )
