"""Scan a post only for the tokens of a rule that can occur in it.

A rule's tokens are one alternation. A token whose trigger words (see `brand.triggers`) are not in the post
cannot match anywhere in it, so it can be left out of the alternation without changing any match: the
alternation tries its branches in order at each position, and a branch that never matches never wins.
The smaller alternation is compiled on first need and kept; a word list scanned for the one word a post
contains runs about ten times faster than the whole list.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from brand.document import Document
from brand.patterns import BoundedPattern, UserPattern
from brand.triggers import KEY_LENGTH, Triggers, token_triggers

_CACHE_LIMIT = 256


class TokenSelector:
    __slots__ = ("_always", "_by_prefix", "_by_word", "_cache", "_lock", "build", "full", "tokens", "triggers")

    def __init__(
        self,
        tokens: Sequence[str],
        build: Callable[[Sequence[str]], BoundedPattern],
        *,
        start_bounded: bool,
        end_bounded: bool,
    ) -> None:
        self.tokens = tuple(tokens)
        self.build = build
        self.full = build(self.tokens)
        always: list[int] = []
        by_word: dict[str, list[int]] = {}
        by_prefix: dict[str, list[int]] = {}
        for index, token in enumerate(self.tokens):
            found = token_triggers([token], start_bounded=start_bounded, end_bounded=end_bounded)
            if found is None:
                always.append(index)
                continue
            for word in found.words:
                by_word.setdefault(word, []).append(index)
            for prefix in found.prefixes:
                by_prefix.setdefault(prefix, []).append(index)
        self._always = tuple(always)
        self._by_word = by_word
        self._by_prefix = by_prefix
        self._cache: dict[tuple[int, ...], BoundedPattern] = {}
        self._lock = threading.Lock()
        # The rule can only match posts that contain a trigger of one of its tokens, unless a token has none.
        self.triggers: Triggers | None = (
            None if always else Triggers(words=frozenset(by_word), prefixes=frozenset(by_prefix))
        )

    def indexes(self, doc: Document) -> tuple[int, ...]:
        """The tokens that can match `doc`, in their original order."""
        if not self._by_word and not self._by_prefix:
            return tuple(range(len(self.tokens)))
        chosen = set(self._always)
        words = doc.words()
        for word in self._by_word.keys() & words:
            chosen.update(self._by_word[word])
        if self._by_prefix:
            prefixes = {word[:KEY_LENGTH] for word in words}
            for prefix in self._by_prefix.keys() & prefixes:
                chosen.update(self._by_prefix[prefix])
        return tuple(sorted(chosen))

    def pattern(self, doc: Document, indexes: tuple[int, ...]) -> UserPattern | None:
        """The alternation of just these tokens (None when there are none), for this document's script."""
        if not indexes:
            return None
        if len(indexes) == len(self.tokens):
            return self.full.pick(doc.unspaced)
        compiled = self._cache.get(indexes)
        if compiled is None:
            compiled = self.build([self.tokens[index] for index in indexes])
            with self._lock:
                if len(self._cache) >= _CACHE_LIMIT:
                    self._cache.clear()
                self._cache[indexes] = compiled
        return compiled.pick(doc.unspaced)
