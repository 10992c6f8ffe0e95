"""One workspace's brand check for one channel: its Vale style, its social rules, the channel's overrides."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from brand.engine import Budget, SocialRules, check, compile_style
from brand.findings import Finding
from brand.social import ClaimRule, MediaLike


def social_rules_for(
    social_rules: Mapping[str, Any],
    channel_overrides: Mapping[str, Any],
    *,
    banned_words: Sequence[str] = (),
    max_length: int | None = None,
    counts_as: str | None = None,
) -> SocialRules:
    """The workspace's rules with the channel's overrides on top.

    Banned words are forbidden claims. A channel that counts as a platform (x, bluesky, ...) gets that
    platform's limit unless it overrides it; any other channel is limited to its own `max_length`.
    """
    rules = SocialRules.model_validate(dict(social_rules)).with_overrides(channel_overrides)
    claims = [
        ClaimRule(pattern=word.strip(), message="'%s' is on this workspace's banned-words list; reword it.")
        for word in banned_words
        if word.strip()
    ]
    update: dict[str, Any] = {"forbidden_claims": [*rules.forbidden_claims, *claims]}
    if counts_as is None and rules.length.max_length is None and max_length:
        update["length"] = rules.length.model_copy(update={"max_length": max_length})
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
    media: Sequence[MediaLike] = (),
    sponsored: bool = False,
    budget: Budget | None = None,
) -> list[Finding]:
    """Every finding for `text` on this channel (compiled styles are cached by version)."""
    style = compile_style({p: t.encode("utf-8") for p, t in style_files.items()}) if style_files else None
    rules = social_rules_for(
        social_rules, channel_overrides, banned_words=banned_words, max_length=max_length, counts_as=counts_as
    )
    return check(text, style, rules, platform=counts_as or "channel", media=media, sponsored=sponsored, budget=budget)


class ChannelBrandSettings(Protocol):
    """What a check needs to know about a workspace and channel (the store's BrandSettings has it)."""

    style_files: dict[str, str] | None
    social_rules: dict[str, object]
    channel_overrides: dict[str, object]
    banned_words: list[str]
    max_length: int
    counts_as: str | None


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
        media=media,
        sponsored=sponsored,
        budget=budget,
    )
