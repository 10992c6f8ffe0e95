"""Approval deadlines: reminders, escalation to backup approvers, and the expiry action (expire or hold),
each delivered as a signed webhook to a real receiver. Time-skipping server, real activities, SQLite."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from temporalio.client import WorkflowUpdateFailedError

from api.service import create_draft, submit
from domain.approval import ApprovalPolicy, ApprovalStep, StepDeadline
from domain.lifecycle import DecideRequest, LifecycleState, RescheduleRequest, WithdrawRequest
from domain.status import Decision, PostStatus
from history_recorder import keep_history
from lifecycle_waits import until
from notify_receivers import SECRET, WebhookReceiver, webhook_receiver
from settings import Settings
from store.credentials import keyring_for
from store.engine import transaction
from store.notifications import add_target
from store.records import audit_trail
from store.tables import NotificationTarget, Workspace
from workflows.lifecycle import PostLifecycle

HOUR = 3600


@pytest.fixture
def receiver(seeded: Engine) -> Iterator[WebhookReceiver]:
    with webhook_receiver() as (receiver, url):
        with transaction(seeded) as session:
            target = NotificationTarget(workspace_id="acme", kind="webhook", url=f"{url}/200/acme")
            add_target(session, target, secret=SECRET, keyring=keyring_for(Settings()))
        yield receiver


def use_policy(engine: Engine, deadline: StepDeadline) -> None:
    policy = ApprovalPolicy(steps=[ApprovalStep(name="review", users=["ann"], deadline=deadline)])
    with transaction(engine) as session:
        workspace = session.get(Workspace, "acme")
        assert workspace is not None
        workspace.approval_policy = policy.model_dump_json()
        session.add(workspace)


async def start(env, engine, tq, text, publish_in: timedelta):
    now = await env.get_current_time()
    post = create_draft(
        engine, workspace_id="acme", channel_ids=["sbx"], author="ed", text=text, publish_at=now + publish_in
    )
    return post, await submit(env.client, engine, post.id, task_queue=tq, followup_offsets=[60])


def trail(engine: Engine, post_id: str):
    with transaction(engine) as session:
        return [(e.action, e.status, e.at, json.loads(e.detail)) for e in audit_trail(session, post_id)]


def delivered(receiver: WebhookReceiver) -> list[dict]:
    assert all(call.verified for call in receiver.calls), "every notification is signed and verifiable"
    return [json.loads(call.body) for call in receiver.calls]


async def test_unsigned_step_is_reminded_escalated_and_expires_on_time(time_env, seeded, worker, receiver):
    use_policy(
        seeded,
        StepDeadline(
            after=4 * HOUR,
            reminders=[2 * HOUR, HOUR],
            escalate_to_users=["bob"],
            escalation_grace=2 * HOUR,
            on_expiry="expire",
        ),
    )
    post, handle = await start(time_env, seeded, worker, "Due in four hours, please.", timedelta(days=2))

    final: LifecycleState = await handle.result()  # nobody signs: time runs to the expiry

    assert final.status is PostStatus.EXPIRED
    entries = trail(seeded, post.id)
    opened = next(at for action, _, at, _ in entries if action == "brand_checked")
    timeline = [(a, round((at - opened).total_seconds() / 60)) for a, _, at, _ in entries if at > opened]
    assert timeline == [
        ("reminder_sent", 120),
        ("reminder_sent", 180),
        ("escalated", 240),
        ("expired", 360),
    ]
    reminders = [d for a, _, _, d in entries if a == "reminder_sent"]
    assert all(d["recipients"] == ["ann"] for d in reminders)
    assert next(d for a, _, _, d in entries if a == "escalated")["backup"] == ["bob"]
    notices = delivered(receiver)
    assert [n["kind"] for n in notices] == ["reminder", "reminder", "escalation", "expired"]
    assert all(n["post_id"] == post.id and "review" in n["subject"] for n in notices)
    assert notices[2]["recipients"] == ["bob"]
    assert len({n["id"] for n in notices}) == 4  # each its own dedupe key
    await keep_history(handle, "deadline_reminded_escalated_expired")


async def test_after_escalation_the_backup_approver_may_sign(time_env, seeded, worker, receiver):
    use_policy(seeded, StepDeadline(after=4 * HOUR, escalate_to_users=["bob"]))
    _, handle = await start(time_env, seeded, worker, "Backup approval works.", timedelta(days=2))
    state = await until(handle, time_env, PostStatus.AWAITING_APPROVAL)
    decision = DecideRequest(actor="bob", decision=Decision.APPROVE, content_hash=state.revision.content_hash)
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(PostLifecycle.decide, decision)
    assert "not an approver" in str(refused.value.cause)

    await time_env.sleep(4 * HOUR + 60)
    assert "escalated" in (await handle.query(PostLifecycle.current)).deadline_marks
    outcome = await handle.execute_update(PostLifecycle.decide, decision)

    assert outcome.status is PostStatus.SCHEDULED
    assert [n["kind"] for n in delivered(receiver)] == ["escalation"]
    # End the lifecycle: the time-skipping server is shared, and a workflow left waiting stalls its clock.
    await handle.execute_update(PostLifecycle.withdraw, WithdrawRequest(actor="ed"))
    assert (await handle.result()).status is PostStatus.WITHDRAWN


async def test_overdue_step_holds_the_post_until_it_is_rescheduled(time_env, seeded, worker, receiver):
    use_policy(seeded, StepDeadline(before_publish=HOUR, on_expiry="hold"))
    post, handle = await start(time_env, seeded, worker, "Approve an hour ahead.", timedelta(hours=3))
    await until(handle, time_env, PostStatus.AWAITING_APPROVAL)

    await time_env.sleep(2 * HOUR + 60)
    held = await until(handle, time_env, PostStatus.ON_HOLD)
    assert held.hold_reason == "approval overdue"
    now = await time_env.get_current_time()
    # No decision while held.
    approve = DecideRequest(actor="ann", decision=Decision.APPROVE, content_hash=held.revision.content_hash)
    with pytest.raises(WorkflowUpdateFailedError):
        await handle.execute_update(PostLifecycle.decide, approve)

    moved = await handle.execute_update(
        PostLifecycle.reschedule, RescheduleRequest(actor="ed", publish_at=now + timedelta(days=1))
    )
    assert moved.status is PostStatus.AWAITING_APPROVAL and moved.hold_reason is None
    await handle.execute_update(PostLifecycle.decide, approve)
    final: LifecycleState = await handle.result()

    assert final.status is PostStatus.DONE
    actions = [a for a, _, _, _ in trail(seeded, post.id)]
    assert actions[actions.index("held") :][:4] == ["held", "rescheduled", "approved", "published"]
    assert [n["kind"] for n in delivered(receiver)] == ["expired"]
    await keep_history(handle, "deadline_overdue_hold_rescheduled")
