"""Cursor pagination for the small lists (members, tokens, notification targets) read whole from the store.

Keyset, not offset: the cursor is the sort key of the last item of the page, so an item added or removed
meanwhile never shifts the next page. Lists that can grow large (posts, the audit chain) page in SQL."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, TypeVar

from fastapi import Query

T = TypeVar("T")

Limit = Annotated[int, Query(ge=1, le=500, description="how many items at most")]
Cursor = Annotated[str | None, Query(max_length=200, description="next_cursor of the previous page")]


def page(items: Sequence[T], key: Callable[[T], str], limit: int, cursor: str | None) -> tuple[list[T], str | None]:
    """The items after `cursor` in key order, at most `limit`, and the cursor of the next page (None: last)."""
    ordered = sorted(items, key=key)
    if cursor is not None:
        ordered = [item for item in ordered if key(item) > cursor]
    chunk = ordered[:limit]
    return chunk, key(chunk[-1]) if len(ordered) > limit else None
