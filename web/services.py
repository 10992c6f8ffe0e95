"""What the pages read and do, through the same store, workflow and rules as the JSON API.

Nothing here decides who may do what: the signing rule is domain.signing (the workflow's own validator),
roles are api.deps.require_role, and decisions go through the JSON route's own function."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from fastapi import HTTPException
from temporalio.service import RPCError

from api.deps import Actor, AppContext, Member, own_workspace, require_role
from api.routes_posts import QUERY_TIMEOUT, _state_from_store
from domain.lifecycle import LifecycleState, workflow_id_for
from domain.signing import may_sign_now
from domain.status import PostStatus
from store.accounts import members
from store.engine import transaction
from store.posts import get_post, list_posts
from store.records import audit_trail
from store.tables import AuditEntry, Post, Workspace
from store.workspaces import channels, get_workspace
from web import state_cache
from workflows.lifecycle import PostLifecycle

# How many awaiting posts "Waiting for me" reads at a time (each needs the workflow's live state); it reads
# them all, a page at a time.
WAITING_SCAN = 200
STATE_QUERIES_IN_FLIGHT = 16


def may(member: Member, *roles: str) -> bool:
    """The API's role rule (require_role), asked rather than enforced."""
    try:
        require_role(member, *roles)
    except HTTPException:
        return False
    return True


async def live_state(ctx: AppContext, post: Post) -> LifecycleState:
    """The workflow's live state; the projection for a draft, or when no worker answers in time."""
    if post.status == PostStatus.DRAFT.value:
        return await asyncio.to_thread(_state_from_store, ctx, post)
    handle = ctx.client.get_workflow_handle_for(PostLifecycle.run, workflow_id_for(post.id))
    try:
        return await handle.query(PostLifecycle.current, rpc_timeout=QUERY_TIMEOUT)
    except RPCError:
        return await asyncio.to_thread(_state_from_store, ctx, post)


async def live_states(ctx: AppContext, posts: Sequence[Post]) -> dict[str, LifecycleState]:
    """For lists: each post's live state, asking only the workflows whose projection moved (web.state_cache)."""
    return await state_cache.live_states(ctx, posts)


@dataclass(frozen=True)
class WorkspaceFacts:
    workspace: Workspace
    names: dict[str, str]  # user id -> name, of its members
    channel_names: dict[str, str]  # channel id -> name


def workspace_facts(ctx: AppContext, workspace_id: str) -> WorkspaceFacts:
    with transaction(ctx.engine) as session:
        workspace = get_workspace(session, workspace_id)
        people = {user.id: user.name for user, _ in members(session, workspace_id)}
        channel_names = {c.id: c.name for c in channels(session, workspace_id)}
    if workspace is None:
        raise HTTPException(404, f"workspace '{workspace_id}' not found")
    return WorkspaceFacts(workspace=workspace, names=people, channel_names=channel_names)


def posts_page(
    ctx: AppContext,
    workspace_id: str,
    *,
    status: PostStatus | None,
    author: str | None,
    limit: int,
    after: str | None,
    channel: str | None = None,
    publish_from: datetime | None = None,
    publish_before: datetime | None = None,
) -> tuple[list[Post], str | None]:
    """One page of the workspace's posts, newest first, and the cursor of the next page (None: last)."""
    with transaction(ctx.engine) as session:
        rows = list_posts(
            session,
            workspace_id,
            status.value if status else None,
            limit + 1,
            after,
            author=author,
            channel=channel,
            publish_from=publish_from,
            publish_before=publish_before,
        )
    chunk = rows[:limit]
    return chunk, chunk[-1].id if len(rows) > limit else None


async def waiting_for(ctx: AppContext, user: Actor, workspace_id: str) -> list[tuple[Post, LifecycleState]]:
    """Posts of the workspace that `user` may sign now (the workflow's rule on each post's live state),
    the earliest publish time first."""
    member = own_workspace(user, workspace_id)
    if not may(member, "approver"):
        return []
    mine: list[tuple[Post, LifecycleState]] = []
    cursor: str | None = None
    while True:  # every awaiting post, a page at a time: the oldest are often the most overdue
        awaiting, cursor = await asyncio.to_thread(
            posts_page,
            ctx,
            workspace_id,
            status=PostStatus.AWAITING_APPROVAL,
            author=None,
            limit=WAITING_SCAN,
            after=cursor,
        )
        states = await live_states(ctx, awaiting)
        mine += [(p, states[p.id]) for p in awaiting if may_sign_now(states[p.id], user.id)]
        if cursor is None:
            return sorted(mine, key=lambda pair: pair[1].publish_at)


def visible_post(ctx: AppContext, user: Actor, workspace_id: str, post_id: str) -> tuple[Post, Member]:
    """The post, when it is in that workspace and the user is a member there (404 otherwise)."""
    member = own_workspace(user, workspace_id)
    with transaction(ctx.engine) as session:
        post = get_post(session, post_id)
    if post is None or post.workspace_id != workspace_id:
        raise HTTPException(404, f"post '{post_id}' not found")
    return post, member


def trail(ctx: AppContext, post_id: str) -> list[AuditEntry]:
    with transaction(ctx.engine) as session:
        return audit_trail(session, post_id)
