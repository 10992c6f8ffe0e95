"""The publish (and metrics) activity on real platform channels: credentials opened inside the activity,
errors classified into Temporal's retry decisions, ambiguity settled by key or handed to a person, OAuth2
refresh, reconnection and disabled channels. ActivityEnvironment, against respx doubles of each platform."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import respx
from sqlalchemy.engine import Engine
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.channels import ChannelAdapters
from activities.metrics import MetricsActivities
from activities.publish import PublishActivities
from domain.content import MediaRef, Variant, content_hash
from domain.lifecycle import MetricsRequest, Publication, PublishRequest, RevisionRef, TransitionRecord
from domain.status import AuditAction, PostStatus
from platforms.bluesky import record_key_for
from settings import Settings
from store.credentials import keyring_for, new_key, open_channel, seal_channel
from store.engine import transaction
from store.publications import find_publication, idempotency_key
from store.tables import Channel, Workspace
from store.workspaces import add_channel, add_workspace, get_channel

MASTODON = "https://social.example"
PDS = "https://pds.example"
LINKEDIN = "https://api.linkedin.example"
LINKEDIN_TOKEN_URL = "https://www.linkedin.example/oauth/v2/accessToken"
X_API = "https://api.x.example"
TOKEN = "tok-5ecret-0123456789"
T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
STATUS = {
    "id": "1099",
    "url": f"{MASTODON}/@acme/1099",
    "uri": f"{MASTODON}/users/acme/statuses/1099",
    "created_at": "2026-11-26T09:00:01.000Z",
    "favourites_count": 4,
    "reblogs_count": 2,
    "replies_count": 1,
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
async def publisher(db: Engine, settings: Settings) -> AsyncIterator[PublishActivities]:
    async with httpx.AsyncClient(timeout=httpx.Timeout(5.0)) as http:
        yield PublishActivities(db, ChannelAdapters(http, "http://sandbox.invalid", settings=settings))


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        yield router


def add(
    db: Engine,
    settings: Settings,
    channel_id: str,
    platform: str,
    config: dict[str, Any],
    secrets: dict[str, Any] | None,
    **columns: Any,
) -> None:
    with transaction(db) as session:
        channel = Channel(
            id=channel_id,
            workspace_id="acme",
            name=channel_id,
            platform=platform,
            settings=json.dumps(config),
            **columns,
        )
        seal_channel(channel, keyring_for(settings), secrets)
        add_channel(session, channel)


def stored(db: Engine, channel_id: str) -> Channel:
    with transaction(db) as session:
        channel = get_channel(session, "acme", channel_id)
        assert channel is not None
        return channel


def request(
    channel_id: str, text: str = "Spring sale starts today", variants: list[Variant] | None = None
) -> PublishRequest:
    record = TransitionRecord(
        workflow_id="post-p1",
        post_id="p1",
        workspace_id="acme",
        seq=5,
        action=AuditAction.PUBLISHED,
        actor="system",
        revision=1,
        content_hash=content_hash(text, variants),
        status=PostStatus.PUBLISHED,
        at=T0,
    )
    revision = RevisionRef(
        number=1, text=text, content_hash=content_hash(text, variants), author="ed", variants=variants or []
    )
    return PublishRequest(post_id="p1", workspace_id="acme", channel_id=channel_id, revision=revision, record=record)


class Attempt:
    """One activity attempt; `details` are the previous attempt's last heartbeat, as Temporal hands them on."""

    def __init__(self, number: int = 1, details: list[Any] | None = None) -> None:
        self.env = ActivityEnvironment()
        self.env.info = dataclasses.replace(
            ActivityEnvironment.default_info(), attempt=number, heartbeat_details=details or []
        )
        self.beats: list[Any] = []
        self.env.on_heartbeat = lambda *details: self.beats.append(details[0])

    async def publish(self, publisher: PublishActivities, req: PublishRequest) -> Publication:
        return await self.env.run(publisher.publish, req)

    async def refused(self, publisher: PublishActivities, req: PublishRequest) -> ApplicationError:
        with pytest.raises(ApplicationError) as failed:
            await self.publish(publisher, req)
        return failed.value

    def next(self) -> Attempt:
        return Attempt(self.env.info.attempt + 1, self.beats[-1:])


def published_key(channel_id: str) -> str:
    return idempotency_key("p1", 1, channel_id)


def recorded(db: Engine, channel_id: str) -> Publication | None:
    with transaction(db) as session:
        return find_publication(session, published_key(channel_id))


# --- Mastodon: success, rate limits, ambiguity settled by the key -------------------------------------------


async def test_mastodon_publishes_the_channels_variant_with_the_stored_token(
    db: Engine, settings: Settings, publisher: PublishActivities, mock: respx.MockRouter
) -> None:
    add(db, settings, "masto", "mastodon", {"instance_url": MASTODON}, {"access_token": TOKEN})
    route = mock.post(f"{MASTODON}/api/v1/statuses").respond(200, json=STATUS)
    variants = [Variant(channel_id="masto", text="Spring sale, Mastodon edition #coffee")]
    attempt = Attempt()

    publication = await attempt.publish(publisher, request("masto", variants=variants))

    sent = route.calls.last.request
    assert sent.headers["Authorization"] == f"Bearer {TOKEN}"
    assert sent.headers["Idempotency-Key"] == published_key("masto")
    assert json.loads(sent.content)["status"] == "Spring sale, Mastodon edition #coffee"
    assert publication.external_id == "1099" and publication.url == STATUS["url"]
    assert recorded(db, "masto") == publication
    assert [beat["stage"] for beat in attempt.beats] == ["publishing", "published"]
    # The token went from the database to the platform, never through the request or the heartbeats.
    assert TOKEN not in request("masto").model_dump_json() and TOKEN not in json.dumps(attempt.beats)


async def test_a_429_with_retry_after_becomes_the_next_retry_delay(
    db: Engine, settings: Settings, publisher: PublishActivities, mock: respx.MockRouter
) -> None:
    add(db, settings, "masto", "mastodon", {"instance_url": MASTODON}, {"access_token": TOKEN})
    mock.post(f"{MASTODON}/api/v1/statuses").respond(
        429, json={"error": "Too many requests"}, headers={"Retry-After": "30"}
    )
    attempt = Attempt()

    err = await attempt.refused(publisher, request("masto"))

    assert err.type == "RateLimited" and not err.non_retryable
    assert err.next_retry_delay == timedelta(seconds=30)
    assert attempt.beats[-1]["stage"] == "not_published"
    assert recorded(db, "masto") is None


async def test_mastodon_after_a_timeout_retries_with_the_same_key_and_one_status_exists(
    db: Engine, settings: Settings, publisher: PublishActivities, mock: respx.MockRouter
) -> None:
    add(db, settings, "masto", "mastodon", {"instance_url": MASTODON}, {"access_token": TOKEN})
    statuses: dict[str, dict] = {}

    def instance(request: httpx.Request) -> httpx.Response:
        # The instance keeps each Idempotency-Key and replays the status it created; the first answer is lost.
        key = request.headers["Idempotency-Key"]
        replay = key in statuses
        statuses.setdefault(key, {**STATUS, "id": str(1000 + len(statuses))})
        if not replay:
            raise httpx.ReadTimeout("no answer", request=request)
        return httpx.Response(200, json=statuses[key])

    route = mock.post(f"{MASTODON}/api/v1/statuses").mock(side_effect=instance)
    first = Attempt()
    err = await first.refused(publisher, request("masto"))
    assert err.type == "AmbiguousPublish" and not err.non_retryable

    publication = await first.next().publish(publisher, request("masto"))

    assert len(statuses) == 1 and publication.external_id == next(iter(statuses.values()))["id"]
    assert [call.request.headers["Idempotency-Key"] for call in route.calls] == [published_key("masto")] * 2


async def test_bluesky_after_a_timeout_finds_the_record_and_posts_nothing_more(
    db: Engine, settings: Settings, publisher: PublishActivities, mock: respx.MockRouter
) -> None:
    add(db, settings, "bsky", "bluesky", {"service_url": PDS, "handle": "acme.test"}, {"app_password": "app-pw"})
    session = {"did": "did:plc:acme", "handle": "acme.test", "accessJwt": "a.b.c", "refreshJwt": "d.e.f"}
    mock.post(f"{PDS}/xrpc/com.atproto.server.createSession").respond(200, json=session)
    create = mock.post(f"{PDS}/xrpc/com.atproto.repo.createRecord").mock(side_effect=httpx.ReadTimeout("lost"))
    rkey = record_key_for(published_key("bsky"))
    uri = f"at://did:plc:acme/app.bsky.feed.post/{rkey}"
    mock.get(f"{PDS}/xrpc/com.atproto.repo.getRecord").respond(
        200, json={"uri": uri, "value": {"text": "Spring sale starts today", "createdAt": "2026-11-26T09:00:00.000Z"}}
    )
    first = Attempt()
    assert (await first.refused(publisher, request("bsky"))).type == "AmbiguousPublish"

    publication = await first.next().publish(publisher, request("bsky"))

    assert publication.external_id == uri
    assert create.call_count == 1


# --- platforms that cannot settle ambiguity: a person must look ---------------------------------------------


async def test_linkedin_and_x_ambiguity_is_not_retried(
    db: Engine, settings: Settings, publisher: PublishActivities, mock: respx.MockRouter
) -> None:
    add(
        db,
        settings,
        "li",
        "linkedin",
        {"api_url": LINKEDIN, "author_urn": "urn:li:organization:1"},
        {"access_token": TOKEN},
    )
    add(db, settings, "xx", "x", {"api_url": X_API}, {"access_token": TOKEN})
    mock.post(f"{LINKEDIN}/rest/posts").mock(side_effect=httpx.ReadTimeout("lost"))
    mock.post(f"{X_API}/2/tweets").mock(side_effect=httpx.WriteTimeout("lost"))

    for channel_id, platform in (("li", "linkedin"), ("xx", "x")):
        attempt = Attempt()
        err = await attempt.refused(publisher, request(channel_id))
        assert err.type == "AmbiguousPublish" and err.non_retryable, channel_id
        assert f"check the account on {platform}" in err.message
        # The heartbeat still says the call was in flight, so no later attempt could post blindly either.
        assert attempt.beats[-1]["stage"] == "publishing"


async def test_x_retries_a_clean_failure_but_not_an_attempt_cut_off_mid_call(
    db: Engine, settings: Settings, publisher: PublishActivities, mock: respx.MockRouter
) -> None:
    add(db, settings, "xx", "x", {"api_url": X_API}, {"access_token": TOKEN})
    tweets = mock.post(f"{X_API}/2/tweets")
    tweets.respond(503, json={"title": "Service Unavailable", "detail": "Service Unavailable"})
    first = Attempt()
    err = await first.refused(publisher, request("xx"))
    assert err.type == "TransientPlatformError" and not err.non_retryable

    tweets.respond(201, json={"data": {"id": "1445880548472328192", "text": "Spring sale starts today"}})
    assert (await first.next().publish(publisher, request("xx"))).external_id == "1445880548472328192"
    assert tweets.call_count == 2

    cut_off = Attempt(2, [{"stage": "publishing", "key": published_key("xx2")}])
    add(db, settings, "xx2", "x", {"api_url": X_API}, {"access_token": TOKEN})
    err = await cut_off.refused(publisher, request("xx2"))
    assert err.type == "AmbiguousPublish" and err.non_retryable and "cut off" in err.message
    assert tweets.call_count == 2


async def test_a_publication_heartbeated_before_a_failed_store_is_recorded_without_posting(
    db: Engine, settings: Settings, publisher: PublishActivities, mock: respx.MockRouter
) -> None:
    add(
        db,
        settings,
        "li",
        "linkedin",
        {"api_url": LINKEDIN, "author_urn": "urn:li:organization:1"},
        {"access_token": TOKEN},
    )
    posts = mock.post(f"{LINKEDIN}/rest/posts").respond(201, headers={"x-restli-id": "urn:li:share:1"})
    earlier = Publication(channel_id="li", external_id="urn:li:share:9", url="https://li/9", published_at=T0)
    details = {"stage": "published", "key": published_key("li"), "publication": earlier.model_dump(mode="json")}

    assert await Attempt(2, [details]).publish(publisher, request("li")) == earlier

    assert posts.call_count == 0 and recorded(db, "li") == earlier


# --- OAuth2 refresh and reconnection ------------------------------------------------------------------------


async def test_an_expired_x_token_is_refreshed_once_stored_sealed_and_the_post_goes_out(
    db: Engine, settings: Settings, publisher: PublishActivities, mock: respx.MockRouter
) -> None:
    secrets = {"access_token": TOKEN, "refresh_token": "refresh-1", "client_secret": "client-secret-1"}
    add(db, settings, "xx", "x", {"api_url": X_API, "client_id": "cid"}, secrets)
    tweets = mock.post(f"{X_API}/2/tweets").mock(
        side_effect=[
            httpx.Response(401, json={"title": "Unauthorized", "detail": "Unauthorized", "status": 401}),
            httpx.Response(201, json={"data": {"id": "77", "text": "x"}}),
        ]
    )
    token = mock.post(f"{X_API}/2/oauth2/token").respond(
        200,
        json={"token_type": "bearer", "expires_in": 7200, "access_token": "access-2", "refresh_token": "refresh-2"},
    )

    publication = await Attempt().publish(publisher, request("xx"))

    assert publication.external_id == "77" and token.call_count == 1
    assert [c.request.headers["Authorization"] for c in tweets.calls] == [f"Bearer {TOKEN}", "Bearer access-2"]
    channel = stored(db, "xx")
    assert channel.state == "active" and channel.token_expires_at is not None
    assert "access-2" not in str(channel.credentials)
    opened = open_channel(channel, keyring_for(settings))
    assert opened is not None
    assert (opened["access_token"], opened["refresh_token"], opened["client_secret"]) == (
        "access-2",
        "refresh-2",
        "client-secret-1",
    )


async def test_a_refused_refresh_marks_the_channel_for_reconnection_and_stops(
    db: Engine, settings: Settings, publisher: PublishActivities, mock: respx.MockRouter
) -> None:
    config = {
        "api_url": LINKEDIN,
        "author_urn": "urn:li:organization:1",
        "client_id": "cid",
        "token_url": LINKEDIN_TOKEN_URL,
    }
    secrets = {"access_token": TOKEN, "refresh_token": "refresh-1", "client_secret": "client-secret-1"}
    add(db, settings, "li", "linkedin", config, secrets)
    before = stored(db, "li").credentials
    posts = mock.post(f"{LINKEDIN}/rest/posts").respond(401, json={"status": 401, "message": "Expired access token"})
    mock.post(LINKEDIN_TOKEN_URL).respond(
        400, json={"error": "invalid_grant", "error_description": "The provided refresh token is expired"}
    )

    err = await Attempt().refused(publisher, request("li"))

    assert err.type == "ChannelNeedsReconnection" and err.non_retryable
    assert "reconnect" in err.message and "refresh-1" not in err.message
    channel = stored(db, "li")
    assert channel.state == "needs_reconnection" and "invalid_grant" in str(channel.state_reason)
    assert channel.credentials == before
    # Every later post on the channel is refused up front, without touching LinkedIn.
    again = await Attempt().refused(publisher, request("li"))
    assert again.type == "ChannelUnavailable" and again.non_retryable and "/reconnect" in again.message
    assert posts.call_count == 1


async def test_a_token_about_to_expire_is_refreshed_before_publishing(
    db: Engine, settings: Settings, publisher: PublishActivities, mock: respx.MockRouter
) -> None:
    secrets = {"access_token": TOKEN, "refresh_token": "refresh-1"}
    soon = datetime.now(UTC) + timedelta(minutes=1)
    add(db, settings, "xx", "x", {"api_url": X_API, "client_id": "cid"}, secrets, token_expires_at=soon)
    mock.post(f"{X_API}/2/oauth2/token").respond(200, json={"access_token": "access-2", "expires_in": 7200})
    tweets = mock.post(f"{X_API}/2/tweets").respond(201, json={"data": {"id": "78", "text": "x"}})

    await Attempt().publish(publisher, request("xx"))

    assert [c.request.headers["Authorization"] for c in tweets.calls] == ["Bearer access-2"]
    assert stored(db, "xx").token_expires_at > soon  # type: ignore[operator]


async def test_a_revoked_mastodon_token_marks_the_channel_for_reconnection(
    db: Engine, settings: Settings, publisher: PublishActivities, mock: respx.MockRouter
) -> None:
    add(db, settings, "masto", "mastodon", {"instance_url": MASTODON}, {"access_token": TOKEN})
    mock.post(f"{MASTODON}/api/v1/statuses").respond(401, json={"error": "The access token was revoked"})

    err = await Attempt().refused(publisher, request("masto"))

    assert err.type == "ChannelNeedsReconnection" and err.non_retryable
    assert stored(db, "masto").state == "needs_reconnection"


# --- channel state, media and rate ----------------------------------------------------------------------------


async def test_a_disabled_channel_is_refused_without_calling_the_platform(
    db: Engine, settings: Settings, publisher: PublishActivities, mock: respx.MockRouter
) -> None:
    add(
        db,
        settings,
        "masto",
        "mastodon",
        {"instance_url": MASTODON},
        {"access_token": TOKEN},
        state="disabled",
        state_reason="campaign paused",
    )
    err = await Attempt().refused(publisher, request("masto"))
    assert err.type == "ChannelUnavailable" and err.non_retryable
    assert "disabled" in err.message and "/enable" in err.message
    assert len(mock.calls) == 0


async def test_media_of_the_channels_variant_is_uploaded_with_its_alt_text(
    db: Engine, settings: Settings, publisher: PublishActivities, mock: respx.MockRouter
) -> None:
    add(db, settings, "masto", "mastodon", {"instance_url": MASTODON}, {"access_token": TOKEN})
    mock.get("https://media.example/cat.png").respond(200, content=b"\x89PNG...")
    upload = mock.post(f"{MASTODON}/api/v2/media").respond(200, json={"id": "m1", "url": "https://files/m1.png"})
    status = mock.post(f"{MASTODON}/api/v1/statuses").respond(200, json=STATUS)
    media = [MediaRef(url="https://media.example/cat.png", alt_text="A cat asleep")]

    await Attempt().publish(publisher, request("masto", variants=[Variant(channel_id="masto", media=media)]))

    assert b'name="description"\r\n\r\nA cat asleep' in upload.calls.last.request.content
    assert b"image/png" in upload.calls.last.request.content
    assert json.loads(status.calls.last.request.content)["media_ids"] == ["m1"]


async def test_a_channel_over_its_publishing_rate_waits_for_a_later_retry(
    db: Engine, tmp_path: Any, mock: respx.MockRouter
) -> None:
    settings = Settings(credential_keys=f"test={new_key()}", data_dir=tmp_path, publish_rate_per_minute={"x": 1})
    add(db, settings, "xx", "x", {"api_url": X_API}, {"access_token": TOKEN})
    tweets = mock.post(f"{X_API}/2/tweets").respond(201, json={"data": {"id": "79", "text": "x"}})
    async with httpx.AsyncClient() as http:
        publisher = PublishActivities(db, ChannelAdapters(http, "", settings=settings))
        await Attempt().publish(publisher, request("xx"))
        second = request("xx").model_copy(update={"post_id": "p2"})
        err = await Attempt().refused(publisher, second)
    assert err.type == "RateLimited" and not err.non_retryable
    assert err.next_retry_delay is not None and timedelta(seconds=50) < err.next_retry_delay <= timedelta(seconds=60)
    assert tweets.call_count == 1


async def test_metrics_are_read_with_the_stored_token(db: Engine, settings: Settings, mock: respx.MockRouter) -> None:
    add(db, settings, "masto", "mastodon", {"instance_url": MASTODON}, {"access_token": TOKEN})
    route = mock.get(f"{MASTODON}/api/v1/statuses/1099").respond(200, json=STATUS)
    record = request("masto").record.model_copy(update={"action": AuditAction.METRICS_COLLECTED, "seq": 6})
    req = MetricsRequest(post_id="p1", channel_id="masto", external_id="1099", offset_seconds=3600, record=record)
    async with httpx.AsyncClient() as http:
        metrics = MetricsActivities(db, ChannelAdapters(http, "", settings=settings))
        snapshot = await ActivityEnvironment().run(metrics.collect_metrics, req)
    assert (snapshot.likes, snapshot.shares, snapshot.replies) == (4, 2, 1)
    assert route.calls.last.request.headers["Authorization"] == f"Bearer {TOKEN}"
