"""Posts: create, submit, revise, decide, read, list, and the audit trail."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import partial
from typing import Annotated, TypeVar

from fastapi import APIRouter, Header, HTTPException, Query
from pydantic import AwareDatetime
from temporalio.client import WorkflowHandle
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from api.deps import Actor, ContextDep, CurrentUser, own_workspace, require_role
from api.errors import WORKFLOW_ERRORS, error_responses
from api.pagination import page
from api.post_channels import publish_retries, with_unpublished
from api.schemas import (
    AuditEntryPublic,
    AuditTrail,
    DecisionCreate,
    PostCreate,
    PostList,
    PostPublic,
    PostSummary,
    RetryChoice,
    RevisionCreate,
    RevisionPublic,
    ScheduleChange,
    Withdrawal,
)
from api.service import ServiceError, create_draft, reschedule_draft, revise_draft, submit
from domain.lifecycle import (
    ChannelState,
    DecideRequest,
    LifecycleState,
    RescheduleRequest,
    RetryRequest,
    ReviseRequest,
    WithdrawRequest,
    workflow_id_for,
)
from domain.status import PostStatus
from store.engine import transaction
from store.idempotency import Claim, KeyReused, answer_of, claim_key, keep_answer
from store.posts import channel_ids, get_post, latest_revision_ref, list_posts
from store.records import audit_trail
from store.tables import Post
from store.workspaces import get_channel, get_workspace
from workflows.lifecycle import PostLifecycle

router = APIRouter(prefix="/posts", tags=["posts"])
QUERY_TIMEOUT = timedelta(seconds=5)
# How long a change waits for the workflow of a post being submitted to start (it takes milliseconds).
SUBMIT_WAIT_ROUNDS, SUBMIT_WAIT_S = 100, 0.05
# How long a repeated request waits for the first one's answer: longer than the first's own view query.
FIRST_ANSWER_ROUNDS = int(3 * QUERY_TIMEOUT.total_seconds() / SUBMIT_WAIT_S)
T = TypeVar("T")


def _load_visible_post(ctx: ContextDep, user: Actor, post_id: str, *roles: str) -> Post:
    """The post if the user is a member of its workspace (404 otherwise) with one of the roles, if any (403)."""
    with transaction(ctx.engine) as session:
        post = get_post(session, post_id)
    not_found = f"post '{post_id}' not found"
    if post is None:
        raise HTTPException(404, not_found)
    member = own_workspace(user, post.workspace_id, not_found=not_found)
    if roles:
        require_role(member, *roles)
    return post


async def _visible_post(ctx: ContextDep, user: Actor, post_id: str, *roles: str) -> Post:
    """_load_visible_post, off the event loop."""
    return await asyncio.to_thread(_load_visible_post, ctx, user, post_id, *roles)


def _handle(ctx: ContextDep, post_id: str) -> WorkflowHandle[PostLifecycle, LifecycleState]:
    return ctx.client.get_workflow_handle_for(PostLifecycle.run, workflow_id_for(post_id))


def _state_from_store(ctx: ContextDep, post: Post) -> LifecycleState:
    """The projection, for drafts (no workflow yet) and when no worker can answer a query."""
    with transaction(ctx.engine) as session:
        post = get_post(session, post.id) or post  # as it is now, not as the request first read it
        revision = latest_revision_ref(session, post.id)
    return LifecycleState(
        post_id=post.id,
        workspace_id=post.workspace_id,
        channel_id=post.channel_id,
        author=post.author,
        status=PostStatus(post.status),
        revision=revision,
        last_editor=revision.author,
        publish_at=post.publish_at,
        publish_zone=post.publish_zone,
        followup_offsets=[],
        channels=[ChannelState(channel_id=c) for c in channel_ids(post)],
    )


async def _view(ctx: ContextDep, post: Post, *, submitted: bool = False) -> PostPublic:
    """The live state from the workflow; the projection for a draft (or when no worker answers)."""
    if post.status == PostStatus.DRAFT.value and not submitted:
        state = await asyncio.to_thread(_state_from_store, ctx, post)
    else:
        try:
            state = await _handle(ctx, post.id).query(PostLifecycle.current, rpc_timeout=QUERY_TIMEOUT)
        except RPCError:
            # No worker answered in time: the projection is a few seconds old at worst, better than an error.
            state = await asyncio.to_thread(_state_from_store, ctx, post)
        state = await asyncio.to_thread(with_unpublished, ctx.engine, state)
    zone = await asyncio.to_thread(_workspace_zone, ctx, post.workspace_id)
    return PostPublic.from_state(post, state, zone, await publish_retries(ctx.client, state))


def _workspace_zone(ctx: ContextDep, workspace_id: str) -> str:
    with transaction(ctx.engine) as session:
        workspace = get_workspace(session, workspace_id)
    return workspace.time_zone if workspace else "UTC"


def _require_submitted(post: Post, refusal: str) -> None:
    """A draft (or a post still being submitted) has no lifecycle to act on yet."""
    if post.status in (PostStatus.DRAFT.value, PostStatus.SUBMITTING.value):
        raise ServiceError(409, "invalid_state", f"the post is {post.status}; {refusal}")


async def _change(
    ctx: ContextDep,
    post: Post,
    on_workflow: Callable[[], Awaitable[T]],
    on_draft: Callable[[], T | None] | None = None,
    refusal: str = "submit it first",
) -> tuple[T, bool]:
    """Apply a change where the post's state lives: the draft's row (`on_draft`, run under the post's row
    lock, None when the post turned out not to be a draft any more) or its workflow (an update). The
    answer says which (True: the workflow). A post being submitted is its workflow's once that starts."""
    status = post.status
    for _ in range(SUBMIT_WAIT_ROUNDS):
        if status == PostStatus.DRAFT.value:
            if on_draft is None:
                raise ServiceError(409, "invalid_state", f"the post is a draft; {refusal}")
            done = await asyncio.to_thread(on_draft)
            if done is not None:
                return done, False
        try:
            return await on_workflow(), True
        except RPCError as err:
            if err.status is not RPCStatusCode.NOT_FOUND or "completed" in err.message:
                raise
        # No workflow (yet): the post is being submitted, or its submission failed and it is a draft again.
        status = await asyncio.to_thread(_current_status, ctx, post.id)
        if status not in (PostStatus.DRAFT.value, PostStatus.SUBMITTING.value):
            raise ServiceError(409, "invalid_state", f"the post is {status} but its workflow is missing; "
                               "an operator can repair it with `postgate audit reconcile --repair`")  # fmt: skip
        if status == PostStatus.SUBMITTING.value:
            await asyncio.sleep(SUBMIT_WAIT_S)
    raise ServiceError(409, "being_submitted", f"post {post.id} is being submitted; try again in a moment")


def _current_status(ctx: ContextDep, post_id: str) -> str:
    with transaction(ctx.engine) as session:
        post = get_post(session, post_id)
    return post.status if post else PostStatus.DRAFT.value


async def _submit(ctx: ContextDep, post_id: str, user: Actor) -> None:
    try:
        await submit(
            ctx.client,
            ctx.engine,
            post_id,
            submitted_by=user.id,
            task_queue=ctx.settings.task_queue,
            followup_offsets=ctx.settings.followup_offsets,
        )
    except WorkflowAlreadyStartedError as err:
        raise ServiceError(409, "already_submitted", f"post {post_id} was already submitted") from err


@router.post("", status_code=201, response_model=PostPublic, responses=error_responses(403, 409, *WORKFLOW_ERRORS))
async def create(body: PostCreate, ctx: ContextDep, user: CurrentUser) -> PostPublic:
    """Create a draft (and submit it at once with `submit: true`)."""

    def make() -> Post:
        if body.workspace_id is not None:
            require_role(own_workspace(user, body.workspace_id), "editor")
        # Without workspace_id the channels say where the post goes: the one workspace of yours that has them
        # all (channel ids are each workspace's own, so several may).
        candidates = [body.workspace_id] if body.workspace_id is not None else sorted(user.memberships)
        with transaction(ctx.engine) as session:
            fitting = [w for w in candidates if all(get_channel(session, w, c) for c in body.channel_ids)]
        if len(fitting) > 1:
            raise ServiceError(
                422,
                "workspace_required",
                f"your workspaces {', '.join(fitting)} all have these channels; add workspace_id",
            )
        if not fitting:
            names = ", ".join(repr(c) for c in body.channel_ids)
            raise ServiceError(422, "unknown_channel", f"channel(s) {names} not in your workspace")
        workspace_id = fitting[0]
        require_role(own_workspace(user, workspace_id), "editor")
        return create_draft(
            ctx.engine,
            workspace_id=workspace_id,
            channel_ids=body.channel_ids,
            author=user.id,
            text=body.text,
            publish_at=body.utc(),
            publish_zone=body.time_zone,
            variants=body.variants,
        )

    post = await asyncio.to_thread(make)
    if body.submit:
        await _submit(ctx, post.id, user)
    return await _view(ctx, post, submitted=body.submit)


@router.post(
    "/{post_id}/submit",
    status_code=202,
    response_model=PostPublic,
    responses=error_responses(403, 409, *WORKFLOW_ERRORS),
)
async def submit_post(post_id: str, ctx: ContextDep, user: CurrentUser) -> PostPublic:
    """Start the post's review: brand check, then approval."""
    post = await _visible_post(ctx, user, post_id, "editor")
    await _submit(ctx, post.id, user)
    return await _view(ctx, post, submitted=True)


@router.post(
    "/{post_id}/revisions",
    status_code=201,
    response_model=RevisionPublic,
    responses=error_responses(403, 409, *WORKFLOW_ERRORS),
)
async def revise(post_id: str, body: RevisionCreate, ctx: ContextDep, user: CurrentUser) -> RevisionPublic:
    """A new revision. A submitted post is checked again and needs approval again."""
    post = await _visible_post(ctx, user, post_id, "editor")
    ref, _ = await _change(
        ctx,
        post,
        lambda: _handle(ctx, post_id).execute_update(
            PostLifecycle.revise,
            ReviseRequest(actor=user.id, text=body.text, variants=body.variants, comment=body.comment),
        ),
        partial(revise_draft, ctx.engine, post, actor=user.id, text=body.text, variants=body.variants),
    )
    return RevisionPublic(**ref.model_dump())


@router.post(
    "/{post_id}/decisions", response_model=PostPublic, responses=error_responses(403, 409, 422, *WORKFLOW_ERRORS)
)
async def decide(
    post_id: str,
    body: DecisionCreate,
    ctx: ContextDep,
    user: CurrentUser,
    idempotency_key: Annotated[
        str | None,
        Header(
            min_length=1,
            max_length=200,
            description="makes a repeat of this request (same user, post and body) return the first answer; "
            "reusing a key for another request is 422 idempotency_key_reused",
        ),
    ] = None,
) -> PostPublic:
    """Approve or reject the revision whose content hash you reviewed."""
    post = await _visible_post(ctx, user, post_id, "approver")
    route = f"POST /posts/{post_id}/decisions"
    claim = None
    if idempotency_key is not None:
        claim = await asyncio.to_thread(_claim, ctx, idempotency_key, user.id, route, body.model_dump(mode="json"))
        if claim.answered is not None:
            return PostPublic.model_validate(claim.answered[1])
        if not claim.first:
            # A repeat while the first is under way: its answer, once it has one (if it fails, try anew).
            first = await _first_answer(ctx, idempotency_key)
            if first is not None:
                return first
    handle = _handle(ctx, post_id)
    try:
        await _change(
            ctx,
            post,
            lambda: handle.execute_update(
                PostLifecycle.decide,
                DecideRequest(
                    actor=user.id, decision=body.decision, content_hash=body.content_hash, comment=body.comment
                ),
                # The key is bound to this actor, post and body, so the workflow may treat it as one decision.
                id=f"decide-{idempotency_key}" if idempotency_key else None,
            ),
            refusal="submit it before deciding",
        )
    except Exception:
        # A repeat sent while the first was under way: that one may have ended the lifecycle (a rejection),
        # so this one is refused; the first's answer is the answer.
        first = await _first_answer(ctx, idempotency_key) if claim is not None and not claim.first else None
        if first is None:
            raise
        return first
    view = await _view(ctx, post, submitted=True)
    if idempotency_key is not None:
        await asyncio.to_thread(_keep_answer, ctx, idempotency_key, view)
    return view


async def _first_answer(ctx: ContextDep, key: str | None) -> PostPublic | None:
    def read() -> tuple[int, object] | None:
        with transaction(ctx.engine) as session:
            return answer_of(session, key or "")

    for _ in range(FIRST_ANSWER_ROUNDS):
        answered = await asyncio.to_thread(read)
        if answered is not None:
            return PostPublic.model_validate(answered[1])
        await asyncio.sleep(SUBMIT_WAIT_S)
    return None


def _claim(ctx: ContextDep, key: str, actor: str, route: str, body: object) -> Claim:
    try:
        with transaction(ctx.engine) as session:
            return claim_key(session, key, actor=actor, route=route, body=body)
    except KeyReused as err:
        raise ServiceError(
            422,
            "idempotency_key_reused",
            "this Idempotency-Key was first sent with another request (another user, route or body); "
            "send a new key for a new request",
        ) from err


def _keep_answer(ctx: ContextDep, key: str, view: PostPublic) -> None:
    with transaction(ctx.engine) as session:
        keep_answer(session, key, 200, view.model_dump(mode="json"))


@router.post("/{post_id}/schedule", response_model=PostPublic, responses=error_responses(403, 409, *WORKFLOW_ERRORS))
async def schedule(post_id: str, body: ScheduleChange, ctx: ContextDep, user: CurrentUser) -> PostPublic:
    """Move the publish time (before publishing starts). A post on hold is scheduled again."""
    post = await _visible_post(ctx, user, post_id, "editor")
    publish_at = body.utc()
    assert publish_at is not None

    def on_draft() -> bool | None:
        return reschedule_draft(ctx.engine, post, actor=user.id, publish_at=publish_at, zone=body.time_zone) or None

    _, submitted = await _change(
        ctx,
        post,
        lambda: _handle(ctx, post_id).execute_update(
            PostLifecycle.reschedule, RescheduleRequest(actor=user.id, publish_at=publish_at, zone=body.time_zone)
        ),
        on_draft,
    )
    return await _view(ctx, await _visible_post(ctx, user, post_id), submitted=submitted)


@router.post("/{post_id}/publish-now", response_model=PostPublic, responses=error_responses(403, 409, *WORKFLOW_ERRORS))
async def publish_now(post_id: str, ctx: ContextDep, user: CurrentUser) -> PostPublic:
    """Publish an approved post at once instead of at its time (it still needs its approval)."""
    post = await _visible_post(ctx, user, post_id, "editor", "approver")
    await _change(
        ctx,
        post,
        lambda: _handle(ctx, post_id).execute_update(PostLifecycle.reschedule, RescheduleRequest(actor=user.id)),
        refusal="submit it and have it approved first",
    )
    return await _view(ctx, post, submitted=True)


@router.post("/{post_id}/withdraw", response_model=PostPublic, responses=error_responses(403, 409, *WORKFLOW_ERRORS))
async def withdraw(post_id: str, body: Withdrawal, ctx: ContextDep, user: CurrentUser) -> PostPublic:
    """Take a submitted post back before it is published; its lifecycle ends."""
    post = await _visible_post(ctx, user, post_id, "editor", "approver")
    await _change(
        ctx,
        post,
        lambda: _handle(ctx, post_id).execute_update(
            PostLifecycle.withdraw, WithdrawRequest(actor=user.id, reason=body.reason)
        ),
        refusal="it was never submitted, so there is nothing to withdraw",
    )
    return await _view(ctx, post, submitted=True)


@router.post(
    "/{post_id}/retry-publish", response_model=PostPublic, responses=error_responses(403, 409, *WORKFLOW_ERRORS)
)
async def retry_publish(
    post_id: str, ctx: ContextDep, user: CurrentUser, body: RetryChoice | None = None
) -> PostPublic:
    """Publish again after a permanent failure (reconnected account, fixed channel); never a duplicate.

    Every failed channel is retried, or only `channel_id`."""
    post = await _visible_post(ctx, user, post_id, "editor", "approver")
    await _change(
        ctx,
        post,
        lambda: _handle(ctx, post_id).execute_update(
            PostLifecycle.retry_publish, RetryRequest(actor=user.id, channel_id=body.channel_id if body else None)
        ),
        refusal="only a post whose publishing failed can be retried",
    )
    return await _view(ctx, post, submitted=True)


@router.get("/{post_id}", response_model=PostPublic, responses=error_responses(*WORKFLOW_ERRORS))
async def read(post_id: str, ctx: ContextDep, user: CurrentUser) -> PostPublic:
    return await _view(ctx, await _visible_post(ctx, user, post_id))


@router.get("", response_model=PostList)
def list_(
    ctx: ContextDep,
    user: CurrentUser,
    status: PostStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=64, description="next_cursor of the previous page")] = None,
    workspace_id: Annotated[
        str | None, Query(max_length=64, description="required when you belong to several workspaces")
    ] = None,
    channel_id: Annotated[str | None, Query(max_length=64, description="posts targeting this channel")] = None,
    author: Annotated[str | None, Query(max_length=64, description="posts written by this user id")] = None,
    publish_from: Annotated[
        AwareDatetime | None, Query(description="publish time at or after this instant (with its offset)")
    ] = None,
    publish_before: Annotated[
        AwareDatetime | None, Query(description="publish time before this instant (with its offset)")
    ] = None,
) -> PostList:
    if workspace_id is None:
        if len(user.memberships) > 1:
            raise ServiceError(
                422,
                "workspace_required",
                f"you belong to several workspaces ({', '.join(sorted(user.memberships))}); add ?workspace_id=",
            )
        if not user.memberships:
            return PostList(posts=[], next_cursor=None)
        [workspace_id] = user.memberships
    own_workspace(user, workspace_id)
    with transaction(ctx.engine) as session:
        rows = list_posts(
            session,
            workspace_id,
            status.value if status else None,
            limit + 1,
            cursor,
            author=author,
            channel=channel_id,
            publish_from=publish_from,
            publish_before=publish_before,
        )
    page = rows[:limit]
    return PostList(
        posts=[PostSummary.from_row(p) for p in page], next_cursor=page[-1].id if len(rows) > limit else None
    )


@router.get("/{post_id}/audit", response_model=AuditTrail)
def audit(
    post_id: str,
    ctx: ContextDep,
    user: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=1000)] = 1000,
    cursor: Annotated[str | None, Query(max_length=200, description="next_cursor of the previous page")] = None,
) -> AuditTrail:
    """The post's whole trail in the order things happened (a page of it when it is long); the workspace's
    chain, filters and exports are under /workspaces/{id}/audit."""
    post = _load_visible_post(ctx, user, post_id)
    with transaction(ctx.engine) as session:
        rows = audit_trail(session, post.id)
    # Keyed by (time, workflow, seq): an entry's place in the trail, stable as entries are added.
    entries, next_cursor = page(rows, lambda e: f"{e.at.isoformat()}|{e.seq:09d}|{e.workflow_id}", limit, cursor)
    return AuditTrail(post_id=post.id, entries=[AuditEntryPublic.from_row(e) for e in entries], next_cursor=next_cursor)
