"""The brand check counts a channel as its platform does, with the platform's own limits: nothing it
approves can be refused at publish for its length, links or attachments (issue 10, item 4).

The brand activity runs in an ActivityEnvironment over the store; a Mastodon instance is a respx double
of `GET /api/v2/instance` as Mastodon documents it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import respx
from sqlalchemy.engine import Engine
from temporalio.testing import ActivityEnvironment

from activities.brand import BrandActivities
from activities.channels import ChannelAdapters
from domain.content import MediaRef, Variant, content_hash
from domain.lifecycle import BrandCheckRequest, BrandCheckResult, RevisionRef, TransitionRecord
from domain.status import AuditAction, PostStatus
from settings import Settings
from store.credentials import keyring_for, new_key, seal_channel
from store.engine import transaction
from store.tables import Channel, Workspace
from store.workspaces import add_channel, add_workspace, get_channel

INSTANCE = "https://social.example"
T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
LONG_URL = "https://shop.example/spring/" + "a" * 120  # counts 23 on Mastodon, 147 in code points


def instance(max_characters: int = 500, per_url: int = 23, max_media: int = 4) -> dict[str, Any]:
    return {
        "domain": "social.example",
        "configuration": {
            "statuses": {
                "max_characters": max_characters,
                "max_media_attachments": max_media,
                "characters_reserved_per_url": per_url,
            },
            "media_attachments": {"supported_mime_types": ["image/jpeg", "image/png"], "image_size_limit": 16777216},
        },
    }


@pytest.fixture
def settings(tmp_path: Any) -> Settings:
    return Settings(credential_keys=f"test={new_key()}", credential_key_id="test", data_dir=tmp_path)


@pytest.fixture
def db(engine: Engine) -> Engine:
    with transaction(engine) as session:
        add_workspace(session, Workspace(id="acme", name="Acme"))
    return engine


@pytest.fixture
async def checker(db: Engine, settings: Settings) -> AsyncIterator[BrandActivities]:
    async with httpx.AsyncClient(timeout=httpx.Timeout(5.0)) as http:
        yield BrandActivities(db, ChannelAdapters(http, "http://sandbox.invalid", settings=settings))


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        yield router


def add(db: Engine, settings: Settings, channel_id: str, platform: str, config: dict[str, Any], **cols: Any) -> None:
    secrets = {"mastodon": {"access_token": "tok-0123456789"}, "bluesky": {"app_password": "abcd-efgh-ijkl-mnop"}}
    with transaction(db) as session:
        channel = Channel(
            id=channel_id, workspace_id="acme", name=channel_id, platform=platform, settings=json.dumps(config), **cols
        )
        seal_channel(channel, keyring_for(settings), secrets.get(platform))
        add_channel(session, channel)


def request(channel_id: str, text: str, media: list[MediaRef] | None = None) -> BrandCheckRequest:
    variants = [Variant(channel_id=channel_id, media=media)] if media else []
    # A post of its own per text: each check is a different post's brand_checked entry.
    post_id = "p" + content_hash(text, variants).removeprefix("sha256:")[:16]
    record = TransitionRecord(
        workflow_id=f"post-{post_id}",
        post_id=post_id,
        workspace_id="acme",
        seq=2,
        action=AuditAction.BRAND_CHECKED,
        actor="system",
        revision=1,
        content_hash=content_hash(text, variants),
        status=PostStatus.BRAND_CHECK,
        at=T0,
    )
    revision = RevisionRef(
        number=1, text=text, content_hash=content_hash(text, variants), author="ed", variants=variants
    )
    return BrandCheckRequest(workspace_id="acme", channel_id=channel_id, revision=revision, checked=record)


async def check(checker: BrandActivities, req: BrandCheckRequest) -> BrandCheckResult:
    return await ActivityEnvironment().run(checker.check_brand, req)


def length_findings(result: BrandCheckResult) -> list[str]:
    return [f.message for f in result.findings if f.rule == "Social.Length"]


async def test_a_301_grapheme_bluesky_post_is_refused_in_review(
    db: Engine, settings: Settings, checker: BrandActivities
) -> None:
    add(db, settings, "sky", "bluesky", {"handle": "acme.bsky.social"})  # no counts_as: counts as Bluesky
    # 301 graphemes, each an 'e' with a combining accent: 602 code points, under 3000 bytes.
    over = await check(checker, request("sky", "e\u0301" * 301))
    fits = await check(checker, request("sky", "e\u0301" * 300))

    assert over.blocking and over.status == PostStatus.CHANGES_NEEDED
    assert length_findings(over) == ["Post is 301 graphemes as bluesky counts them; the limit is 300. Shorten it by 1."]
    assert not fits.blocking and length_findings(fits) == []


async def test_a_bluesky_post_of_300_graphemes_but_over_3000_bytes_is_refused(
    db: Engine, settings: Settings, checker: BrandActivities
) -> None:
    add(db, settings, "sky", "bluesky", {"handle": "acme.bsky.social"})
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # one grapheme, 25 bytes
    result = await check(checker, request("sky", family * 121))
    assert result.blocking and any("UTF-8 bytes" in m for m in length_findings(result))


async def test_a_mastodon_post_long_only_because_of_a_url_passes(
    db: Engine, settings: Settings, checker: BrandActivities, mock: respx.MockRouter
) -> None:
    add(db, settings, "masto", "mastodon", {"instance_url": INSTANCE})
    mock.get(f"{INSTANCE}/api/v2/instance").respond(200, json=instance())
    text = "x" * 400 + " " + LONG_URL  # 548 code points; 424 as Mastodon counts
    assert len(text) > 500

    result = await check(checker, request("masto", text))

    assert not result.blocking and length_findings(result) == []


async def test_a_remote_mention_counts_only_its_username(
    db: Engine, settings: Settings, checker: BrandActivities, mock: respx.MockRouter
) -> None:
    add(db, settings, "masto", "mastodon", {"instance_url": INSTANCE})
    mock.get(f"{INSTANCE}/api/v2/instance").respond(200, json=instance())
    text = "y" * 490 + " @ann@very-long-instance-name.example"  # 527 code points, 495 counted
    assert not (await check(checker, request("masto", text))).blocking


async def test_the_instances_own_limits_drive_the_check_and_are_stored(
    db: Engine, settings: Settings, checker: BrandActivities, mock: respx.MockRouter
) -> None:
    add(db, settings, "masto", "mastodon", {"instance_url": INSTANCE})
    route = mock.get(f"{INSTANCE}/api/v2/instance").respond(
        200, json=instance(max_characters=1000, per_url=40, max_media=2)
    )

    # 950 characters plus a link that counts 40 on this instance: 991 of 1000.
    fits = await check(checker, request("masto", "z" * 950 + " " + LONG_URL))
    over = await check(checker, request("masto", "z" * 1001))
    media = [MediaRef(url=f"https://cdn.example/{n}.png", alt_text="a cup") for n in range(3)]
    too_many = await check(checker, request("masto", "Spring", media))
    gif = [MediaRef(url="https://cdn.example/a.gif", alt_text="a cup", mime_type="image/gif")]
    wrong_type = await check(checker, request("masto", "Spring", gif))

    assert not fits.blocking
    assert length_findings(over) == [
        "Post is 1001 characters as mastodon counts them; the limit is 1000. Shorten it by 1."
    ]
    assert [f.rule for f in too_many.findings] == ["Social.Media"] and too_many.blocking
    assert [f.rule for f in wrong_type.findings] == ["Social.Media"] and wrong_type.blocking
    # Read once, kept on the channel for the next checks (and shown by the API).
    assert route.call_count == 1
    with transaction(db) as session:
        channel = get_channel(session, "acme", "masto")
        assert channel is not None and channel.platform_limits is not None
        assert json.loads(channel.platform_limits)["max_length"] == 1000


async def test_a_channel_override_may_lower_the_instances_limit_but_not_raise_it(
    db: Engine, settings: Settings, checker: BrandActivities, mock: respx.MockRouter
) -> None:
    add(
        db,
        settings,
        "lower",
        "mastodon",
        {"instance_url": INSTANCE},
        social_overrides='{"length": {"max_length": 100}}',
    )
    add(
        db,
        settings,
        "raise",
        "mastodon",
        {"instance_url": INSTANCE},
        social_overrides='{"length": {"max_length": 900}}',
    )
    mock.get(f"{INSTANCE}/api/v2/instance").respond(200, json=instance())

    assert (await check(checker, request("lower", "w" * 101))).blocking
    assert (await check(checker, request("raise", "w" * 501))).blocking


async def test_an_unreachable_instance_leaves_the_default_limits(
    db: Engine, settings: Settings, checker: BrandActivities, mock: respx.MockRouter
) -> None:
    add(db, settings, "masto", "mastodon", {"instance_url": INSTANCE})
    mock.get(f"{INSTANCE}/api/v2/instance").respond(503)
    assert (await check(checker, request("masto", "v" * 501))).blocking
    assert not (await check(checker, request("masto", "v" * 470 + " " + LONG_URL))).blocking


async def test_an_admins_counts_as_still_wins(db: Engine, settings: Settings, checker: BrandActivities) -> None:
    add(db, settings, "sky", "bluesky", {"handle": "acme.bsky.social"}, counts_as="x")
    assert length_findings(await check(checker, request("sky", "q" * 281))) == [
        "Post is 281 weighted characters as x counts them; the limit is 280. Shorten it by 1."
    ]


async def test_bluesky_takes_four_images_and_no_video(db: Engine, settings: Settings, checker: BrandActivities) -> None:
    add(db, settings, "sky", "bluesky", {"handle": "acme.bsky.social"})
    five = [MediaRef(url=f"https://cdn.example/{n}.jpg", alt_text="a cup") for n in range(5)]
    video = [MediaRef(url="https://cdn.example/a.mp4", alt_text="a cup", mime_type="video/mp4")]
    assert [f.rule for f in (await check(checker, request("sky", "Spring", five))).findings] == ["Social.Media"]
    assert [f.rule for f in (await check(checker, request("sky", "Spring", video))).findings] == ["Social.Media"]
