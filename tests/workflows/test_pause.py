"""Crisis pause under time skipping: nothing publishes while paused, and each resume policy."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from api.service import create_draft, submit
from domain.lifecycle import DecideRequest, LifecycleState, Pause, RescheduleRequest, Resume
from domain.status import Decision, PostStatus, ResumePolicy
from history_recorder import keep_history
from settings import Settings
from store.engine import transaction
from store.publications import publications_of
from store.records import audit_trail
from worker import running_worker
from workflows.lifecycle import PostLifecycle


async def scheduled(env: WorkflowEnvironment, engine: Engine, tq: str, text: str, publish_in: timedelta):
    now = await env.get_current_time()
    post = create_draft(
        engine, workspace_id="acme", channel_ids=["sbx"], author="ed", text=text, publish_at=now + publish_in
    )
    handle = await submit(env.client, engine, post.id, task_queue=tq, followup_offsets=[60])
    state = await until(handle, env, lambda s: s.status is PostStatus.AWAITING_APPROVAL)
    decision = DecideRequest(actor="ann", decision=Decision.APPROVE, content_hash=state.revision.content_hash)
    await handle.execute_update(PostLifecycle.decide, decision)
    return post, handle


async def until(handle, env: WorkflowEnvironment, check) -> LifecycleState:
    for _ in range(300):
        state: LifecycleState = await handle.query(PostLifecycle.current)
        if check(state):
            return state
        await env.sleep(0.05)
    raise AssertionError(f"never reached; last state {state.status}")


async def paused_past_its_time(env, engine, tq, text):
    post, handle = await scheduled(env, engine, tq, text, timedelta(hours=1))
    await handle.signal(PostLifecycle.pause, Pause(actor="ada", reason="breaking news"))
    await until(handle, env, lambda s: s.paused is not None)
    await env.sleep(timedelta(hours=3))  # the post's time passes during the pause
    state = await handle.query(PostLifecycle.current)
    assert state.status is PostStatus.SCHEDULED and state.publication is None
    with transaction(engine) as session:
        assert publications_of(session, post.id) == []
    return post, handle


async def test_resume_and_publish_what_was_missed(time_env, seeded, worker):
    _, handle = await paused_past_its_time(time_env, seeded, worker, "Missed during the pause")
    await handle.signal(PostLifecycle.resume, Resume(actor="ada", policy=ResumePolicy.PUBLISH))
    final = await handle.result()
    assert final.status is PostStatus.DONE and final.paused is None
    await keep_history(handle, "paused_then_published")


async def test_resume_and_shift_by_the_length_of_the_pause(time_env, seeded, worker):
    post, handle = await paused_past_its_time(time_env, seeded, worker, "Shift me")
    planned = (await handle.query(PostLifecycle.current)).publish_at
    await handle.signal(PostLifecycle.resume, Resume(actor="ada", policy=ResumePolicy.SHIFT))
    final = await handle.result()
    assert final.status is PostStatus.DONE
    # Paused one hour before its time and resumed about two hours after it: shifted by the pause.
    assert final.publish_at - planned >= timedelta(hours=3)
    with transaction(seeded) as session:
        trail = audit_trail(session, post.id)
    shifted = next(e for e in trail if e.action == "resume_shifted")
    published = next(e for e in trail if e.action == "published")
    assert published.at >= final.publish_at and shifted.actor == "ada"
    await keep_history(handle, "paused_then_shifted")


async def test_resume_and_hold_for_a_new_time(time_env, seeded, worker):
    _, handle = await paused_past_its_time(time_env, seeded, worker, "Hold me")
    await handle.signal(PostLifecycle.resume, Resume(actor="ada", policy=ResumePolicy.HOLD, reason="review first"))
    await until(handle, time_env, lambda s: s.status is PostStatus.ON_HOLD)
    await time_env.sleep(timedelta(days=1))
    assert (await handle.query(PostLifecycle.current)).publication is None
    await handle.execute_update(PostLifecycle.reschedule, RescheduleRequest(actor="ed"))
    assert (await handle.result()).status is PostStatus.DONE


async def test_a_post_not_due_during_the_pause_keeps_its_time(time_env, seeded, worker):
    post, handle = await scheduled(time_env, seeded, worker, "Tomorrow as planned", timedelta(days=1))
    await handle.signal(PostLifecycle.pause, Pause(actor="ada", reason="drill"))
    await until(handle, time_env, lambda s: s.paused is not None)
    await handle.signal(PostLifecycle.resume, Resume(actor="ada", policy=ResumePolicy.SHIFT))
    state = await until(handle, time_env, lambda s: s.paused is None)
    final = await handle.result()
    assert final.publish_at == state.publish_at and final.status is PostStatus.DONE
    with transaction(seeded) as session:
        assert "resume_shifted" not in [e.action for e in audit_trail(session, post.id)]


async def test_a_pause_survives_a_worker_restart(dev_env, seeded, sandbox, task_queue):
    """On the real dev server: the worker stops while paused, its replacement rebuilds the hold from history."""
    settings = Settings(sandbox_url=sandbox.url, task_queue=task_queue)
    async with running_worker(dev_env.client, seeded, settings):
        post, handle = await scheduled_on(dev_env, seeded, task_queue, "Restart while paused", timedelta(seconds=2))
        await handle.signal(PostLifecycle.pause, Pause(actor="ada", reason="outage"))
        await until_real(handle, lambda s: s.paused is not None)
    async with running_worker(dev_env.client, seeded, settings):
        await asyncio.sleep(4)  # the post's time passes under the new worker
        with transaction(seeded) as session:
            assert publications_of(session, post.id) == []
        state = await until_real(handle, lambda s: s.paused is not None)
        assert state.status is PostStatus.SCHEDULED
        await handle.signal(PostLifecycle.resume, Resume(actor="ada", policy=ResumePolicy.PUBLISH))
        assert (await handle.result()).status is PostStatus.DONE
    with transaction(seeded) as session:
        assert len(publications_of(session, post.id)) == 1


async def scheduled_on(env, engine, tq, text, publish_in):
    post = create_draft(
        engine,
        workspace_id="acme",
        channel_ids=["sbx"],
        author="ed",
        text=text,
        publish_at=datetime.now(UTC) + publish_in,
    )
    handle = await submit(env.client, engine, post.id, task_queue=tq, followup_offsets=[1])
    state = await until_real(handle, lambda s: s.status is PostStatus.AWAITING_APPROVAL)
    decision = DecideRequest(actor="ann", decision=Decision.APPROVE, content_hash=state.revision.content_hash)
    await handle.execute_update(PostLifecycle.decide, decision)
    return post, handle


async def until_real(handle, check) -> LifecycleState:
    for _ in range(200):
        try:
            state: LifecycleState = await handle.query(PostLifecycle.current, rpc_timeout=timedelta(seconds=5))
        except RPCError:
            await asyncio.sleep(0.1)  # a restarted worker is still picking the workflow up
            continue
        if check(state):
            return state
        await asyncio.sleep(0.1)
    raise AssertionError("never reached")
