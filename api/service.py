"""What the API does to posts, callable without HTTP (the demo and the benchmark use it too)."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from temporalio.client import Client, WorkflowHandle
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from domain.approval import ResolvedPolicy, resolve
from domain.content import Variant, content_hash
from domain.lifecycle import LifecycleInput, Pause, RevisionRef, TransitionRecord, workflow_id_for
from domain.status import AuditAction, LatePolicy, PostStatus
from store.accounts import group_members, member_roles
from store.engine import transaction
from store.posts import add_post, add_revision, channel_ids, latest_revision, latest_revision_ref, lock_post
from store.records import next_seq, record_transitions
from store.tables import Post
from store.workspaces import approval_policy, get_workspace
from workflows.lifecycle import PostLifecycle
from workflows.search_attributes import POST_STATUS, PUBLISH_AT, WORKSPACE_ID


class ServiceError(Exception):
    """A business error with the HTTP status it means."""

    def __init__(self, status: int, error: str, message: str, details: object = None) -> None:
        super().__init__(message)
        self.status, self.error, self.message, self.details = status, error, message, details


def new_post_id() -> str:
    return uuid.uuid4().hex


def create_draft(
    engine: Engine,
    *,
    workspace_id: str,
    channel_ids: list[str],
    author: str,
    text: str,
    publish_at: datetime | None,
    publish_zone: str | None = None,
    variants: list[Variant] | None = None,
) -> Post:
    post_id = new_post_id()
    revision = RevisionRef(
        number=1, text=text, content_hash=content_hash(text, variants), author=author, variants=variants or []
    )
    now = datetime.now(UTC)
    with transaction(engine) as session:
        post = add_post(
            session,
            Post(
                id=post_id,
                workspace_id=workspace_id,
                channel_id=channel_ids[0],
                channel_ids=json.dumps(channel_ids),
                author=author,
                status=PostStatus.DRAFT.value,
                content_hash=revision.content_hash,
                publish_at=publish_at or now,
                publish_zone=publish_zone,
            ),
            revision,
        )
        record_transitions(
            session,
            [_draft_record(post, revision, AuditAction.CREATED, author, seq=1, at=now)],
        )
    return post


def revise_draft(
    engine: Engine, post: Post, *, actor: str, text: str, variants: list[Variant] | None = None
) -> RevisionRef | None:
    """A new revision of a draft; None when the post is no longer a draft (its workflow owns it now).

    Under the post's row lock, so it serialises with a submission and with other draft changes."""
    strangers = sorted({v.channel_id for v in variants or []} - set(channel_ids(post)))
    if strangers:
        raise ServiceError(
            422, "invalid_input", f"variants for {', '.join(strangers)}, which this post does not target"
        )
    with transaction(engine) as session:
        row = lock_post(session, post.id)
        if row is None or row.status != PostStatus.DRAFT.value:
            return None
        current = latest_revision(session, post.id)
        number = (current.number if current else 0) + 1
        revision = RevisionRef(
            number=number,
            text=text,
            content_hash=content_hash(text, variants),
            author=actor,
            variants=variants or [],
        )
        if current is not None and current.content_hash == revision.content_hash:
            raise ServiceError(422, "invalid_input", "the revision changes nothing")
        add_revision(session, post.id, revision)
        seq = next_seq(session, workflow_id_for(post.id))
        record_transitions(
            session,
            [_draft_record(row, revision, AuditAction.DRAFT_REVISED, actor, seq=seq, at=datetime.now(UTC))],
        )
    return revision


def reschedule_draft(engine: Engine, post: Post, *, actor: str, publish_at: datetime, zone: str | None) -> bool:
    """Move a draft's time; False when the post is no longer a draft (its workflow owns it now)."""
    with transaction(engine) as session:
        row = lock_post(session, post.id)
        if row is None or row.status != PostStatus.DRAFT.value:
            return False
        seq = next_seq(session, workflow_id_for(post.id))
        ref = latest_revision_ref(session, post.id)
        record = _draft_record(row, ref, AuditAction.RESCHEDULED, actor, seq=seq, at=datetime.now(UTC))
        record_transitions(
            session,
            [
                record.model_copy(
                    update={
                        "publish_at": publish_at,
                        "detail": {"from": row.publish_at.isoformat(), "to": publish_at.isoformat(), "zone": zone},
                    }
                )
            ],
        )
        row.publish_zone = zone
        session.add(row)
    return True


def _draft_record(
    post: Post, revision: RevisionRef, action: AuditAction, actor: str, *, seq: int, at: datetime
) -> TransitionRecord:
    return TransitionRecord(
        workflow_id=workflow_id_for(post.id),
        post_id=post.id,
        workspace_id=post.workspace_id,
        seq=seq,
        action=action,
        actor=actor,
        revision=revision.number,
        content_hash=revision.content_hash,
        status=PostStatus.DRAFT,
        at=at,
    )


@dataclass
class Submission:
    """What a draft's workflow starts with, reserved under the post's row lock."""

    post: Post
    revision: RevisionRef
    first_seq: int
    late_policy: LatePolicy
    approval: ResolvedPolicy
    paused: Pause | None


def reserve_submission(engine: Engine, post_id: str) -> Submission:
    """Take the post out of the editors' hands: in one transaction under its row lock, draft -> submitting,
    with the revision and the first sequence number the workflow starts from. No draft change can come
    between (they take the same lock and find the post no longer a draft), so nothing can take that seq."""
    with transaction(engine) as session:
        post = lock_post(session, post_id)
        if post is None:
            raise ServiceError(404, "not_found", f"post {post_id} does not exist")
        if post.status != PostStatus.DRAFT.value:
            raise ServiceError(409, "already_submitted", f"post {post_id} is already {post.status}")
        ref = latest_revision_ref(session, post_id)
        workspace = get_workspace(session, post.workspace_id)
        policy = LatePolicy(workspace.late_policy) if workspace else LatePolicy.PUBLISH
        try:
            rules = approval_policy(session, post.workspace_id, channel_ids(post))
            approval = resolve(
                rules,
                member_roles(session, post.workspace_id),
                author=post.author,
                groups=group_members(session, post.workspace_id, {g for s in rules.steps for g in s.groups}),
            )
        except ValueError as err:
            raise ServiceError(422, "approval_policy_unsatisfiable", str(err)) from err
        paused = None
        if workspace is not None and workspace.paused_since is not None:
            paused = Pause(
                actor=workspace.paused_by or "", reason=workspace.pause_reason or "", since=workspace.paused_since
            )
        post.status = PostStatus.SUBMITTING.value
        post.updated_at = datetime.now(UTC)  # how long it has been submitting, for the periodic check
        session.add(post)
        return Submission(post, ref, next_seq(session, workflow_id_for(post_id)), policy, approval, paused)


def release_submission(engine: Engine, post_id: str) -> bool:
    """The workflow did not start: submitting -> draft again (compare-and-set); False if it had moved on."""
    with transaction(engine) as session:
        post = lock_post(session, post_id)
        if post is None or post.status != PostStatus.SUBMITTING.value:
            return False
        post.status = PostStatus.DRAFT.value
        session.add(post)
        return True


def not_submitted(post_id: str, reason: str) -> ServiceError:
    """The answer when a draft's workflow could not start: the draft is kept, and how to submit it again."""
    return ServiceError(
        502,
        "not_submitted",
        f"the draft {post_id} is saved but was not submitted: {reason}. It is a draft again; submit it "
        f"again with POST /posts/{post_id}/submit once the cause is fixed",
        details={"post_id": post_id, "status": PostStatus.DRAFT.value, "submit": f"/posts/{post_id}/submit"},
    )


async def submit(
    client: Client,
    engine: Engine,
    post_id: str,
    *,
    task_queue: str,
    followup_offsets: list[int],
    late_policy: LatePolicy | None = None,
    history_limit: int | None = None,
    submitted_by: str | None = None,
) -> WorkflowHandle[PostLifecycle, object]:
    """Start the post's lifecycle workflow; a post is submitted once (its row's status and the workflow id
    guarantee it). The workspace's late policy applies unless `late_policy` is given.

    When the start fails the post is a draft again and ServiceError `not_submitted` says so; when it is
    unknown whether the start happened (the workflow service cannot say), the post stays `submitting`
    until the periodic check (store.post_agreement) settles it from what Temporal has.
    """
    sub = await asyncio.to_thread(reserve_submission, engine, post_id)
    post = sub.post
    workflow_id = workflow_id_for(post.id)
    try:
        return await client.start_workflow(
            PostLifecycle.run,
            LifecycleInput(
                post_id=post.id,
                workspace_id=post.workspace_id,
                channel_id=post.channel_id,
                channel_ids=channel_ids(post),
                author=post.author,
                submitted_by=submitted_by,
                revision=sub.revision,
                publish_at=post.publish_at,
                publish_zone=post.publish_zone,
                followup_offsets=followup_offsets,
                first_seq=sub.first_seq,
                late_policy=late_policy or sub.late_policy,
                approval=sub.approval,
                paused=sub.paused,
                history_limit=history_limit,
            ),
            id=workflow_id,
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            search_attributes=TypedSearchAttributes(
                [
                    SearchAttributePair(POST_STATUS, PostStatus.BRAND_CHECK.value),
                    SearchAttributePair(WORKSPACE_ID, post.workspace_id),
                    SearchAttributePair(PUBLISH_AT, post.publish_at),
                ]
            ),
        )
    except WorkflowAlreadyStartedError:
        raise  # a workflow exists: it owns the post; the periodic check brings the store in line
    except Exception as err:
        exists = await _workflow_exists(client, workflow_id)
        if exists is None:
            raise  # unknown: the post stays `submitting` until the periodic check settles it
        if exists:
            return client.get_workflow_handle_for(PostLifecycle.run, workflow_id)  # it started after all
        await asyncio.to_thread(release_submission, engine, post_id)
        raise not_submitted(post_id, err.message if isinstance(err, RPCError) else str(err)) from err


async def _workflow_exists(client: Client, workflow_id: str) -> bool | None:
    """Whether Temporal has the workflow; None when it cannot say."""
    try:
        await client.get_workflow_handle(workflow_id).describe()
    except RPCError as err:
        return False if err.status is RPCStatusCode.NOT_FOUND else None
    return True
