"""One workspace's brand check for one channel: its Vale style, its social rules, the channel's overrides."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from brand.counting import PLATFORMS as COUNTED_PLATFORMS
from brand.engine import Budget, SocialRules, check, compile_style
from brand.findings import Finding
from brand.social import ClaimRule, MediaLike

# What the platforms that count no particular way take at most (the sandbox refuses more; a Facebook
# Page post's documented maximum): the channel's own `max_length` never goes beyond.
_PLAIN_LIMITS = {"sandbox": 20_000, "facebook": 63_206}


def counting_for(platform: str | None, counts_as: str | None) -> str | None:
    """Whose counting a channel's check applies: the admin's `counts_as`, else the channel's own platform
    when that platform counts its own way (x, bluesky, mastodon, threads, linkedin, instagram)."""
    if counts_as:
        return counts_as
    return platform if platform in COUNTED_PLATFORMS else None


def social_rules_for(
    social_rules: Mapping[str, Any],
    channel_overrides: Mapping[str, Any],
    *,
    banned_words: Sequence[str] = (),
    max_length: int | None = None,
    counts_as: str | None = None,
    platform: str | None = None,
    platform_limits: Mapping[str, Any] | None = None,
) -> SocialRules:
    """The workspace's rules with the channel's overrides on top.

    Banned words are forbidden claims. A channel counts as its platform (or as the admin's `counts_as`) and
    gets that platform's limit unless it overrides it; any other channel is limited to its own `max_length`.
    `platform_limits` are what the channel's platform reported about itself (a Mastodon instance's
    `max_length`, `url_length`, `max_media`, `media_types`): an override may lower the length, never raise it.
    """
    counting = counting_for(platform, counts_as)
    rules = SocialRules.model_validate(dict(social_rules)).with_overrides(channel_overrides)
    claims = [
        ClaimRule(pattern=word.strip(), message="'%s' is on this workspace's banned-words list; reword it.")
        for word in banned_words
        if word.strip()
    ]
    update: dict[str, Any] = {"forbidden_claims": [*rules.forbidden_claims, *claims]}
    length = rules.length
    if counting is None and max_length:
        plain_limit = _PLAIN_LIMITS.get(platform or "")
        limit = length.max_length or max_length
        length = length.model_copy(update={"max_length": min(limit, plain_limit) if plain_limit else limit})
    reported = platform_limits or {}
    if counting == platform and reported.get("max_length"):
        cap = int(reported["max_length"])
        length = length.model_copy(update={"max_length": min(length.max_length or cap, cap)})
    if counting == platform and reported.get("url_length") and length.url_length is None:
        length = length.model_copy(update={"url_length": int(reported["url_length"])})
    update["length"] = length
    if counting == platform and reported:
        media = rules.media.model_copy(
            update={"max_count": reported.get("max_media"), "types": reported.get("media_types")}
        )
        update["media"] = media
    return rules.model_copy(update=update)


def check_for_channel(
    text: str,
    *,
    style_files: Mapping[str, str] | None,
    social_rules: Mapping[str, Any],
    channel_overrides: Mapping[str, Any],
    banned_words: Sequence[str] = (),
    max_length: int | None = None,
    counts_as: str | None = None,
    platform: str | None = None,
    platform_limits: Mapping[str, Any] | None = None,
    media: Sequence[MediaLike] = (),
    sponsored: bool = False,
    budget: Budget | None = None,
) -> list[Finding]:
    """Every finding for `text` on this channel (compiled styles are cached by version)."""
    style = compile_style({p: t.encode("utf-8") for p, t in style_files.items()}) if style_files else None
    rules = social_rules_for(
        social_rules,
        channel_overrides,
        banned_words=banned_words,
        max_length=max_length,
        counts_as=counts_as,
        platform=platform,
        platform_limits=platform_limits,
    )
    counting = counting_for(platform, counts_as)
    return check(text, style, rules, platform=counting or "channel", media=media, sponsored=sponsored, budget=budget)


class ChannelBrandSettings(Protocol):
    """What a check needs to know about a workspace and channel (the store's BrandSettings has it)."""

    style_files: dict[str, str] | None
    social_rules: dict[str, object]
    channel_overrides: dict[str, object]
    banned_words: list[str]
    max_length: int
    counts_as: str | None
    platform: str
    platform_limits: dict[str, object] | None


def check_with(
    settings: ChannelBrandSettings,
    text: str,
    *,
    media: Sequence[MediaLike] = (),
    sponsored: bool = False,
    budget: Budget | None = None,
) -> list[Finding]:
    return check_for_channel(
        text,
        style_files=settings.style_files,
        social_rules=settings.social_rules,
        channel_overrides=settings.channel_overrides,
        banned_words=settings.banned_words,
        max_length=settings.max_length,
        counts_as=settings.counts_as,
        platform=settings.platform,
        platform_limits=settings.platform_limits,
        media=media,
        sponsored=sponsored,
        budget=budget,
    )
