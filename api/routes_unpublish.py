"""POST /posts/{id}/unpublish: take a published post down from one channel or from all (api/unpublishing)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter

from api.deps import ContextDep, CurrentUser, own_workspace, require_role
from api.errors import error_responses
from api.routes_posts import _require_submitted, _view, _visible_post
from api.schemas import PostPublic, Unpublishing
from api.service import ServiceError
from api.unpublishing import unpublish, unpublish_roles

router = APIRouter(prefix="/posts", tags=["posts"])


@router.post("/{post_id}/unpublish", response_model=PostPublic, responses=error_responses(403, 409, 502))
async def unpublish_post(post_id: str, body: Unpublishing, ctx: ContextDep, user: CurrentUser) -> PostPublic:
    """Delete the post on its platforms (one channel, or every one it went out on), with a reason for the
    trail. A repeat, or a post the platform already lost, is fine. Who may: the workspace's unpublish_roles."""
    post = await _visible_post(ctx, user, post_id)
    roles = await asyncio.to_thread(unpublish_roles, ctx.engine, post.workspace_id)
    require_role(own_workspace(user, post.workspace_id), *roles)
    _require_submitted(post, "it was never published, so there is nothing to unpublish")
    results = await unpublish(
        ctx.client,
        ctx.engine,
        post,
        actor=user.id,
        reason=body.reason,
        channel_id=body.channel_id,
        task_queue=ctx.settings.task_queue,
    )
    failed = {c: r for c, r in results.items() if r.startswith("failed")}
    if failed:
        raise ServiceError(
            502,
            "unpublish_failed",
            "the platform did not take the post down on "
            + ", ".join(f"{c} ({r.removeprefix('failed: ')})" for c, r in failed.items())
            + "; the attempt is in the audit trail, try again once the cause is fixed",
            details=results,
        )
    return await _view(ctx, post)
