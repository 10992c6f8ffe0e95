"""Post length as each platform counts it.

- X: weighted length of twitter-text v3. Text is NFC-normalised; every link counts 23; every emoji
  (a whole sequence: ZWJ families, skin tones, flags, keycaps, and text-style pictographs such as '©')
  counts 2; other code points count 1 in U+0000-U+10FF, U+2000-U+200D, U+2010-U+201F, U+2032-U+2037
  and 2 elsewhere (CJK, Hangul, '…', '€'). The limit is 280.
- Bluesky: 300 grapheme clusters and 3000 UTF-8 bytes, both enforced.
- Mastodon: grapheme clusters, every http(s) link counts 23 and a remote mention `@name@instance` counts as
  `@name`; the limit is the instance's (500 by default; both numbers configurable).
- Threads: 500 characters (code points) where an emoji counts its UTF-8 bytes, as Meta's API documents.
- LinkedIn (3000) and Instagram (2200): UTF-16 code units, as their composers count; an emoji counts 2.
  Neither documents its counting; this one never counts less than theirs.

Graphemes are extended grapheme clusters (UAX #29) from the `regex` module's `\\X`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import regex

from brand.entities import Entity, find_entities

X_URL_LENGTH = 23
X_LIMIT = 280

_GRAPHEME = regex.compile(r"\X")
_EMOJI = regex.compile(
    r"""[#*0-9]\uFE0F?\u20E3
      | \p{RI}\p{RI}
      | \p{Extended_Pictographic}[\uFE0E\uFE0F]?\p{EMod}?[\U000E0020-\U000E007F]*
        (?:\u200D\p{Extended_Pictographic}[\uFE0E\uFE0F]?\p{EMod}?)*""",
    regex.VERBOSE,
)
_HEAVY = regex.compile(r"[^\u0000-\u10FF\u2000-\u200D\u2010-\u201F\u2032-\u2037]")
_REMOTE_MENTION = regex.compile(r"(?<![\w@])(@\w+)@[\w.-]+\w")
# Below U+00A9 ('©', the first pictograph) every code point weighs 1 and none is part of an emoji.
_LIGHT_LIMIT = "\u00a9"


# Characters that can join a grapheme cluster with a neighbour (UAX #29 rules GB6-GB13); without any of
# them every code point is its own cluster, but for CR LF.
_JOINERS = regex.compile(
    r"[\p{GCB=Extend}\p{GCB=ZWJ}\p{GCB=Regional_Indicator}\p{GCB=Prepend}\p{GCB=SpacingMark}"
    r"\p{GCB=L}\p{GCB=V}\p{GCB=T}\p{GCB=LV}\p{GCB=LVT}]"
)


def graphemes(text: str, entities: Sequence[Entity] | None = None) -> int:
    if text.isascii() or _JOINERS.search(text) is None:
        return len(text) - text.count("\r\n")
    return len(_GRAPHEME.findall(text))


def utf8_bytes(text: str, entities: Sequence[Entity] | None = None) -> int:
    return len(text.encode("utf-8"))


def utf16_units(text: str, entities: Sequence[Entity] | None = None) -> int:
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def _link_spans(text: str, entities: Sequence[Entity] | None, *, scheme_only: bool = False) -> list[tuple[int, int]]:
    return [
        (entity.start, entity.end)
        for entity in (find_entities(text) if entities is None else entities)
        if entity.kind == "url" and (entity.has_scheme or not scheme_only)
    ]


def _weigh_plain(text: str) -> int:
    if not text or max(text) < _LIGHT_LIMIT:
        return len(text)
    total = 0
    cursor = 0
    for emoji in _EMOJI.finditer(text):
        plain = text[cursor : emoji.start()]
        total += len(plain) + len(_HEAVY.findall(plain)) + 2
        cursor = emoji.end()
    plain = text[cursor:]
    return total + len(plain) + len(_HEAVY.findall(plain))


def x_weighted_length(text: str, entities: Sequence[Entity] | None = None) -> int:
    """`entities` are the text's own (`find_entities`), to save finding them again."""
    if not unicodedata.is_normalized("NFC", text):
        text, entities = unicodedata.normalize("NFC", text), None
    total = 0
    cursor = 0
    for start, end in _link_spans(text, entities):
        total += _weigh_plain(text[cursor:start]) + X_URL_LENGTH
        cursor = end
    return total + _weigh_plain(text[cursor:])


def mastodon_length(text: str, url_length: int = X_URL_LENGTH, entities: Sequence[Entity] | None = None) -> int:
    total = 0
    cursor = 0
    for start, end in _link_spans(text, entities, scheme_only=True):
        total += graphemes(_REMOTE_MENTION.sub(r"\1", text[cursor:start])) + url_length
        cursor = end
    return total + graphemes(_REMOTE_MENTION.sub(r"\1", text[cursor:]))


def threads_length(text: str, entities: Sequence[Entity] | None = None) -> int:
    if max(text, default="\0") < _LIGHT_LIMIT:
        return len(text)
    total = 0
    cursor = 0
    for emoji in _EMOJI.finditer(text):
        total += emoji.start() - cursor + utf8_bytes(emoji.group(0))
        cursor = emoji.end()
    return total + len(text) - cursor


@dataclass(frozen=True)
class Measure:
    """One limit of one platform: what is counted, how (from the text and, optionally, its entities), and
    how much is allowed."""

    unit: str
    count: Callable[[str, Sequence[Entity] | None], int]
    limit: int
    uses_links: bool = False
    # A cheap number never below `count`: when it fits, the exact count is not needed.
    bound: Callable[[str], int] | None = None


PLATFORMS = ("x", "bluesky", "mastodon", "threads", "linkedin", "instagram")


@lru_cache(maxsize=256)
def measures(platform: str, *, max_length: int | None = None, url_length: int | None = None) -> tuple[Measure, ...]:
    """The limits a post must meet on `platform`; `max_length` overrides the platform's main limit (a Mastodon
    instance's own), `url_length` what a link counts where the platform counts links as a fixed length."""
    name = platform.lower()
    if name == "x":
        return (Measure("weighted characters", x_weighted_length, max_length or X_LIMIT, uses_links=True),)
    if name == "bluesky":
        # Never more grapheme clusters than code points.
        return (
            Measure("graphemes", graphemes, max_length or 300, bound=len),
            Measure("UTF-8 bytes", utf8_bytes, 3000),
        )
    if name == "mastodon":
        link = url_length or X_URL_LENGTH

        def count(text: str, found: Sequence[Entity] | None) -> int:
            return mastodon_length(text, link, found)

        def bound(text: str) -> int:
            return len(text) + link * text.count("://")

        return (Measure("characters", count, max_length or 500, uses_links=True, bound=bound),)
    if name == "threads":
        # Each code point counts 1, or its UTF-8 bytes inside an emoji: never more than the text's bytes.
        return (Measure("characters", threads_length, max_length or 500, bound=utf8_bytes),)
    if name == "linkedin":
        return (Measure("characters", utf16_units, max_length or 3000),)
    if name == "instagram":
        return (Measure("characters", utf16_units, max_length or 2200),)
    return (Measure("characters", lambda text, _: len(text), max_length),) if max_length else ()


def overflow_offset(text: str, measure: Measure) -> int:
    """The first offset past which the text no longer fits (the start of what to cut)."""
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if measure.count(text[:middle], None) <= measure.limit:
            low = middle
        else:
            high = middle - 1
    # Do not split a grapheme cluster (an emoji or an accented letter) in the reported span.
    for cluster in _GRAPHEME.finditer(text, max(0, low - 16)):
        if cluster.end() > low:
            return cluster.start()
    return low
