"""The verification bundle on SQLite and PostgreSQL: what it holds, and every kind of tampering an offline
verifier must name (edited, deleted, reordered entries; a forged checkpoint; a key that is not the trusted one;
entries cut after a signed checkpoint); and the channel filter of the store's search."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.engine import Engine
from test_audit_chain import T0, db, key_file, record, sign_now  # noqa: F401 (fixtures)

from store.audit_bundle import bundle_lines, verify_bundle
from store.audit_search import AuditFilter, find_entries
from store.audit_signing import load_or_create_signing_key
from store.engine import transaction
from store.records import record_transitions


def chain(engine: Engine, key: Path, count: int = 6) -> list[str]:
    """`count` entries (the odd ones about channel sbx), signed at entry 4; the bundle's lines."""
    for seq in range(1, count + 1):
        entry = record(seq)
        if seq % 2:
            entry = entry.model_copy(update={"detail": {"channel_id": "sbx", "n": seq}})
        with transaction(engine) as session:
            record_transitions(session, [entry])
        if seq == 4:
            sign_now(engine, key)
    public = load_or_create_signing_key(key).public_key()
    return "".join(bundle_lines(engine, "acme", public)).splitlines(keepends=True)


def test_an_intact_bundle_verifies_with_its_last_checkpoint(db: Engine, key_file: Path) -> None:  # noqa: F811
    lines = chain(db, key_file)
    kinds = [json.loads(line)["kind"] for line in lines]
    assert kinds == ["bundle", "checkpoint", *["entry"] * 6]

    report = verify_bundle(lines)

    assert report.ok and (report.entries, report.last_signed, report.checkpoints_verified) == (6, 4, 1)
    assert report.summary().startswith("acme: intact up to entry 6, last signed checkpoint at entry 4 (")
    assert report.summary().endswith("entries 5-6 are not yet covered by a checkpoint")


@pytest.mark.parametrize(
    ("tamper", "at", "why"),
    [
        (lambda ls: [*ls[:4], ls[4].replace('"n":3', '"n":4'), *ls[5:]], 3, "do not match its hash"),
        (lambda ls: [*ls[:4], *ls[5:]], 3, "entry 3 is missing"),
        (lambda ls: [*ls[:3], ls[4], ls[3], *ls[5:]], 2, "entry 2 is missing"),
        (lambda ls: [ls[0], ls[1].replace('"chain_index":4', '"chain_index":5'), *ls[2:]], 5, "signature is invalid"),
        (lambda ls: ls[:5], 4, "checkpoint covers entry 4 but the bundle ends at 3"),
        (lambda ls: [*ls[:4], ls[4][:40]], 3, "line 5 of the bundle is not a bundle record"),
    ],
    ids=["edited", "deleted", "reordered", "forged-checkpoint", "cut-after-checkpoint", "cut-mid-line"],
)
def test_tampering_is_named_at_its_entry(
    db: Engine,  # noqa: F811
    key_file: Path,  # noqa: F811
    tamper: object,
    at: int,
    why: str,
) -> None:
    lines = chain(db, key_file)
    report = verify_bundle(tamper(lines))  # type: ignore[operator]
    assert not report.ok and report.first_broken == at and why in report.problem, report.summary()
    assert report.summary().startswith(f"acme: broken at entry {at}")


def test_a_bundle_verified_with_another_trusted_key_fails_at_the_checkpoint(db: Engine, key_file: Path) -> None:  # noqa: F811
    lines = chain(db, key_file)
    report = verify_bundle(lines, trusted=Ed25519PrivateKey.generate().public_key())
    assert report.first_broken == 4 and "a key not given" in report.problem


def test_the_channel_filter_reads_the_detail_exactly(db: Engine, key_file: Path) -> None:  # noqa: F811
    chain(db, key_file)
    with transaction(db) as session:
        sbx = find_entries(session, "acme", AuditFilter(channel="sbx"))
        none = find_entries(session, "acme", AuditFilter(channel="sb"))
        wild = find_entries(session, "acme", AuditFilter(channel="%"))
        window = find_entries(
            session, "acme", AuditFilter(channel="sbx", since=T0 + timedelta(minutes=2), until=T0 + timedelta(hours=1))
        )
    assert [e.chain_index for e in sbx] == [1, 3, 5] and none == [] and wild == []
    assert [e.chain_index for e in window] == [3, 5]
