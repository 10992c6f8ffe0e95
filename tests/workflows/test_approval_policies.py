"""Approval policies under time skipping: ordered steps, quorums, separation of duties, request changes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.engine import Engine
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from api.service import ServiceError, create_draft, submit
from domain.approval import ApprovalPolicy, ApprovalStep
from domain.lifecycle import DecideRequest, LifecycleState, ReviseRequest
from domain.status import Decision, PostStatus
from history_recorder import keep_history
from lifecycle_waits import until
from settings import Settings
from store.accounts import add_member
from store.engine import transaction
from store.records import audit_trail
from store.tables import Workspace
from worker import running_worker
from workflows.lifecycle import PostLifecycle


@pytest.fixture
async def worker(time_env: WorkflowEnvironment, seeded: Engine, sandbox, task_queue: str) -> AsyncIterator[str]:
    with transaction(seeded) as session:
        add_member(session, "acme", "cat", "approver", name="Cat Approver")
        add_member(session, "acme", "lee", "approver", name="Lee Legal")
    async with running_worker(time_env.client, seeded, Settings(sandbox_url=sandbox.url, task_queue=task_queue)):
        yield task_queue


def set_policy(engine: Engine, policy: ApprovalPolicy) -> None:
    with transaction(engine) as session:
        workspace = session.get(Workspace, "acme")
        assert workspace is not None
        workspace.approval_policy = policy.model_dump_json()


async def awaiting(env: WorkflowEnvironment, engine: Engine, tq: str, text: str = "Policy test"):
    now = await env.get_current_time()
    post = create_draft(engine, workspace_id="acme", channel_ids=["sbx"], author="ed", text=text, publish_at=now)
    handle = await submit(env.client, engine, post.id, task_queue=tq, followup_offsets=[60])
    return post, handle, await until(handle, env, PostStatus.AWAITING_APPROVAL)


async def decide(handle, state: LifecycleState, actor: str, decision: Decision = Decision.APPROVE, comment: str = ""):
    request = DecideRequest(actor=actor, decision=decision, content_hash=state.revision.content_hash, comment=comment)
    return await handle.execute_update(PostLifecycle.decide, request)


async def refused(handle, state: LifecycleState, actor: str) -> ApplicationError:
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await decide(handle, state, actor)
    assert isinstance(err.value.cause, ApplicationError)
    return err.value.cause


async def test_two_of_three_approvers(time_env, seeded, worker):
    set_policy(seeded, ApprovalPolicy(steps=[ApprovalStep(name="review", roles=["approver"], quorum=2)]))
    _, handle, state = await awaiting(time_env, seeded, worker)
    first = await decide(handle, state, "ann")
    assert first.status is PostStatus.AWAITING_APPROVAL
    assert (await refused(handle, state, "ann")).type == "AlreadyDecided"
    second = await decide(handle, state, "cat")
    assert second.status is PostStatus.SCHEDULED
    assert (await handle.result()).status is PostStatus.DONE


async def test_all_of_named_users(time_env, seeded, worker):
    set_policy(seeded, ApprovalPolicy(steps=[ApprovalStep(name="leads", users=["ann", "bob"], quorum="all")]))
    post, handle, state = await awaiting(time_env, seeded, worker)
    assert (await refused(handle, state, "cat")).type == "NotAnApprover"
    await decide(handle, state, "bob")
    assert (await handle.query(PostLifecycle.current)).status is PostStatus.AWAITING_APPROVAL
    await decide(handle, state, "ann")
    assert (await handle.result()).status is PostStatus.DONE
    with transaction(seeded) as session:
        approvals = [e for e in audit_trail(session, post.id) if e.action == "approved"]
    assert ['"needed": 2' in e.detail for e in approvals] == [True, True]


async def test_ordered_steps_and_one_person_one_step(time_env, seeded, worker):
    policy = ApprovalPolicy(
        steps=[
            ApprovalStep(name="brand", roles=["approver"]),
            ApprovalStep(name="legal", users=["lee", "ann"]),
        ],
        distinct_signers=True,
    )
    set_policy(seeded, policy)
    _, handle, state = await awaiting(time_env, seeded, worker)
    await decide(handle, state, "ann")
    current = await handle.query(PostLifecycle.current)
    assert current.step == 1 and current.status is PostStatus.AWAITING_APPROVAL
    # ann may sign "legal" by name, but she already signed "brand": the workspace forbids two steps.
    assert (await refused(handle, state, "ann")).type == "SeparationOfDuties"
    assert (await refused(handle, state, "bob")).type == "NotAnApprover"
    await decide(handle, state, "lee")
    assert (await handle.result()).status is PostStatus.DONE
    history = await handle.fetch_history()
    accepted = [e for e in history.events if e.HasField("workflow_execution_update_accepted_event_attributes")]
    assert len(accepted) == 2  # refusals never entered history
    await keep_history(handle, "two_steps_distinct_signers")


async def test_request_changes_goes_back_to_the_editor(time_env, seeded, worker):
    set_policy(seeded, ApprovalPolicy(steps=[ApprovalStep(name="review", roles=["approver"], quorum=2)]))
    post, handle, state = await awaiting(time_env, seeded, worker, "Sale ends Friday")
    await decide(handle, state, "ann")
    changed = await decide(handle, state, "bob", Decision.REQUEST_CHANGES, "say which Friday")
    assert changed.status is PostStatus.CHANGES_NEEDED
    await handle.execute_update(PostLifecycle.revise, ReviseRequest(actor="ed", text="Sale ends Friday 5 June"))
    state = await until(handle, time_env, PostStatus.AWAITING_APPROVAL)
    assert state.step == 0 and state.decisions == []  # ann's earlier approval no longer counts
    await decide(handle, state, "ann")
    await decide(handle, state, "bob")
    assert (await handle.result()).revision.number == 2
    with transaction(seeded) as session:
        trail = audit_trail(session, post.id)
    requested = next(e for e in trail if e.action == "changes_requested")
    assert requested.actor == "bob" and "say which Friday" in requested.detail
    await keep_history(handle, "changes_requested_then_quorum")


async def test_a_policy_nobody_can_meet_is_refused_at_submit(time_env, seeded, worker):
    set_policy(seeded, ApprovalPolicy(steps=[ApprovalStep(name="board", users=["ed"], quorum="any")]))
    now = await time_env.get_current_time()
    post = create_draft(seeded, workspace_id="acme", channel_ids=["sbx"], author="ed", text="x", publish_at=now)
    with pytest.raises(ServiceError) as err:
        await submit(time_env.client, seeded, post.id, task_queue=worker, followup_offsets=[60])
    assert err.value.status == 422 and "board" in err.value.message
