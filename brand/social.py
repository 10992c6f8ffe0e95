"""postgate's own social-media rules, configured per workspace and refined per channel.

`SocialRules` is the configuration (pydantic; `with_overrides` applies a channel's partial settings on top
of the workspace's). Rule ids: Social.Length, Social.Hashtags, Social.HashtagCase, Social.Mentions,
Social.Links, Social.LinkDomain, Social.UTM, Social.Disclosure, Social.AltText, Social.Media, Social.Claims.

Platform limits (length as the platform counts it, Instagram's 30 hashtags and 20 mentions, Threads' 5
links) are errors whatever the configuration says, since the platform refuses such a post.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any, Literal, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import regex
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from brand.budget import rule_budget
from brand.checks import format_message
from brand.counting import measures, overflow_offset
from brand.document import Document
from brand.entities import Entity
from brand.findings import Finding, FindingLevel
from brand.patterns import WORD_BOUNDARY, BoundedPattern, PatternError, word_bounded
from brand.style import timed_out

PLATFORM_CAPS: dict[str, dict[str, int]] = {
    "instagram": {"hashtag": 30, "mention": 20},
    "threads": {"url": 5},
}
# Attachments a post takes where the platform (or our adapter for it) fixes them: how many, and whether a
# video may be one. A Mastodon instance says its own (`SocialRules.media`, from its /api/v2/instance).
PLATFORM_MEDIA: dict[str, tuple[int, bool]] = {"bluesky": (4, False), "x": (4, False), "linkedin": (20, False)}


class MediaLike(Protocol):
    """What the checks read of an attachment (`platforms.base.MediaRef` has it)."""

    @property
    def url(self) -> str: ...

    @property
    def mime_type(self) -> str: ...

    @property
    def alt_text(self) -> str: ...


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LengthRule(_Rule):
    enabled: bool = True
    max_length: int | None = Field(default=None, gt=0, description="overrides the platform's limit")
    url_length: int | None = Field(default=None, gt=0, description="what a link counts (Mastodon instance)")


class HashtagRule(_Rule):
    max_count: int | None = Field(default=None, ge=0)
    casing: Literal["any", "camel", "lower"] = "any"
    level: FindingLevel = FindingLevel.WARNING


class MentionRule(_Rule):
    max_count: int | None = Field(default=None, ge=0)
    level: FindingLevel = FindingLevel.WARNING


class LinkRule(_Rule):
    max_count: int | None = Field(default=None, ge=0)
    allow_domains: list[str] = Field(default=[], description="when set, only these domains (and subdomains)")
    deny_domains: list[str] = []
    level: FindingLevel = FindingLevel.ERROR

    @field_validator("allow_domains", "deny_domains")
    @classmethod
    def _normalise(cls, domains: list[str]) -> list[str]:
        return _domains(domains)


class UtmRule(_Rule):
    own_domains: list[str] = []
    required: list[str] = ["utm_source", "utm_medium", "utm_campaign"]
    defaults: dict[str, str] = Field(default={}, description="values for the suggested, completed link")
    level: FindingLevel = FindingLevel.ERROR

    @field_validator("own_domains")
    @classmethod
    def _normalise(cls, domains: list[str]) -> list[str]:
        return _domains(domains)


class DisclosureRule(_Rule):
    markers: list[str] = ["#ad", "#iklan", "#sponsored"]
    within: int = Field(default=125, gt=0, description="the marker must end within this many characters")
    level: FindingLevel = FindingLevel.ERROR


class AltTextRule(_Rule):
    required: bool = True
    level: FindingLevel = FindingLevel.ERROR


class MediaRule(_Rule):
    max_count: int | None = Field(default=None, ge=0, description="attachments a post may have")
    types: list[str] | None = Field(default=None, description="the MIME types the platform takes; none = any")
    level: FindingLevel = FindingLevel.ERROR


class ClaimRule(_Rule):
    pattern: str = Field(min_length=1)
    regex: bool = False
    message: str = ""
    level: FindingLevel = FindingLevel.ERROR

    @model_validator(mode="after")
    def _compiles(self) -> ClaimRule:
        try:
            self.compiled()
        except PatternError as exc:
            raise ValueError(str(exc)) from None
        return self

    def compiled(self) -> BoundedPattern:
        return _claim_pattern(self.pattern, self.regex)


class SocialRules(_Rule):
    length: LengthRule = LengthRule()
    hashtags: HashtagRule = HashtagRule()
    mentions: MentionRule = MentionRule()
    links: LinkRule = LinkRule()
    utm: UtmRule = UtmRule()
    disclosure: DisclosureRule = DisclosureRule()
    alt_text: AltTextRule = AltTextRule()
    media: MediaRule = MediaRule()
    forbidden_claims: list[ClaimRule] = []

    def with_overrides(self, overrides: Mapping[str, Any]) -> SocialRules:
        """These rules with a channel's settings on top; nested sections merge key by key."""
        return SocialRules.model_validate(_merge(self.model_dump(), overrides))


def _domains(domains: list[str]) -> list[str]:
    return [domain.strip().lower().removeprefix("*.").removeprefix("www.") for domain in domains if domain.strip()]


@lru_cache(maxsize=1024)
def _claim_pattern(pattern: str, is_regex: bool) -> BoundedPattern:
    if is_regex:
        return BoundedPattern(pattern, ignorecase=True, bounded=False)
    # A phrase matches as whole words, with any run of white space between them; a side that is
    # punctuation ("No. 1!") needs no word boundary there.
    body = r"\s+".join(regex.escape(word) for word in pattern.split())
    phrase = pattern.strip()
    left = WORD_BOUNDARY if regex.match(r"\w", phrase) else ""
    right = WORD_BOUNDARY if regex.search(r"\w$", phrase) else ""
    return BoundedPattern(f"{left}(?:{body}){right}", ignorecase=True, bounded=False)


def _merge(base: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overrides.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _in_domains(domain: str, domains: Sequence[str]) -> bool:
    return any(domain == listed or domain.endswith("." + listed) for listed in domains)


def check_social(
    doc: Document,
    rules: SocialRules,
    *,
    platform: str | None,
    media: Sequence[MediaLike],
    sponsored: bool,
) -> list[Finding]:
    found: list[Finding] = []
    if rules.length.enabled and platform:
        found.extend(_length(doc, rules.length, platform))
    caps = PLATFORM_CAPS.get((platform or "").lower(), {})
    hashtags, mentions, links = rules.hashtags, rules.mentions, rules.links
    counted = caps or hashtags.max_count is not None or mentions.max_count is not None or links.max_count is not None
    listed = links.allow_domains or links.deny_domains or rules.utm.own_domains
    # Finding links, mentions and hashtags costs a scan of the post: only when a rule needs them.
    if counted or listed or hashtags.casing != "any":
        by_kind: dict[str, list[Entity]] = {"url": [], "mention": [], "hashtag": []}
        for entity in doc.entities():
            by_kind[entity.kind].append(entity)
        found.extend(_counted(doc, by_kind["hashtag"], "Social.Hashtags", "hashtag", hashtags, caps.get("hashtag")))
        found.extend(_counted(doc, by_kind["mention"], "Social.Mentions", "mention", mentions, caps.get("mention")))
        found.extend(_counted(doc, by_kind["url"], "Social.Links", "link", links, caps.get("url")))
        if hashtags.casing != "any":
            # Disclosure tags are written the way regulators and platforms spell them (#ad, #iklan).
            markers = {marker.casefold() for marker in rules.disclosure.markers}
            tags = [tag for tag in by_kind["hashtag"] if tag.text.casefold() not in markers]
            found.extend(_hashtag_case(doc, tags, hashtags))
        if listed:
            found.extend(_links(doc, by_kind["url"], links, rules.utm))
    if sponsored:
        found.extend(_disclosure(doc, rules.disclosure))
    if rules.alt_text.required:
        found.extend(_alt_text(doc, media, rules.alt_text))
    if media:
        found.extend(_media(doc, media, rules.media, PLATFORM_MEDIA.get((platform or "").lower())))
    for claim in rules.forbidden_claims:
        message = claim.message or "'%s' is a claim this workspace does not allow; remove or substantiate it."
        try:
            with rule_budget():
                matches = [
                    (match.group(0), match.span()) for match in claim.compiled().pick(doc.unspaced).finditer(doc.text)
                ]
        except TimeoutError:
            found.append(timed_out(doc, f"Social.Claims ({claim.pattern})"))
            continue
        for text, span in matches:
            found.append(doc.finding("Social.Claims", claim.level, format_message(message, text), *span))
    return found


def _length(doc: Document, rule: LengthRule, platform: str) -> list[Finding]:
    found: list[Finding] = []
    for measure in measures(platform, max_length=rule.max_length, url_length=rule.url_length):
        if measure.bound is not None and measure.bound(doc.text) <= measure.limit:
            continue
        count = measure.count(doc.text, doc.entities() if measure.uses_links else None)
        if count <= measure.limit:
            continue
        start = overflow_offset(doc.text, measure)
        message = (
            f"Post is {count} {measure.unit} as {platform} counts them; the limit is {measure.limit}. "
            f"Shorten it by {count - measure.limit}."
        )
        found.append(doc.finding("Social.Length", FindingLevel.ERROR, message, start, len(doc.text)))
    return found


def _counted(
    doc: Document,
    entities: list[Entity],
    rule_id: str,
    noun: str,
    rule: HashtagRule | MentionRule | LinkRule,
    platform_cap: int | None,
) -> list[Finding]:
    if noun == "link" and platform_cap is not None:
        # Threads counts distinct links.
        entities = list({entity.text.lower(): entity for entity in entities}.values())
    for limit, level, who in (
        (platform_cap, FindingLevel.ERROR, "the platform allows"),
        (rule.max_count, rule.level, "this channel allows"),
    ):
        if limit is not None and len(entities) > limit:
            excess = entities[limit:]
            message = f"Post has {len(entities)} {noun}s; {who} {limit}. Remove {len(excess)}."
            return [doc.finding(rule_id, level, message, excess[0].start, excess[-1].end)]
    return []


def _hashtag_case(doc: Document, hashtags: list[Entity], rule: HashtagRule) -> list[Finding]:
    found: list[Finding] = []
    for tag in hashtags:
        body = tag.text[1:]
        replacement: str | None
        if rule.casing == "lower":
            if body == body.lower():
                continue
            message, replacement = f"Write hashtag '{tag.text}' in lower case.", tag.text[0] + body.lower()
        else:
            first = next((char for char in body if char.isalpha()), "")
            if not first.islower():
                continue
            # Only lowerCamel can be fixed without knowing where the words start.
            fixable = any(char.isupper() for char in body)
            replacement = tag.text[0] + body[:1].upper() + body[1:] if fixable and body[:1].isalpha() else None
            message = f"Write hashtag '{tag.text}' in CamelCase (each word capitalised, e.g. #AcmeLaunch)."
        finding = doc.finding("Social.HashtagCase", rule.level, message, tag.start, tag.end, replacement=replacement)
        found.append(finding)
    return found


def _links(doc: Document, links: list[Entity], rule: LinkRule, utm: UtmRule) -> list[Finding]:
    found: list[Finding] = []
    for link in links:
        domain = link.domain
        if rule.allow_domains and not _in_domains(domain, rule.allow_domains):
            message = f"Link to '{domain}' is not on this channel's list of allowed domains."
            found.append(doc.finding("Social.LinkDomain", rule.level, message, link.start, link.end))
        elif _in_domains(domain, rule.deny_domains):
            message = f"Links to '{domain}' are not allowed on this channel."
            found.append(doc.finding("Social.LinkDomain", rule.level, message, link.start, link.end))
        if utm.own_domains and _in_domains(domain, utm.own_domains):
            found.extend(_utm(doc, link, utm))
    return found


def _utm(doc: Document, link: Entity, rule: UtmRule) -> list[Finding]:
    url = link.text if link.has_scheme else "https://" + link.text
    parts = urlsplit(url)
    present = {key for key, value in parse_qsl(parts.query, keep_blank_values=True) if value}
    missing = [name for name in rule.required if name not in present]
    if not missing:
        return []
    replacement = None
    if all(name in rule.defaults for name in missing):
        query = parts.query + ("&" if parts.query else "") + urlencode({name: rule.defaults[name] for name in missing})
        completed = urlunsplit(parts._replace(query=query, path=parts.path or "/"))
        replacement = completed if link.has_scheme else completed.removeprefix("https://")
    message = f"Link to our own domain '{link.domain}' lacks {', '.join(missing)}; add them so the visit is attributed."
    return [doc.finding("Social.UTM", rule.level, message, link.start, link.end, replacement=replacement)]


@lru_cache(maxsize=256)
def _marker_pattern(markers: tuple[str, ...]) -> regex.Pattern[str]:
    alternatives = []
    for marker in sorted(markers, key=len, reverse=True):
        words = r"\s+".join(regex.escape(word) for word in marker.split())
        alternatives.append(rf"(?<![\w#\uff03]){words}(?!\w)" if marker.startswith("#") else word_bounded(words))
    return regex.compile("|".join(alternatives), regex.IGNORECASE)


def _disclosure(doc: Document, rule: DisclosureRule) -> list[Finding]:
    markers = [marker.strip() for marker in rule.markers if marker.strip()]
    if not markers:
        return []
    first = _marker_pattern(tuple(markers)).search(doc.text)
    listed = ", ".join(markers[:-1]) + f" or {markers[-1]}" if len(markers) > 1 else markers[0]
    if first is None:
        message = f"Sponsored post without a disclosure: add {listed} within the first {rule.within} characters."
        return [doc.finding("Social.Disclosure", rule.level, message, 0, 0)]
    if first.end() > rule.within:
        message = (
            f"Disclosure '{first.group(0)}' ends at character {first.end()}; "
            f"move it into the first {rule.within} characters, where it shows before 'more'."
        )
        return [doc.finding("Social.Disclosure", rule.level, message, *first.span())]
    return []


def _alt_text(doc: Document, media: Sequence[MediaLike], rule: AltTextRule) -> list[Finding]:
    found: list[Finding] = []
    for number, item in enumerate(media, start=1):
        if item.mime_type.lower().startswith("image/") and not item.alt_text.strip():
            message = f"Image {number} ({item.url}) has no alt text; describe it for people who use screen readers."
            finding = doc.finding("Social.AltText", rule.level, message, 0, 0)
            found.append(finding.model_copy(update={"match": item.url}))
    return found


def _media(
    doc: Document, media: Sequence[MediaLike], rule: MediaRule, platform_cap: tuple[int, bool] | None
) -> list[Finding]:
    found: list[Finding] = []
    limit = rule.max_count
    if platform_cap is not None:
        limit = platform_cap[0] if limit is None else min(limit, platform_cap[0])
    if limit is not None and len(media) > limit:
        message = f"Post has {len(media)} attachments; this channel takes {limit}. Remove {len(media) - limit}."
        found.append(doc.finding("Social.Media", rule.level, message, 0, 0))
    accepted = {kind.lower() for kind in rule.types} if rule.types else None
    for number, item in enumerate(media, start=1):
        kind = item.mime_type.lower()
        refused = accepted is not None and kind not in accepted
        if platform_cap is not None and not platform_cap[1] and kind.startswith("video/"):
            refused = True
        if refused:
            message = f"Attachment {number} ({item.url}) is {kind}, which this channel's platform does not take."
            finding = doc.finding("Social.Media", rule.level, message, 0, 0)
            found.append(finding.model_copy(update={"match": item.url}))
    return found
