"""Live states of many posts for the lists (the queue, "waiting for me", the posts list), without asking
every workflow on every render.

A workflow writes each transition to the store with the post's projection (posts.last_seq, in the same
transaction), and a decision or a revision returns only once it is written. So a state read from the
workflow stays right until the projection's (last_seq, status) moves: this keeps the last state read per
post, and asks the workflow again only for posts whose projection moved. A post page or review page
always asks the workflow (services.live_state); only lists read through here.

Kept per process, at most MAX_KEPT posts (least recently used out first), and in the store with the
projection each was read at (store.live_states), so a fresh process asks only the workflows whose posts
moved since any process last read them (the queue's cold render, docs/benchmarks.md)."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Sequence

from sqlalchemy.exc import SQLAlchemyError
from temporalio.service import RPCError, RPCStatusCode

from api.deps import AppContext
from api.routes_posts import QUERY_TIMEOUT, _state_from_store
from domain.lifecycle import LifecycleState, workflow_id_for
from domain.status import PostStatus
from store.engine import transaction
from store.live_states import keep_states, kept_states
from store.tables import Post
from workflows.lifecycle import PostLifecycle

logger = logging.getLogger(__name__)
MAX_KEPT = 5000
IN_FLIGHT = 16

_Key = tuple[str, int, str]
_kept: OrderedDict[str, tuple[_Key, LifecycleState]] = OrderedDict()


def _key(post: Post) -> _Key:
    return (post.id, post.last_seq, post.status)


def _keep(post: Post, state: LifecycleState) -> None:
    _kept[post.id] = (_key(post), state)
    _kept.move_to_end(post.id)
    while len(_kept) > MAX_KEPT:
        _kept.popitem(last=False)


def forget_all() -> None:
    _kept.clear()


async def _read(ctx: AppContext, post: Post) -> LifecycleState:
    if post.status == PostStatus.DRAFT.value:
        return await asyncio.to_thread(_state_from_store, ctx, post)
    handle = ctx.client.get_workflow_handle_for(PostLifecycle.run, workflow_id_for(post.id))
    try:
        state = await handle.query(PostLifecycle.current, rpc_timeout=QUERY_TIMEOUT)
    except RPCError as err:
        state = await asyncio.to_thread(_state_from_store, ctx, post)
        if err.status is RPCStatusCode.NOT_FOUND:
            _keep(post, state)  # no workflow any more: the projection is all there is, until it moves
        return state
    _keep(post, state)
    return state


async def live_states(ctx: AppContext, posts: Sequence[Post]) -> dict[str, LifecycleState]:
    """Each post's live state: the one kept while its projection has not moved, else the workflow's."""
    found: dict[str, LifecycleState] = {}
    missing: list[Post] = []
    for post in posts:
        kept = _kept.get(post.id)
        if kept is not None and kept[0] == _key(post):
            _kept.move_to_end(post.id)
            found[post.id] = kept[1]
        else:
            missing.append(post)
    asking = [p for p in missing if p.status != PostStatus.DRAFT.value]
    if asking:
        stored = await asyncio.to_thread(_stored, ctx, asking)
        for post in asking:
            if post.id in stored:
                _keep(post, stored[post.id])
                found[post.id] = stored[post.id]
        missing = [p for p in missing if p.id not in found]
    limit = asyncio.Semaphore(IN_FLIGHT)

    async def one(post: Post) -> LifecycleState:
        async with limit:
            return await _read(ctx, post)

    asked: dict[str, tuple[tuple[int, str], str]] = {}
    for post, state in zip(missing, await asyncio.gather(*(one(p) for p in missing)), strict=True):
        found[post.id] = state
        kept = _kept.get(post.id)
        if post.status != PostStatus.DRAFT.value and kept is not None and kept[1] is state:
            asked[post.id] = ((post.last_seq, post.status), state.model_dump_json())
    if asked:
        await asyncio.to_thread(_store, ctx, asked)
    return found


def _stored(ctx: AppContext, posts: Sequence[Post]) -> dict[str, LifecycleState]:
    with transaction(ctx.engine) as session:
        kept = kept_states(session, {p.id: (p.last_seq, p.status) for p in posts})
    return {post_id: LifecycleState.model_validate_json(state) for post_id, state in kept.items()}


def _store(ctx: AppContext, states: dict[str, tuple[tuple[int, str], str]]) -> None:
    try:
        with transaction(ctx.engine) as session:
            keep_states(session, states)
    except SQLAlchemyError as err:  # only a shortcut for the next process: the page is right without it
        logger.warning("could not keep %d live states in the store: %s", len(states), err)
