"""Does the store agree with the workflow? A post's projection (status, revision) against its workflow's
state, and its sequence numbers against gaps; the repair re-projects from the workflow, which owns a
submitted post. `postgate audit reconcile` and the worker's periodic check (AgreementCheck) use it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel
from sqlalchemy.engine import Engine
from sqlmodel import col, select
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from domain.lifecycle import LifecycleState, workflow_id_for
from domain.status import AuditAction, PostStatus
from store.engine import transaction
from store.posts import add_revision, lock_post
from store.publications import with_unpublished
from store.records import record_post_note
from store.tables import AuditEntry, Post

log = logging.getLogger("postgate.agreement")
ENDED = (PostStatus.REJECTED, PostStatus.WITHDRAWN, PostStatus.EXPIRED, PostStatus.DONE)
# A post `submitting` longer than this with no workflow was left by a start that never happened.
SUBMIT_GRACE = timedelta(seconds=60)
# Failure entries written in place of a reserved success entry (before they said which seq they replace).
REPLACING = {AuditAction.PUBLISH_FAILED, AuditAction.CHANNEL_PUBLISH_FAILED, AuditAction.METRICS_MISSED}


class Agreement(BaseModel):
    post_id: str
    store_status: str
    store_revision: int
    workflow_status: str | None  # None: no workflow
    workflow_revision: int | None
    problems: list[str]
    gaps: list[int]  # sequence numbers neither used nor explained by an entry

    @property
    def ok(self) -> bool:
        return not self.problems and not self.gaps

    @property
    def repairable(self) -> bool:
        return bool(self.problems) and (
            self.workflow_status is not None or self.store_status == PostStatus.SUBMITTING.value
        )


async def workflow_state(client: Client, post_id: str, engine: Engine | None = None) -> LifecycleState | None:
    """The workflow's state (a query), None when Temporal has no such workflow. With `engine`, channels taken
    down after the lifecycle ended count as unpublished (the finished workflow cannot know), as the API
    shows them."""
    from workflows.lifecycle import PostLifecycle

    handle = client.get_workflow_handle_for(PostLifecycle.run, workflow_id_for(post_id))
    try:
        state = await handle.query(PostLifecycle.current)
    except RPCError as err:
        if err.status is RPCStatusCode.NOT_FOUND:
            return None
        raise
    if engine is not None:
        state = await asyncio.to_thread(with_unpublished, engine, state)
    return state


def unexplained_gaps(entries: list[AuditEntry]) -> list[int]:
    """Seqs below the highest that no entry holds and no entry says it replaces (`in_place_of_seq`, or a
    failure entry of the kind that replaced a reserved success entry before entries said so)."""
    held = {e.seq for e in entries}
    explained: set[int] = set()
    legacy: list[int] = []
    for e in entries:
        replaced = json.loads(e.detail or "{}").get("in_place_of_seq")
        if isinstance(replaced, int):
            explained.add(replaced)
        elif e.action in REPLACING:
            legacy.append(e.seq)
    missing = [n for n in range(1, max(held, default=0)) if n not in held and n not in explained]
    for seq in sorted(legacy):  # each explains the nearest unexplained gap before it
        before = [n for n in missing if n < seq]
        if before:
            missing.remove(before[-1])
    return missing


def _stored(engine: Engine, post_id: str) -> tuple[Post | None, list[AuditEntry]]:
    with transaction(engine) as session:
        post = session.get(Post, post_id)
        entries = list(session.exec(select(AuditEntry).where(AuditEntry.workflow_id == workflow_id_for(post_id))))
    return post, entries


async def check_post(client: Client, engine: Engine, post_id: str) -> Agreement:
    """Raises LookupError when the post does not exist."""
    post, entries = await asyncio.to_thread(_stored, engine, post_id)
    if post is None:
        raise LookupError(f"no post '{post_id}'")
    state = await workflow_state(client, post_id, engine)
    problems: list[str] = []
    if state is None:
        if post.status == PostStatus.SUBMITTING.value:
            problems.append("the post is being submitted but Temporal has no workflow for it")
        elif post.status != PostStatus.DRAFT.value:
            problems.append(f"the post is {post.status} but Temporal has no workflow for it")
    else:
        if post.status != state.status.value:
            problems.append(f"the store says {post.status}, the workflow {state.status.value}")
        if post.current_revision != state.revision.number:
            problems.append(f"the store's revision is {post.current_revision}, the workflow's {state.revision.number}")
    return Agreement(
        post_id=post_id,
        store_status=post.status,
        store_revision=post.current_revision,
        workflow_status=state.status.value if state else None,
        workflow_revision=state.revision.number if state else None,
        problems=problems,
        gaps=unexplained_gaps(entries),
    )


async def repair_post(client: Client, engine: Engine, post_id: str, actor: str) -> str | None:
    """Re-project the post from its workflow (or put a post whose workflow never started back to draft);
    the repair is noted in the post's trail. Returns what was done, None when nothing was to do."""
    state = await workflow_state(client, post_id, engine)
    return await asyncio.to_thread(_repair, engine, post_id, state, actor)


def _repair(engine: Engine, post_id: str, state: LifecycleState | None, actor: str) -> str | None:
    with transaction(engine) as session:
        post = lock_post(session, post_id)
        if post is None:
            raise LookupError(f"no post '{post_id}'")
        before = {"status": post.status, "revision": post.current_revision}
        if state is None:
            if post.status != PostStatus.SUBMITTING.value:
                return None
            post.status = PostStatus.DRAFT.value
        else:
            if post.status == state.status.value and post.current_revision == state.revision.number:
                return None
            add_revision(session, post_id, state.revision)  # the workflow's revision, if the store lacks it
            post.status = state.status.value
            post.current_revision = state.revision.number
            post.content_hash = state.revision.content_hash
            post.publish_at = state.publish_at
            post.publish_zone = state.publish_zone
        post.updated_at = datetime.now(UTC)
        session.add(post)
        after = {"status": post.status, "revision": post.current_revision}
        record_post_note(
            session,
            post_id,
            post.workspace_id,
            AuditAction.PROJECTION_REPAIRED,
            actor,
            revision=post.current_revision,
            content_hash=post.content_hash,
            at=post.updated_at,
            detail={"before": before, "after": after, "from": "workflow" if state else "no workflow"},
        )
    return f"{before['status']} r{before['revision']} -> {after['status']} r{after['revision']}"


def _open_posts(engine: Engine, limit: int) -> list[tuple[str, str, datetime]]:
    ended = [s.value for s in ENDED] + [PostStatus.DRAFT.value]
    with transaction(engine) as session:
        rows = session.exec(
            select(Post.id, Post.status, Post.updated_at)
            .where(col(Post.status).not_in(ended))
            .order_by(col(Post.updated_at).desc())
            .limit(limit)
        )
        return list(rows)


async def check_open_posts(client: Client, engine: Engine, *, repair: bool, limit: int = 500) -> list[Agreement]:
    """Every post not yet ended (newest first, at most `limit`): those that disagree twice in a row (a
    status change whose entry is being written is not a disagreement), repaired when asked."""
    found: list[Agreement] = []
    now = datetime.now(UTC)
    for post_id, status, updated_at in await asyncio.to_thread(_open_posts, engine, limit):
        if status == PostStatus.SUBMITTING.value and now - updated_at < SUBMIT_GRACE:
            continue  # its start may still be under way
        first = await check_post(client, engine, post_id)
        if not first.problems:
            continue
        await asyncio.sleep(1)
        second = await check_post(client, engine, post_id)
        if second.problems and (second.store_status, second.workflow_status) == (
            first.store_status,
            first.workflow_status,
        ):
            found.append(second)
            if repair and second.repairable:
                done = await repair_post(client, engine, post_id, "system")
                log.warning("post %s disagreed with its workflow (%s); repaired: %s", post_id, second.problems, done)
            else:
                log.warning("post %s disagrees with its workflow: %s", post_id, second.problems)
    return found


class AgreementCheck:
    """The worker's periodic check: every `every` seconds, open posts whose store and workflow disagree
    are logged and re-projected from the workflow."""

    def __init__(self, client: Client, engine: Engine, every: float) -> None:
        self._client, self._engine, self._every = client, engine, every

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self._every)
            try:
                await check_open_posts(self._client, self._engine, repair=True)
            except Exception:  # the check must outlive a database or Temporal hiccup
                log.exception("the periodic store/workflow agreement check failed; trying again later")
