"""Links, @mentions and #hashtags in a post, found once and shared by counting, social rules and checks.

Links: `http(s)://` followed by anything up to white space or CJK text, and bare domains ("acme.co.id/promo",
"www.acme.com") whose top-level domain is a two-letter country code or one of the common generic ones
below, as X counts them. Trailing punctuation ('.', ',', ')' without a matching '(' ...) is not part of a
link. A domain right after '@', '#', '.' or a word character is part of an e-mail address, mention or word.

Mentions: `@name` (X, Instagram, Threads, LinkedIn), `@name.bsky.social` (Bluesky) and
`@name@instance.social` (Mastodon). Hashtags: '#' (or its fullwidth form) and word characters with at least one letter
("#1" is not a hashtag), not right after a word character ("C#" is not one).
"""

from __future__ import annotations

import re
from typing import Literal, NamedTuple

import regex

GENERIC_TLDS = frozenset(
    """com net org edu gov mil int info biz name pro mobi asia tel travel jobs aero coop museum app dev page blog
    shop store online site website xyz tech cloud news live life world today space art design digital agency
    studio media network social global solutions systems tools top vip wiki academy club link click
    email company center group market marketing money finance bank capital fund games game music video photo
    photos pics gallery events health care clinic school education university ltd inc llc foundation eco
    green bio one new best fun cool love moe ninja guru expert works zone run tours holiday hotel
    restaurant cafe bar pub pizza coffee fashion shoes clothing beauty fitness yoga golf football""".split()
)

_TRAILING = ".,;:!?'\"\u2019\u201d…)]}>"
_URL_CHARS = r"[^\s<>\"\u201c\u201d'\u2018\u2019\u3000-\u30ff\u3400-\u9fff\uac00-\ud7af\uff00-\uffef]"
_SCHEME = re.compile(rf"https?://{_URL_CHARS}+", re.IGNORECASE)
# A bare domain is looked for only around a dot between a letter or digit and a letter: scanning for that
# is several times faster than trying a domain pattern at every position.
_DOT = re.compile(r"[a-z0-9]\.[a-z]", re.IGNORECASE)
_LABEL = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")
_BARE = re.compile(
    rf"(?:[a-z0-9](?:[a-z0-9-]{{0,61}}[a-z0-9])?\.)+([a-z]{{2,24}})(?![\w-])(?::\d{{1,5}})?(?:[/?#]{_URL_CHARS}*)?",
    re.IGNORECASE,
)
_NOT_BEFORE_DOMAIN = frozenset("@#\uff03$.-/:_")
_MENTION = regex.compile(r"(?<![\w@#\uff03$.])@\w(?:[\w.-]*\w)?(?:@\w(?:[\w-]*\w)?(?:\.\w(?:[\w-]*\w)?)+)?")
_HASHTAG = regex.compile(r"(?<![\w#\uff03&$/])[#\uff03]\w*[^\W\d_]\w*")


class Entity(NamedTuple):
    """A tuple, not a dataclass: posts have several and tuples are several times cheaper to make."""

    kind: Literal["url", "mention", "hashtag"]
    start: int
    end: int
    text: str

    @property
    def has_scheme(self) -> bool:
        return self.kind == "url" and self.text[:8].lower().startswith(("http://", "https://"))

    @property
    def domain(self) -> str:
        """For a link, its host in lower case without 'www.'; empty for other entities."""
        if self.kind != "url":
            return ""
        rest = self.text.split("://", 1)[1] if self.has_scheme else self.text
        host = re.split(r"[/?#]", rest, maxsplit=1)[0].rsplit("@", 1)[-1].split(":", 1)[0]
        return host.lower().removeprefix("www.")


def _trim(url: str) -> str:
    while url and url[-1] in _TRAILING:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    return url


def _inside(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(a < end and start < b for a, b in spans)


def _bare_domains(text: str, taken: list[tuple[int, int]]) -> list[Entity]:
    found: list[Entity] = []
    covered = 0
    for candidate in _DOT.finditer(text):
        start = candidate.start()
        if start < covered or _inside(taken, start, start + 1):
            continue
        while start > 0 and text[start - 1] in _LABEL:
            start -= 1
        before = text[start - 1] if start else " "
        if before in _NOT_BEFORE_DOMAIN or before.isalnum():
            covered = candidate.end()
            continue
        domain = _BARE.match(text, start)
        if domain is None:
            continue
        covered = domain.end()
        tld = domain.group(1).lower()
        if len(tld) != 2 and tld not in GENERIC_TLDS:
            continue
        url = _trim(domain.group(0))
        found.append(Entity("url", start, start + len(url), url))
    return found


def find_entities(text: str) -> list[Entity]:
    """Links, mentions and hashtags in text order; they never overlap (links win)."""
    entities: list[Entity] = []
    if "://" in text:
        for found in _SCHEME.finditer(text):
            url = _trim(found.group(0))
            if not url.endswith("://"):
                entities.append(Entity("url", found.start(), found.start() + len(url), url))
    taken = [(entity.start, entity.end) for entity in entities]
    if "." in text:
        entities.extend(_bare_domains(text, taken))
        taken = [(entity.start, entity.end) for entity in entities]
    if "@" in text:
        for mention in _MENTION.finditer(text):
            if not _inside(taken, *mention.span()):
                entities.append(Entity("mention", mention.start(), mention.end(), mention.group(0)))
    if "#" in text or "\uff03" in text:
        for hashtag in _HASHTAG.finditer(text):
            if not _inside(taken, *hashtag.span()):
                entities.append(Entity("hashtag", hashtag.start(), hashtag.end(), hashtag.group(0)))
    entities.sort(key=lambda entity: entity.start)
    return entities
