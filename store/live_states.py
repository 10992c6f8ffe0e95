"""The live states the lists last read from posts' workflows, each with the projection it was read at
(web.state_cache): a state stays right until its post's (last_seq, status) moves."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from store.tables import PostLiveState

Key = tuple[int, str]  # (posts.last_seq, posts.status)


def kept_states(session: Session, wanted: Mapping[str, Key]) -> dict[str, str]:
    """The kept state (JSON) of each post whose projection is still the one it was read at."""
    if not wanted:
        return {}
    rows = session.exec(select(PostLiveState).where(col(PostLiveState.post_id).in_(list(wanted))))
    return {r.post_id: r.state for r in rows if (r.last_seq, r.status) == wanted[r.post_id]}


def keep_states(session: Session, states: Mapping[str, tuple[Key, str]]) -> None:
    """Keep each post's state (JSON), read at that projection, in place of the one kept before."""
    if not states:
        return
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    rows = [
        {"post_id": post_id, "last_seq": seq, "status": status, "state": state}
        for post_id, ((seq, status), state) in sorted(states.items())
    ]
    statement = insert(PostLiveState).values(rows)
    session.connection().execute(
        statement.on_conflict_do_update(
            index_elements=["post_id"],
            set_={
                "last_seq": statement.excluded.last_seq,
                "status": statement.excluded.status,
                "state": statement.excluded.state,
            },
        )
    )
