"""The audit hash chain on SQLite and PostgreSQL: tampering of every kind is found, writers never fork it."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from domain.lifecycle import TransitionRecord
from domain.status import AuditAction, PostStatus
from store.audit_chain import (
    GENESIS_HASH,
    ChainBroken,
    ChainReport,
    CheckpointPolicy,
    checkpoint_message,
    checkpoint_now,
    configure_checkpoints,
    entry_hash,
    verify_chain,
)
from store.audit_signing import load_or_create_signing_key, sign
from store.engine import run_migrations, transaction
from store.records import record_transitions, record_workspace_event
from store.tables import AuditChainHead, AuditCheckpoint, AuditEntry, UTCDateTime

T0 = datetime(2026, 3, 29, 0, 30, 0, 123456, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest) -> Engine:
    engine: Engine = request.getfixturevalue("engine" if request.param == "sqlite" else "pg_engine")
    return engine


@pytest.fixture(autouse=True)
def key_file(tmp_path: Path) -> Iterator[Path]:
    """Writers sign with a key of this test's own; checkpoints only when a test asks (every 1000)."""
    path = tmp_path / "keys" / "audit-signing.key"
    configure_checkpoints(CheckpointPolicy(every=1000, key_file=path))
    yield path
    configure_checkpoints(None)


def record(seq: int, action: AuditAction = AuditAction.BRAND_CHECKED, post_id: str = "p1") -> TransitionRecord:
    return TransitionRecord(
        workflow_id=f"post-{post_id}",
        post_id=post_id,
        workspace_id="acme",
        seq=seq,
        action=action,
        actor="ed",
        revision=1,
        content_hash="sha256:abc",
        status=PostStatus.AWAITING_APPROVAL,
        at=T0 + timedelta(minutes=seq),
        detail={"note": f"step {seq}", "ünïcode": "👋"},
    )


def write_chain(engine: Engine, count: int) -> None:
    """`count` entries: a post's transitions, with a workspace event (pause) among them."""
    for seq in range(1, count + 1):
        with transaction(engine) as session:
            if seq == 3:
                record_workspace_event(session, "acme", AuditAction.WORKSPACE_PAUSED, "ada", T0, {"reason": "news"})
            else:
                record_transitions(session, [record(seq)])


def verify(engine: Engine, key_file: Path, every: int | None = None) -> ChainReport:
    with transaction(engine) as session:
        return verify_chain(session, "acme", load_or_create_signing_key(key_file).public_key(), checkpoint_every=every)


def sign_now(engine: Engine, key_file: Path) -> AuditCheckpoint:
    with transaction(engine) as session:
        return checkpoint_now(session, "acme", load_or_create_signing_key(key_file))


def execute(engine: Engine, sql: str, **params: object) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text(sql), params)


def chain(engine: Engine) -> list[AuditEntry]:
    with transaction(engine) as session:
        query = select(AuditEntry).where(AuditEntry.workspace_id == "acme").order_by(col(AuditEntry.chain_index))
        return list(session.exec(query))


def test_the_hash_is_sha256_of_the_previous_hash_and_the_canonical_json(db: Engine) -> None:
    # Anyone can check an export offline with this definition; it must never drift.
    with transaction(db) as session:
        record_transitions(session, [record(1, AuditAction.SUBMITTED)])
    (first,) = chain(db)
    canonical = (
        '{"action":"submitted","actor":"ed","at":"2026-03-29T00:31:00.123456Z","chain_index":1,'
        '"content_hash":"sha256:abc","detail":{"note":"step 1","ünïcode":"👋"},"post_id":"p1",'
        '"revision":1,"seq":1,"status":"awaiting_approval","workflow_id":"post-p1","workspace_id":"acme"}'
    )
    assert first.prev_hash == GENESIS_HASH == "0" * 64
    assert first.hash == hashlib.sha256(bytes(32) + canonical.encode("utf-8")).hexdigest()


def test_an_intact_chain_verifies(db: Engine, key_file: Path) -> None:
    write_chain(db, 6)
    signed = sign_now(db, key_file)
    with transaction(db) as session:
        record_transitions(session, [record(7)])

    report = verify(db, key_file, every=100)

    assert report.ok and report.first_broken is None
    assert (report.checked, report.checkpoints_verified) == (7, 1)
    entries = chain(db)
    assert [e.chain_index for e in entries] == list(range(1, 8))
    assert [e.prev_hash for e in entries[1:]] == [e.hash for e in entries[:-1]]
    assert (signed.chain_index, signed.hash) == (6, entries[5].hash)
    assert entries[2].workflow_id == "workspace-acme"  # workspace events share the workspace's chain


EDITS = {
    "post_id": "'p9'",
    "workflow_id": "'post-p9'",
    "seq": "99",
    "action": "'approved'",
    "actor": "'mallory'",
    "revision": "2",
    "content_hash": "'sha256:forged'",
    "status": "'scheduled'",
    "detail": """'{"note": "nothing to see"}'""",
    "at": "at",  # replaced below: a time one second later, written through the column type
}


@pytest.mark.parametrize("field", sorted(EDITS))
def test_editing_any_field_is_found_at_that_entry(db: Engine, key_file: Path, field: str) -> None:
    write_chain(db, 5)
    if field == "at":
        with transaction(db) as session:
            entry = session.exec(select(AuditEntry).where(AuditEntry.chain_index == 4)).one()
            entry.at = entry.at + timedelta(seconds=1)
            session.add(entry)
    else:
        execute(db, f"UPDATE audit_entries SET {field} = {EDITS[field]} WHERE chain_index = 4")

    report = verify(db, key_file)

    assert not report.ok and report.first_broken is not None
    assert report.first_broken.chain_index == 4
    assert "edited" in report.first_broken.problem
    assert report.checked == 3


def test_a_forged_link_is_found(db: Engine, key_file: Path) -> None:
    write_chain(db, 5)
    execute(db, "UPDATE audit_entries SET prev_hash = :h WHERE chain_index = 4", h="f" * 64)
    broken = verify(db, key_file).first_broken
    assert broken is not None and broken.chain_index == 4 and "prev_hash" in broken.problem


def test_a_deleted_entry_is_found(db: Engine, key_file: Path) -> None:
    write_chain(db, 6)
    execute(db, "DELETE FROM audit_entries WHERE chain_index = 4")

    broken = verify(db, key_file).first_broken

    assert broken is not None
    assert (broken.chain_index, broken.post_id, broken.action) == (5, "p1", "brand_checked")
    assert "entry 4 before it is missing" in broken.problem


def test_a_deleted_last_entry_is_found(db: Engine, key_file: Path) -> None:
    write_chain(db, 6)
    execute(db, "DELETE FROM audit_entries WHERE chain_index = 6")
    broken = verify(db, key_file).first_broken
    assert broken is not None and broken.chain_index == 6 and "later entries were deleted" in broken.problem


def test_swapped_entries_are_found(db: Engine, key_file: Path) -> None:
    write_chain(db, 6)
    execute(db, "UPDATE audit_entries SET chain_index = 100 WHERE chain_index = 4")
    execute(db, "UPDATE audit_entries SET chain_index = 4 WHERE chain_index = 5")
    execute(db, "UPDATE audit_entries SET chain_index = 5 WHERE chain_index = 100")

    broken = verify(db, key_file).first_broken

    assert broken is not None and broken.chain_index == 4 and "reordered" in broken.problem


def rewrite_from(engine: Engine, index: int, actor: str) -> None:
    """What someone with the database but not the key can do: edit, then recompute every hash after it."""
    with transaction(engine) as session:
        entries = list(
            session.exec(
                select(AuditEntry).where(AuditEntry.workspace_id == "acme").order_by(col(AuditEntry.chain_index))
            )
        )
        entries[index - 1].actor = actor
        running = entries[index - 2].hash if index > 1 else GENESIS_HASH
        for entry in entries[index - 1 :]:
            entry.prev_hash = running
            entry.hash = running = entry_hash(running, entry)
            session.add(entry)
        head = session.get(AuditChainHead, "acme")
        assert head is not None
        head.last_hash = running
        session.add(head)


def test_a_consistent_rewrite_without_the_key_is_found_by_the_checkpoint(db: Engine, key_file: Path) -> None:
    write_chain(db, 6)
    sign_now(db, key_file)
    with transaction(db) as session:
        record_transitions(session, [record(7), record(8)])
    rewrite_from(db, 2, "mallory")

    report = verify(db, key_file)

    assert report.first_broken is not None and report.first_broken.chain_index == 6
    assert "rewritten between entries 1 and 6" in report.first_broken.problem
    assert report.checked == 5 and report.checkpoints_verified == 0


def test_a_checkpoint_forged_with_another_key_is_found(db: Engine, key_file: Path, tmp_path: Path) -> None:
    write_chain(db, 6)
    sign_now(db, key_file)
    rewrite_from(db, 2, "mallory")
    entries = chain(db)
    # Re-sign the rewritten end with a key of one's own, claiming the real key's id.
    forger = load_or_create_signing_key(tmp_path / "forger.key")
    with transaction(db) as session:
        checkpoint = session.exec(select(AuditCheckpoint)).one()
        checkpoint.hash = entries[5].hash
        checkpoint.signature = sign(forger, checkpoint_message("acme", 6, checkpoint.hash, checkpoint.signed_at))
        session.add(checkpoint)

    broken = verify(db, key_file).first_broken

    assert broken is not None and broken.chain_index == 6 and "signature is invalid" in broken.problem


def test_deleting_the_checkpoints_too_is_found_when_one_was_due(db: Engine, key_file: Path) -> None:
    configure_checkpoints(CheckpointPolicy(every=3, key_file=key_file))
    write_chain(db, 7)
    with transaction(db) as session:
        signed = [c.chain_index for c in session.exec(select(AuditCheckpoint).order_by(col(AuditCheckpoint.id)))]
    assert signed == [3, 6]  # the writer signs every N entries
    assert verify(db, key_file, every=3).ok

    rewrite_from(db, 1, "mallory")
    execute(db, "DELETE FROM audit_checkpoints")
    execute(db, "UPDATE audit_chain_heads SET last_checkpoint_index = 0")

    broken = verify(db, key_file, every=3).first_broken
    assert broken is not None and broken.chain_index == 3 and "no valid signed checkpoint" in broken.problem


def test_the_writer_does_not_sign_a_tampered_tail(db: Engine, key_file: Path) -> None:
    configure_checkpoints(CheckpointPolicy(every=3, key_file=key_file))
    write_chain(db, 4)
    execute(db, "UPDATE audit_entries SET actor = 'mallory' WHERE chain_index = 4")
    with transaction(db) as session:
        record_transitions(session, [record(5), record(6)])  # the 6th entry makes a checkpoint due

    with transaction(db) as session:
        assert [c.chain_index for c in session.exec(select(AuditCheckpoint))] == [3]
    broken = verify(db, key_file, every=3).first_broken
    assert broken is not None and broken.chain_index == 4 and "edited" in broken.problem


def test_a_retried_write_does_not_fork_the_chain(db: Engine, key_file: Path) -> None:
    batch = [record(1, AuditAction.SUBMITTED), record(2)]
    with transaction(db) as session:
        assert record_transitions(session, batch) == 2
    with transaction(db) as session:
        assert record_transitions(session, batch) == 0  # the activity retried
        assert record_transitions(session, [record(2), record(3)]) == 1
    with transaction(db) as session:
        head = session.get(AuditChainHead, "acme")
        assert head is not None and head.last_index == 3
    assert [(e.seq, e.chain_index) for e in chain(db)] == [(1, 1), (2, 2), (3, 3)]
    assert verify(db, key_file).ok


def test_signing_twice_at_the_same_end_returns_the_first_checkpoint(db: Engine, key_file: Path) -> None:
    write_chain(db, 2)
    first, again = sign_now(db, key_file), sign_now(db, key_file)
    assert (first.id, first.signature) == (again.id, again.signature)


def test_a_broken_chain_is_not_signed(db: Engine, key_file: Path) -> None:
    write_chain(db, 4)
    execute(db, "UPDATE audit_entries SET actor = 'mallory' WHERE chain_index = 2")
    with pytest.raises(ChainBroken, match="broken at entry 2"):
        sign_now(db, key_file)


def test_concurrent_writers_produce_one_gapless_chain(db: Engine, key_file: Path) -> None:
    configure_checkpoints(CheckpointPolicy(every=7, key_file=key_file))
    writers, each = 6, 8
    errors: list[BaseException] = []
    start = threading.Barrier(writers)

    def write(n: int) -> None:
        try:
            start.wait()
            for seq in range(1, each + 1):
                with transaction(db) as session:
                    record_transitions(session, [record(seq, post_id=f"w{n}")])
        except BaseException as err:  # reported below, with the thread's error
            errors.append(err)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    entries = chain(db)
    assert [e.chain_index for e in entries] == list(range(1, writers * each + 1))
    report = verify(db, key_file, every=7)
    assert report.ok, report.summary()
    assert report.checkpoints_verified == writers * each // 7


# ---- the migration chains what was stored before it -------------------------------------------------------


def upgrade(engine: Engine, revision: str) -> None:
    run_migrations(engine, "upgrade", revision)


def test_the_migration_chains_existing_entries(bare_db: Engine, key_file: Path) -> None:
    upgrade(bare_db, "0007")
    old = sa.table(
        "audit_entries",
        *(sa.column(c) for c in ("workspace_id", "post_id", "workflow_id", "seq", "action", "actor")),
        *(sa.column(c) for c in ("revision", "content_hash", "status", "detail")),
        sa.column("at", UTCDateTime()),
        sa.column("recorded_at", UTCDateTime()),
    )
    rows = [
        # (workspace, seq, recorded minutes after T0), inserted so that ids (1..4) are out of time order.
        ("acme", 2, 5),
        ("acme", 1, 1),
        ("globex", 1, 2),
        ("acme", 3, 9),
    ]
    with bare_db.begin() as conn:
        for ws, seq, minutes in rows:
            conn.execute(
                old.insert(),
                {
                    "workspace_id": ws,
                    "post_id": "p1",
                    "workflow_id": f"post-p1-{ws}",
                    "seq": seq,
                    "action": "brand_checked",
                    "actor": "ed",
                    "revision": 1,
                    "content_hash": "sha256:abc",
                    "status": "awaiting_approval",
                    "detail": json.dumps({"seq": seq}),
                    "at": T0,
                    "recorded_at": T0 + timedelta(minutes=minutes),
                },
            )

    upgrade(bare_db, "head")

    assert [(e.id, e.chain_index) for e in chain(bare_db)] == [(2, 1), (1, 2), (4, 3)]
    assert verify(bare_db, key_file).ok
    with transaction(bare_db) as session:
        assert verify_chain(session, "globex", None).ok
        record_transitions(session, [record(4)])  # new entries continue the migrated chain
    assert [e.chain_index for e in chain(bare_db)] == [1, 2, 3, 4]
    assert verify(bare_db, key_file).ok
