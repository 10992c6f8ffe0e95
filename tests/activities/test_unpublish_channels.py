"""The unpublish activity on a real platform's channel: Mastodon's documented DELETE /api/v1/statuses/:id,
with the channel's stored token, against the respx double of the contract tests (ActivityEnvironment)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import respx
from sqlalchemy.engine import Engine
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.channels import ChannelAdapters
from activities.unpublish import UnpublishActivities
from domain.lifecycle import Publication, RevisionRef, UnpublishChannelRequest
from settings import Settings
from store.credentials import keyring_for, new_key, seal_channel
from store.engine import transaction
from store.posts import add_post
from store.publications import add_publication, idempotency_key, publications_of
from store.tables import Channel, Post, Workspace
from store.workspaces import add_channel, add_workspace

MASTODON = "https://social.example"
TOKEN = "tok-5ecret-0123456789"
STATUS_ID = "103270115826048975"


@pytest.fixture
def settings(tmp_path: Any) -> Settings:
    return Settings(credential_keys=f"test={new_key()}", credential_key_id="test", data_dir=tmp_path)


@pytest.fixture
def db(engine: Engine, settings: Settings) -> Engine:
    with transaction(engine) as session:
        add_workspace(session, Workspace(id="acme", name="Acme"))
        channel = Channel(
            id="masto",
            workspace_id="acme",
            name="masto",
            platform="mastodon",
            settings=json.dumps({"instance_url": MASTODON}),
        )
        seal_channel(channel, keyring_for(settings), {"access_token": TOKEN})
        add_channel(session, channel)
        # The post says which workspace's channel 'masto' is (channel ids are per workspace).
        add_post(
            session,
            Post(
                id="p1",
                workspace_id="acme",
                channel_id="masto",
                channel_ids=json.dumps(["masto"]),
                author="ed",
                status="published",
                content_hash="h1",
                publish_at=datetime.now(UTC),
            ),
            RevisionRef(number=1, text="Our new price", content_hash="h1", author="ed"),
        )
        publication = Publication(
            channel_id="masto",
            external_id=STATUS_ID,
            url=f"{MASTODON}/@acme/{STATUS_ID}",
            published_at=datetime.now(UTC),
        )
        add_publication(session, idempotency_key("p1", 1, "masto"), "p1", 1, publication)
    return engine


@pytest.fixture
async def unpublisher(db: Engine, settings: Settings) -> AsyncIterator[UnpublishActivities]:
    async with httpx.AsyncClient(timeout=httpx.Timeout(5.0)) as http:
        yield UnpublishActivities(db, ChannelAdapters(http, "http://sandbox.invalid", settings=settings))


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        yield router


REQUEST = UnpublishChannelRequest(post_id="p1", channel_id="masto", external_id=STATUS_ID, reason="wrong price")


async def test_mastodon_status_is_deleted_with_the_stored_token_once(db, unpublisher, mock) -> None:
    route = mock.delete(f"{MASTODON}/api/v1/statuses/{STATUS_ID}").respond(200, json={"id": STATUS_ID})

    first = await ActivityEnvironment().run(unpublisher.unpublish, REQUEST)
    again = await ActivityEnvironment().run(unpublisher.unpublish, REQUEST)

    assert (first.outcome, again.outcome) == ("deleted", "already_unpublished")
    assert route.call_count == 1  # the repeat asks nobody: our record says it is down
    assert route.calls.last.request.headers["Authorization"] == f"Bearer {TOKEN}"
    with transaction(db) as session:
        [row] = publications_of(session, "p1")
    assert row.unpublished_at is not None and row.unpublish_reason == "wrong price"


async def test_a_status_mastodon_already_lost_counts_as_deleted(db, unpublisher, mock) -> None:
    mock.delete(f"{MASTODON}/api/v1/statuses/{STATUS_ID}").respond(404, json={"error": "Record not found"})
    result = await ActivityEnvironment().run(unpublisher.unpublish, REQUEST)
    assert result.outcome == "deleted"


async def test_a_server_error_is_retried_and_a_revoked_token_is_not(db, unpublisher, mock) -> None:
    route = mock.delete(f"{MASTODON}/api/v1/statuses/{STATUS_ID}")
    route.respond(503, json={"error": "busy"})
    with pytest.raises(ApplicationError) as busy:
        await ActivityEnvironment().run(unpublisher.unpublish, REQUEST)
    assert not busy.value.non_retryable
    route.respond(401, json={"error": "The access token was revoked"})
    with pytest.raises(ApplicationError) as revoked:
        await ActivityEnvironment().run(unpublisher.unpublish, REQUEST)
    assert revoked.value.non_retryable and "reconnect" in str(revoked.value)
    with transaction(db) as session:
        assert [r.unpublished_at for r in publications_of(session, "p1")] == [None]
