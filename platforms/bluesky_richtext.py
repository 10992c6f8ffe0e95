"""Bluesky rich text: where the links, mentions and hashtags are in a post, as UTF-8 byte ranges.

AT Protocol facets index the UTF-8 encoding of the text, not its characters: an emoji before a link moves
the link's `byteStart` by four. Only explicit http(s) links become link facets; bare domains stay text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_TRAILING_PUNCTUATION = ".,;:!?'\"\u201d\u2019"
_URL = re.compile(r"https?://[^\s<>\"]+")
# A handle is a domain name: labels of letters, digits and hyphens, at least two of them. The mention must
# start the text or follow a space or an opening parenthesis, which keeps e-mail addresses and URLs out.
_MENTION = re.compile(
    r"(?:^|(?<=[\s(]))@((?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)"
)
_HASHTAG = re.compile(r"(?:^|(?<=\s))#([^\s#]+)")
_MAX_TAG_LENGTH = 64


@dataclass(frozen=True)
class Span:
    """A facet's target in the text: `start`/`end` are character indexes, `value` what it points to."""

    kind: str  # "link" | "mention" | "tag"
    start: int
    end: int
    value: str


def _trim_url(url: str) -> str:
    url = url.rstrip(_TRAILING_PUNCTUATION)
    # A closing parenthesis belongs to the URL only if the URL opened one (Wikipedia links do).
    while url.endswith(")") and url.count(")") > url.count("("):
        url = url[:-1].rstrip(_TRAILING_PUNCTUATION)
    return url


def find_spans(text: str) -> list[Span]:
    """Links, mentions (the handle, without '@') and hashtags (the tag, without '#'), in text order."""
    spans: list[Span] = []
    for match in _URL.finditer(text):
        url = _trim_url(match.group(0))
        spans.append(Span("link", match.start(), match.start() + len(url), url))

    def outside_links(start: int, end: int) -> bool:
        return all(end <= s.start or start >= s.end for s in spans if s.kind == "link")

    for match in _MENTION.finditer(text):
        handle = match.group(1)
        if outside_links(match.start(), match.end()):
            spans.append(Span("mention", match.start(), match.end(), handle.lower()))
    for match in _HASHTAG.finditer(text):
        tag = match.group(1).rstrip(_TRAILING_PUNCTUATION + ")")
        # A number alone ("#1") is not a hashtag on Bluesky.
        if not tag or tag.isdigit() or len(tag) > _MAX_TAG_LENGTH:
            continue
        end = match.start() + 1 + len(tag)
        if outside_links(match.start(), end):
            spans.append(Span("tag", match.start(), end, tag))
    return sorted(spans, key=lambda span: span.start)


def byte_range(text: str, start: int, end: int) -> tuple[int, int]:
    """Character indexes `start`..`end` of `text` as offsets into its UTF-8 encoding."""
    byte_start = len(text[:start].encode("utf-8"))
    return byte_start, byte_start + len(text[start:end].encode("utf-8"))


def facet(text: str, span: Span, did: str | None = None) -> dict[str, Any]:
    """The `app.bsky.richtext.facet` for a span; a mention needs the DID its handle resolved to."""
    byte_start, byte_end = byte_range(text, span.start, span.end)
    feature: dict[str, Any]
    if span.kind == "link":
        feature = {"$type": "app.bsky.richtext.facet#link", "uri": span.value}
    elif span.kind == "mention":
        feature = {"$type": "app.bsky.richtext.facet#mention", "did": did}
    else:
        feature = {"$type": "app.bsky.richtext.facet#tag", "tag": span.value}
    return {"index": {"byteStart": byte_start, "byteEnd": byte_end}, "features": [feature]}
