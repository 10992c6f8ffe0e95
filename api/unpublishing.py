"""Taking a published post down: an update on its running lifecycle, or, once the lifecycle has ended, a
short PostUnpublish workflow doing the same (docs/decisions.md). Either way each channel's result comes
back and one `unpublished` entry records the reason and the results."""

from __future__ import annotations

import asyncio
import json

from sqlalchemy.engine import Engine
from temporalio.api.enums.v1 import WorkflowExecutionStatus
from temporalio.client import Client, WorkflowFailureError
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from api.service import ServiceError
from domain.lifecycle import PostUnpublishInput, UnpublishRequest, workflow_id_for
from domain.status import ChannelStatus
from store.engine import transaction
from store.posts import get_post
from store.publications import publications_of
from store.tables import Post
from store.workspaces import get_workspace
from workflows.lifecycle import ALREADY_UNPUBLISHED, PostLifecycle
from workflows.unpublish import PostUnpublish, unpublish_workflow_id

DEFAULT_UNPUBLISH_ROLES = ("editor", "approver", "admin")


def unpublish_roles(engine: Engine, workspace_id: str) -> tuple[str, ...]:
    with transaction(engine) as session:
        workspace = get_workspace(session, workspace_id)
    return tuple(json.loads(workspace.unpublish_roles)) if workspace is not None else DEFAULT_UNPUBLISH_ROLES


async def unpublish(
    client: Client, engine: Engine, post: Post, *, actor: str, reason: str, channel_id: str | None, task_queue: str
) -> dict[str, str]:
    """Each targeted channel's result: deleted, already_unpublished, or failed: <reason>."""
    handle = client.get_workflow_handle_for(PostLifecycle.run, workflow_id_for(post.id))
    try:
        description = await handle.describe()
    except RPCError as err:
        if err.status is not RPCStatusCode.NOT_FOUND:
            raise
        raise ServiceError(409, "invalid_state", "the post was never submitted, so nothing of it is out") from err
    if description.status == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING:
        try:
            state = await handle.execute_update(
                PostLifecycle.unpublish, UnpublishRequest(actor=actor, reason=reason, channel_id=channel_id)
            )
        except RPCError as err:
            # The lifecycle ended between the look and the update: the short workflow takes over.
            if err.status is not RPCStatusCode.NOT_FOUND:
                raise
        else:
            return {
                c.channel_id: "unpublished"
                if c.status is ChannelStatus.UNPUBLISHED
                else f"failed: {c.unpublish_error or c.status.value}"
                for c in state.channels
                if channel_id in (None, c.channel_id) and (c.publication is not None)
            }
    return await _after_lifecycle(client, engine, post.id, actor, reason, channel_id, task_queue)


async def _after_lifecycle(
    client: Client, engine: Engine, post_id: str, actor: str, reason: str, channel_id: str | None, task_queue: str
) -> dict[str, str]:
    def load() -> PostUnpublishInput:
        with transaction(engine) as session:
            post = get_post(session, post_id)
            assert post is not None
            rows = publications_of(session, post_id)
        out: dict[str, tuple[str, str, bool]] = {}
        for row in rows:
            out[row.channel_id] = (row.channel_id, row.external_id, row.unpublished_at is not None)
        if channel_id is not None and channel_id not in out:
            raise ServiceError(
                409, "invalid_state", f"the post never went out on channel {channel_id}; nothing to unpublish"
            )
        if not out:
            raise ServiceError(
                409, "invalid_state", f"post is {post.status}; it never went out, so nothing to unpublish"
            )
        return PostUnpublishInput(
            post_id=post_id,
            workspace_id=post.workspace_id,
            actor=actor,
            reason=reason,
            revision=post.current_revision,
            content_hash=post.content_hash,
            publications=list(out.values()),
            channel_id=channel_id,
        )

    inp = await asyncio.to_thread(load)
    try:
        results: dict[str, str] = await client.execute_workflow(
            PostUnpublish.run,
            inp,
            id=unpublish_workflow_id(post_id),
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        )
    except WorkflowAlreadyStartedError as err:
        raise ServiceError(409, "unpublish_in_progress", "the post is being unpublished right now; try again") from err
    except WorkflowFailureError as err:
        raise ServiceError(502, "unpublish_failed", f"unpublishing failed: {err.cause}") from err
    return results


__all__ = ["ALREADY_UNPUBLISHED", "unpublish", "unpublish_roles"]
