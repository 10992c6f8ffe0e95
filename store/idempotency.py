"""Idempotency keys: a key is bound to the first request that used it (actor, route, body hash).

Like Stripe's: the same key from another actor, on another route or with another body is refused
(KeyReused); a true repeat gets the first 2xx answer back once there is one. Claiming is one
insert-if-absent, so concurrent first uses of a key agree on who bound it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from store.tables import IdempotencyKey, utcnow


class KeyReused(Exception):
    """The key was first used by another actor, on another route, or with another body."""


@dataclass(frozen=True)
class Claim:
    key: str
    # The first request's answer (status, JSON body) when it completed with a 2xx; None: do the work.
    answered: tuple[int, Any] | None
    first: bool = True  # this request bound the key (False: a repeat, perhaps while the first is under way)


def body_hash(body: Any) -> str:
    """SHA-256 of the body's canonical JSON (sorted keys, no whitespace)."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def claim_key(session: Session, key: str, *, actor: str, route: str, body: Any) -> Claim:
    """Bind the key to this request if it is new; raise KeyReused if it is bound to another."""
    digest = body_hash(body)
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    inserted = (
        session.connection()
        .execute(
            insert(IdempotencyKey)
            .values(key=key, actor=actor, route=route, body_hash=digest, created_at=utcnow())
            .on_conflict_do_nothing(index_elements=["key"])
            # RETURNING, not rowcount: psycopg reports -1 for this insert, so no request ever seemed the first.
            .returning(col(IdempotencyKey.key))
        )
        .first()
    )
    row = session.exec(
        select(IdempotencyKey).where(IdempotencyKey.key == key).execution_options(populate_existing=True)
    ).one()
    if (row.actor, row.route, row.body_hash) != (actor, route, digest):
        raise KeyReused(key)
    if row.status_code is not None and row.response is not None:
        return Claim(key, (row.status_code, json.loads(row.response)), first=False)
    return Claim(key, None, first=inserted is not None)


def answer_of(session: Session, key: str) -> tuple[int, Any] | None:
    row = session.get(IdempotencyKey, key, populate_existing=True)
    if row is None or row.status_code is None or row.response is None:
        return None
    return row.status_code, json.loads(row.response)


def keep_answer(session: Session, key: str, status_code: int, response: Any) -> None:
    """Keep the first 2xx answer for true repeats (a later one never replaces it)."""
    row = session.get(IdempotencyKey, key)
    if row is not None and row.status_code is None:
        row.status_code = status_code
        row.response = json.dumps(response, default=str)
        session.add(row)


def release_key(session: Session, key: str) -> None:
    """Forget a key whose request failed before it had an answer, so the same form may be sent again."""
    row = session.get(IdempotencyKey, key)
    if row is not None and row.status_code is None:
        session.delete(row)
