"""Vale's `spelling` check with Hunspell dictionaries, read by spylls (a pure-Python Hunspell).

    extends: spelling
    message: "Did you really mean '%s'?"
    dictionaries: [id_ID]        # default: en_US; with `append: true` these come after en_US
    filters: ['[pP]y.*\\b']      # words matching any of these are not checked
    ignore: [brand-words.txt]    # word lists: config/ignore/<file> in the style, one word a line
    custom: false                # true: drop Vale's default filters (below)

As Vale documents (https://vale.sh/docs/checks/spelling): a word is reported when no dictionary knows it,
no filter matches it, it is in no `ignore` list and it is no accepted vocabulary term (`vocab: true`, the
default). Unless `custom: true`, Vale's default filters skip mixed-case words (`MongoDB`), words in capitals
(`NASA`) and words with anything but ASCII letters, `_` and `'` (numbers, `café`). `%s` is the word.

Choices a post asks for: dictionaries are found by name in `$DICPATH` (as Vale reads it) and then in
/usr/share/hunspell, where Debian's packages put them (`hunspell-en-us`, `hunspell-id`); a stored style
never names server paths, so `dicpath` is accepted for Vale styles but dictionaries are still looked up by
name only. Each misspelt occurrence is reported at its own position (Vale reports the first occurrence's
position for every repeat). Words inside links, @mentions and #hashtags are not checked. Suggestions are not
computed (they take a tenth of a second each).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import regex

from brand.checks import Check, format_message
from brand.definitions import RuleDefinition
from brand.document import Document
from brand.findings import Finding
from brand.patterns import PatternError, UserPattern, compile_pattern

SYSTEM_DICTIONARIES = Path("/usr/share/hunspell")
DEFAULT_DICTIONARY = "en_US"
DEBIAN_PACKAGES = {"en_US": "hunspell-en-us", "id_ID": "hunspell-id"}
# Vale's default filters, as its documentation lists them.
DEFAULT_FILTERS = (r"[A-Z]{1}[a-z]+[A-Z]+\w+", r"[A-Z]+$", r"[^a-zA-Z_']")
_NAME = regex.compile(r"[A-Za-z0-9_-]+")
_WORD = regex.compile(r"[\p{L}\p{M}\p{N}_'\u2019]+")
_QUOTES = "'\u2019"
_CACHE_LIMIT = 50_000


@dataclass(frozen=True, kw_only=True)
class SpellingDefinition(RuleDefinition):
    dictionaries: tuple[str, ...]
    dicpath: str
    filters: tuple[str, ...]
    ignore: tuple[str, ...]
    custom: bool
    append: bool


def parse_spelling(reader: Any, header: dict[str, Any]) -> SpellingDefinition:
    """Called by `definitions.parse_rule` for `extends: spelling`; problems go to the reader."""
    dictionaries = reader.strings("dictionaries")
    for name in dictionaries:
        if not _NAME.fullmatch(name):
            reader.problem(f"dictionary name {name!r} must be a name such as en_US, not a path")
    filters = reader.strings("filters")
    for pattern in filters:
        try:
            compile_pattern(pattern)
        except PatternError as exc:
            reader.problem(f"filter {pattern!r}: {exc}")
    return SpellingDefinition(
        **header,
        dictionaries=dictionaries,
        dicpath=reader.string("dicpath"),
        filters=filters,
        ignore=reader.strings("ignore"),
        custom=reader.flag("custom"),
        append=reader.flag("append"),
    )


def dictionary_folders() -> list[Path]:
    folders = [Path(part) for part in os.environ.get("DICPATH", "").split(os.pathsep) if part]
    return [*folders, SYSTEM_DICTIONARIES]


_dictionaries: dict[str, Any] = {}
_dictionaries_lock = threading.Lock()


def dictionary(name: str) -> Any:
    """A Hunspell dictionary by name, read once a process (en_US takes about half a second)."""
    with _dictionaries_lock:
        found = _dictionaries.get(name)
        if found is not None:
            return found
        from spylls.hunspell import Dictionary  # imported on first use: styles without spelling never pay

        base = next((folder / name for folder in dictionary_folders() if (folder / f"{name}.dic").is_file()), None)
        if base is None or not base.with_suffix(".aff").is_file():
            package = DEBIAN_PACKAGES.get(name, f"the Hunspell dictionary for {name}")
            where = ", ".join(map(str, dictionary_folders()))
            raise ValueError(
                f"spelling dictionary '{name}' is not installed (looked in {where}); install {package} "
                "(apt-get install) or name another dictionary"
            )
        found = _dictionaries[name] = Dictionary.from_files(str(base))
        return found


class Speller:
    """One or more Hunspell dictionaries; a word is correct when any of them knows it. Lookups are cached
    (a post's words repeat across posts far more than they vary)."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = tuple(names)
        self.dictionaries = [dictionary(name) for name in names]
        self._known: dict[str, bool] = {}
        self._lock = threading.Lock()

    def correct(self, word: str) -> bool:
        known = self._known.get(word)
        if known is None:
            known = any(dictionary.lookup(word) for dictionary in self.dictionaries)
            with self._lock:
                if len(self._known) >= _CACHE_LIMIT:
                    self._known.clear()
                self._known[word] = known
        return known


_spellers: dict[tuple[str, ...], Speller] = {}
_spellers_lock = threading.Lock()


def speller(names: Sequence[str]) -> Speller:
    """The shared speller for these dictionaries."""
    key = tuple(names)
    with _spellers_lock:
        found = _spellers.get(key)
        if found is None:
            found = _spellers[key] = Speller(key)
        return found


def _word_list(text: str) -> set[str]:
    return {line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")}


class SpellingCheck(Check):
    __slots__ = ("_verdicts", "exceptions", "filters", "ignored", "speller")

    def __init__(self, definition: SpellingDefinition, accepted: Sequence[str], word_lists: Mapping[str, str]) -> None:
        super().__init__(definition)
        names = list(definition.dictionaries) or [DEFAULT_DICTIONARY]
        if definition.dictionaries and definition.append:
            names.insert(0, DEFAULT_DICTIONARY)
        self.speller = speller(list(dict.fromkeys(names)))
        patterns = [*definition.filters, *(() if definition.custom else DEFAULT_FILTERS)]
        self.filters: list[UserPattern] = [compile_pattern(pattern) for pattern in patterns]
        self.ignored: set[str] = set()
        for name in definition.ignore:
            key = f"config/ignore/{name.removeprefix('config/ignore/')}"
            if key not in word_lists:
                raise ValueError(f"ignore file '{name}' is not in the style; add it as {key}")
            self.ignored |= _word_list(word_lists[key])
        vocabulary = [term for term in accepted if term] if definition.vocab else []
        # A word's verdict never changes for a compiled rule; posts repeat words, so it is kept (bounded).
        self._verdicts: dict[str, bool] = {}
        # Vale matches accepted terms against each word, ignoring case.
        self.exceptions: UserPattern | None = (
            compile_pattern("|".join(f"(?:{term})" for term in vocabulary), ignorecase=True) if vocabulary else None
        )

    def _fine(self, word: str) -> bool:
        """Whether a word is not reported: ignored, filtered, an accepted term, or in a dictionary."""
        return (
            word in self.ignored
            or word.lower() in self.ignored
            or any(pattern.search(word) for pattern in self.filters)
            or (self.exceptions is not None and self.exceptions.fullmatch(word) is not None)
            or self.speller.correct(word)
        )

    def run(self, doc: Document) -> list[Finding]:
        text = doc.text
        skipped = [(entity.start, entity.end) for entity in doc.entities()]
        found: list[Finding] = []
        for match in _WORD.finditer(text):
            start, end = match.span()
            # Apostrophes around a word are quotes, not part of it; Hunspell's ICONV makes U+2019 an apostrophe.
            while start < end and text[start] in _QUOTES:
                start += 1
            while end > start and text[end - 1] in _QUOTES:
                end -= 1
            if start == end or any(low <= start and end <= high for low, high in skipped):
                continue
            word = text[start:end].replace("\u2019", "'")
            fine = self._verdicts.get(word)
            if fine is None:
                fine = self._fine(word)
                if len(self._verdicts) >= _CACHE_LIMIT:
                    self._verdicts.clear()
                self._verdicts[word] = fine
            if fine:
                continue
            message = format_message(self.definition.message, text[start:end])
            found.append(doc.finding(self.id, self.level, message, start, end, action=self.fix.action))
        return found
