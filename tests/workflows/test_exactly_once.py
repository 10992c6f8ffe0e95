"""Exactly-once publishing against the sandbox over real HTTP, with injected faults (5xx, 429, ambiguous
timeouts, revoked tokens): every approved post appears once on the platform, none is lost."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from api.service import create_draft, submit
from domain.lifecycle import DecideRequest, RetryRequest
from domain.status import Decision, PostStatus
from history_recorder import keep_history
from lifecycle_waits import until
from notify_receivers import SECRET, webhook_receiver
from settings import Settings
from store.credentials import keyring_for
from store.engine import transaction
from store.notifications import add_target
from store.publications import publications_of
from store.records import audit_trail
from store.tables import NotificationTarget
from workflows.lifecycle import PostLifecycle


@pytest.fixture
def faults(sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.url, timeout=10) as http:
        yield http
        http.delete("/api/channels/sbx/faults")


async def approved(env: WorkflowEnvironment, engine: Engine, tq: str, text: str):
    now = await env.get_current_time()
    post = create_draft(engine, workspace_id="acme", channel_ids=["sbx"], author="ed", text=text, publish_at=now)
    handle = await submit(env.client, engine, post.id, task_queue=tq, followup_offsets=[60])
    state = await until(handle, env, PostStatus.AWAITING_APPROVAL)
    decision = DecideRequest(actor="ann", decision=Decision.APPROVE, content_hash=state.revision.content_hash)
    await handle.execute_update(PostLifecycle.decide, decision)
    return post, handle


def held(http: httpx.Client, text: str) -> list[dict]:
    return [p for p in http.get("/api/posts", params={"channel": "sbx"}).json()["posts"] if p["text"] == text]


async def test_transient_faults_and_an_ambiguous_timeout_still_publish_once(time_env, seeded, worker, faults):
    r = faults.put("/api/channels/sbx/faults", json={"fail_5xx": 2, "rate_limit": 1, "retry_after": 30, "ambiguous": 1})
    assert r.status_code == 200
    post, handle = await approved(time_env, seeded, worker, "Through the storm")
    final = await handle.result()
    assert final.status is PostStatus.DONE
    report = faults.get("/api/channels/sbx/faults").json()
    assert report["injected"] == {"fail_5xx": 2, "rate_limit": 1, "ambiguous": 1}
    on_platform = held(faults, "Through the storm")
    assert len(on_platform) == 1 and final.publication is not None
    assert final.publication.external_id == on_platform[0]["id"]  # the post the ambiguous attempt stored
    with transaction(seeded) as session:
        assert len(publications_of(session, post.id)) == 1
        assert [e.action for e in audit_trail(session, post.id)].count("published") == 1


async def test_revoked_token_fails_the_post_with_the_reason_and_a_retry_publishes_once(
    time_env, seeded, worker, faults
):
    faults.put("/api/channels/sbx/faults", json={"revoked": True})
    with webhook_receiver() as (receiver, url):
        with transaction(seeded) as session:
            target = NotificationTarget(workspace_id="acme", kind="webhook", url=f"{url}/200/x")
            add_target(session, target, secret=SECRET, keyring=keyring_for(Settings()))
        post, handle = await approved(time_env, seeded, worker, "After reconnecting")
        failed = await until(handle, time_env, PostStatus.PUBLISH_FAILED)
        assert failed.failure is not None and "reconnect the account" in failed.failure
        assert held(faults, "After reconnecting") == []
        # The team hears of it at once, with the platform's reason and what to do.
        for _ in range(100):
            if receiver.calls:
                break
            await time_env.sleep(0.05)
        [notice] = [json.loads(call.body) for call in receiver.calls if call.verified]
        assert notice["kind"] == "publish_failed" and notice["post_id"] == post.id
        assert "reconnect the account" in notice["body"] and "retry" in notice["body"]

    faults.delete("/api/channels/sbx/faults")  # the account is reconnected
    await handle.execute_update(PostLifecycle.retry_publish, RetryRequest(actor="ed"))
    final = await handle.result()
    assert final.status is PostStatus.DONE
    assert len(held(faults, "After reconnecting")) == 1
    await keep_history(handle, "publish_failed_notified_then_retried")
