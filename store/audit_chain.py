"""Each workspace's audit entries form one hash chain, with checkpoints signed by a key outside the database.

    hash = sha256(bytes.fromhex(prev_hash) || canonical_json(entry)), hex; the first prev_hash is GENESIS_HASH.

canonical_json is UTF-8 JSON with sorted keys and no whitespace of the entry's meaningful fields
(ENTRY_FIELDS: detail parsed, `at` as UTC text with microseconds, chain_index included). Editing, deleting or
reordering an entry breaks the chain at that entry; rewriting the whole chain consistently breaks the match with
a signed checkpoint (workspace_id, chain_index, hash, signed_at), which needs the key. Appending takes the
workspace's head row lock, so concurrent writers produce one gapless chain.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import BaseModel
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from store.audit_signing import key_id, load_or_create_signing_key, sign, signature_valid
from store.tables import AuditChainHead, AuditCheckpoint, AuditEntry

GENESIS_HASH = "0" * 64
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
ENTRY_FIELDS = (
    "workspace_id",
    "post_id",
    "workflow_id",
    "seq",
    "action",
    "actor",
    "revision",
    "content_hash",
    "status",
    "detail",
    "at",
    "chain_index",
)
log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from settings import Settings


# ---- the canonical form (pure) -----------------------------------------------------------------------


class ChainFields(Protocol):
    """What the hash covers; an AuditEntry, or a row read by the migration."""

    workspace_id: str
    post_id: str
    workflow_id: str
    seq: int
    action: str
    actor: str
    revision: int
    content_hash: str
    status: str
    detail: str
    at: datetime
    chain_index: int


def canonical_time(at: datetime) -> str:
    return at.astimezone(UTC).strftime(TIME_FORMAT)


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def entry_payload(entry: ChainFields) -> dict[str, Any]:
    """The hashed fields; raises ValueError when detail is not JSON."""
    payload: dict[str, Any] = {name: getattr(entry, name) for name in ENTRY_FIELDS}
    payload["detail"] = json.loads(entry.detail)
    payload["at"] = canonical_time(entry.at)
    return payload


def entry_hash(prev_hash: str, entry: ChainFields) -> str:
    return hashlib.sha256(bytes.fromhex(prev_hash) + canonical_json(entry_payload(entry))).hexdigest()


def checkpoint_message(workspace_id: str, chain_index: int, hash_: str, signed_at: datetime) -> bytes:
    """The bytes a checkpoint signs."""
    return canonical_json(
        {
            "workspace_id": workspace_id,
            "chain_index": chain_index,
            "hash": hash_,
            "signed_at": canonical_time(signed_at),
        }
    )


# ---- where writers find the key -------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckpointPolicy:
    every: int
    key_file: Path

    @classmethod
    def of(cls, settings: Settings) -> CheckpointPolicy:
        return cls(settings.audit_checkpoint_every, settings.resolved_audit_signing_key_file)


_policy: CheckpointPolicy | None = None


def configure_checkpoints(policy: CheckpointPolicy | None) -> None:
    """Set how this process's writers sign checkpoints; None reads POSTGATE_ settings again on next use."""
    global _policy
    _policy = policy


def checkpoint_policy() -> CheckpointPolicy:
    # Writers are called with a session only (activities, API service), so the policy comes from the process's
    # settings, read once.
    global _policy
    if _policy is None:
        from settings import Settings

        _policy = CheckpointPolicy.of(Settings())
    return _policy


# ---- appending ---------------------------------------------------------------------------------------


def lock_head(session: Session, workspace_id: str) -> AuditChainHead:
    """The workspace's chain head, locked until the transaction ends.

    PostgreSQL: SELECT ... FOR UPDATE. SQLite: the INSERT takes the database's write lock, which already
    serialises writers (the driver begins the transaction at the first write, so the read comes after it).
    """
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.connection().execute(
        insert(AuditChainHead)
        .values(workspace_id=workspace_id, last_index=0, last_hash=GENESIS_HASH, last_checkpoint_index=0)
        .on_conflict_do_nothing(index_elements=["workspace_id"])
    )
    query = (
        select(AuditChainHead)
        .where(AuditChainHead.workspace_id == workspace_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.exec(query).one()


def append_entries(session: Session, entries: Sequence[AuditEntry]) -> None:
    """Chain and add new entries (the caller has dropped those already stored), signing when one is due."""
    for workspace_id in sorted({e.workspace_id for e in entries}):  # one lock order: no deadlocks
        head = lock_head(session, workspace_id)
        for entry in entries:
            if entry.workspace_id != workspace_id:
                continue
            entry.chain_index = head.last_index + 1
            entry.prev_hash = head.last_hash
            entry.hash = entry_hash(entry.prev_hash, entry)
            head.last_index, head.last_hash = entry.chain_index, entry.hash
            session.add(entry)
        session.add(head)
        policy = checkpoint_policy()
        if head.last_index - head.last_checkpoint_index >= policy.every:
            _checkpoint_if_intact(session, head, load_or_create_signing_key(policy.key_file))


def _checkpoint_if_intact(session: Session, head: AuditChainHead, key: Ed25519PrivateKey) -> None:
    # Never sign what was tampered with since the last checkpoint: that would bless it. Skipping leaves the
    # tail unsigned, which verify_chain reports; the business write itself goes ahead.
    session.flush()
    start_index, start_hash = 0, GENESIS_HASH
    if head.last_checkpoint_index:
        last = _checkpoint_at(session, head.workspace_id, head.last_checkpoint_index)
        if last is None or not _signature_ok(last, key.public_key()):
            log.warning("audit chain of %s: its last checkpoint is missing or forged; not signing", head.workspace_id)
            return
        start_index, start_hash = last.chain_index, last.hash
    index, running = start_index, start_hash
    for entry, problem in _walk(_entries(session, head.workspace_id, after=start_index), start_index, start_hash):
        if problem:
            log.warning("audit chain of %s is broken at %d (%s); not signing", head.workspace_id, index + 1, problem)
            return
        index, running = entry.chain_index, entry.hash
    if (index, running) != (head.last_index, head.last_hash):
        log.warning(
            "audit chain of %s ends at %d, its head says %d; not signing", head.workspace_id, index, head.last_index
        )
        return
    _sign(session, head, key)


def _sign(session: Session, head: AuditChainHead, key: Ed25519PrivateKey) -> AuditCheckpoint:
    signed_at = datetime.now(UTC)
    message = checkpoint_message(head.workspace_id, head.last_index, head.last_hash, signed_at)
    checkpoint = AuditCheckpoint(
        workspace_id=head.workspace_id,
        chain_index=head.last_index,
        hash=head.last_hash,
        signed_at=signed_at,
        key_id=key_id(key.public_key()),
        signature=sign(key, message),
    )
    head.last_checkpoint_index = head.last_index
    session.add(checkpoint)
    session.add(head)
    session.flush()
    return checkpoint


class NothingToSign(Exception):
    pass


class ChainBroken(Exception):
    def __init__(self, report: ChainReport) -> None:
        super().__init__(report.summary())
        self.report = report


def checkpoint_now(session: Session, workspace_id: str, key: Ed25519PrivateKey) -> AuditCheckpoint:
    """Verify the whole chain, then sign its current end (or return the checkpoint already there)."""
    head = lock_head(session, workspace_id)
    if head.last_index == 0:
        raise NothingToSign(f"workspace '{workspace_id}' has no audit entries to sign")
    report = verify_chain(session, workspace_id, key.public_key())
    if not report.ok:
        raise ChainBroken(report)
    return _checkpoint_at(session, workspace_id, head.last_index) or _sign(session, head, key)


# ---- verifying ---------------------------------------------------------------------------------------


class BrokenEntry(BaseModel):
    chain_index: int
    post_id: str | None = None
    workflow_id: str | None = None
    seq: int | None = None
    action: str | None = None
    problem: str


class ChainReport(BaseModel):
    workspace_id: str
    ok: bool
    checked: int
    first_broken: BrokenEntry | None
    checkpoints_verified: int

    def summary(self) -> str:
        if self.first_broken is None:
            return f"{self.workspace_id}: intact, {self.checked} entries, {self.checkpoints_verified} checkpoints"
        b = self.first_broken
        what = f" (post {b.post_id or '-'}, {b.action})" if b.action else ""
        return f"{self.workspace_id}: broken at entry {b.chain_index}{what}: {b.problem}"


def _broken(index: int, entry: AuditEntry | None, problem: str) -> BrokenEntry:
    if entry is None:
        return BrokenEntry(chain_index=index, problem=problem)
    return BrokenEntry(
        chain_index=index,
        post_id=entry.post_id,
        workflow_id=entry.workflow_id,
        seq=entry.seq,
        action=entry.action,
        problem=problem,
    )


def _entries(session: Session, workspace_id: str, after: int = 0) -> Iterator[AuditEntry]:
    query = (
        select(AuditEntry)
        .where(AuditEntry.workspace_id == workspace_id, col(AuditEntry.chain_index) > after)
        .order_by(col(AuditEntry.chain_index))
        .execution_options(yield_per=500)
    )
    yield from session.exec(query)


def _walk(entries: Iterable[AuditEntry], index: int, running: str) -> Iterator[tuple[AuditEntry, str | None]]:
    """Each entry with what is wrong with it, if anything; the caller stops at the first problem."""
    for entry in entries:
        if entry.chain_index != index + 1:
            missing = f"{index + 1}" if entry.chain_index == index + 2 else f"{index + 1}-{entry.chain_index - 1}"
            yield entry, f"entry {missing} before it is missing (deleted)"
            return
        if entry.prev_hash != running:
            yield entry, f"its prev_hash does not match the hash of entry {index} (entries reordered or replaced)"
            return
        try:
            recomputed = entry_hash(entry.prev_hash, entry)
        except ValueError:
            recomputed = ""
        if recomputed != entry.hash:
            yield entry, "its fields do not match its hash (edited after it was written)"
            return
        yield entry, None
        index, running = entry.chain_index, entry.hash


def _checkpoint_at(session: Session, workspace_id: str, index: int) -> AuditCheckpoint | None:
    query = select(AuditCheckpoint).where(
        AuditCheckpoint.workspace_id == workspace_id, AuditCheckpoint.chain_index == index
    )
    return session.exec(query).first()


def _signature_ok(checkpoint: AuditCheckpoint, public_key: Ed25519PublicKey) -> bool:
    message = checkpoint_message(checkpoint.workspace_id, checkpoint.chain_index, checkpoint.hash, checkpoint.signed_at)
    return checkpoint.key_id == key_id(public_key) and signature_valid(public_key, message, checkpoint.signature)


def verify_chain(
    session: Session,
    workspace_id: str,
    public_key: Ed25519PublicKey | None,
    *,
    checkpoint_every: int | None = None,
) -> ChainReport:
    """Walk the workspace's chain and check every checkpoint; report the first broken entry, if any.

    With `checkpoint_every`, a tail longer than that with no valid checkpoint is broken too: the writer signs
    every N entries, so a missing one means deleted checkpoints (or a writer that refused to sign).
    """
    problems: list[BrokenEntry] = []
    checkpoints = _valid_checkpoints(session, workspace_id, public_key, problems)
    walked = _walk_against(session, workspace_id, checkpoints, problems)
    if not walked.broken:
        problems += _end_problems(session, workspace_id, walked, checkpoints, checkpoint_every)
    first = min(problems, key=lambda p: p.chain_index) if problems else None
    if first is not None and first.action is None:
        query = select(AuditEntry).where(
            AuditEntry.workspace_id == workspace_id, AuditEntry.chain_index == first.chain_index
        )
        first = _broken(first.chain_index, session.exec(query).first(), first.problem)
    return ChainReport(
        workspace_id=workspace_id,
        ok=first is None,
        checked=walked.checked,
        first_broken=first,
        checkpoints_verified=walked.verified,
    )


def _valid_checkpoints(
    session: Session, workspace_id: str, public_key: Ed25519PublicKey | None, problems: list[BrokenEntry]
) -> dict[int, AuditCheckpoint]:
    """The checkpoints whose signature holds, by index; each other one is a problem at its index."""
    valid: dict[int, AuditCheckpoint] = {}
    query = select(AuditCheckpoint).where(AuditCheckpoint.workspace_id == workspace_id)
    for checkpoint in session.exec(query.order_by(col(AuditCheckpoint.chain_index))):
        if public_key is None:
            problem = "its checkpoint cannot be checked: there is no verifying key"
        elif checkpoint.key_id != key_id(public_key):
            problem = f"its checkpoint is signed by {checkpoint.key_id}, not by the verifying key {key_id(public_key)}"
        elif not _signature_ok(checkpoint, public_key):
            problem = "its checkpoint's signature is invalid (forged or altered)"
        else:
            valid[checkpoint.chain_index] = checkpoint
            continue
        problems.append(_broken(checkpoint.chain_index, None, problem))
    return valid


@dataclass
class _Walked:
    index: int = 0
    hash: str = GENESIS_HASH
    checked: int = 0
    verified: int = 0
    last_signed: int = 0
    broken: bool = False


def _walk_against(
    session: Session, workspace_id: str, checkpoints: dict[int, AuditCheckpoint], problems: list[BrokenEntry]
) -> _Walked:
    """The chain from genesis, each entry against its links and against the checkpoint at its index."""
    walked = _Walked()
    for entry, problem in _walk(_entries(session, workspace_id), 0, GENESIS_HASH):
        checkpoint = checkpoints.get(entry.chain_index)
        if problem is None and checkpoint is not None and checkpoint.hash != entry.hash:
            problem = (
                f"its hash differs from the checkpoint signed at {canonical_time(checkpoint.signed_at)}: "
                f"the chain was rewritten between entries {walked.last_signed + 1} and {entry.chain_index}"
            )
        if problem is not None:
            problems.append(_broken(entry.chain_index, entry, problem))
            walked.broken = True
            break
        if checkpoint is not None:
            walked.verified, walked.last_signed = walked.verified + 1, entry.chain_index
        walked.index, walked.hash, walked.checked = entry.chain_index, entry.hash, walked.checked + 1
    return walked


def _end_problems(
    session: Session,
    workspace_id: str,
    walked: _Walked,
    checkpoints: dict[int, AuditCheckpoint],
    checkpoint_every: int | None,
) -> list[BrokenEntry]:
    """What an intact walk cannot see: entries deleted from the end, and checkpoints deleted."""
    problems: list[BrokenEntry] = []
    end = walked.index
    head = session.get(AuditChainHead, workspace_id)
    if head is not None and (head.last_index, head.last_hash) != (end, walked.hash):
        if head.last_index > end:
            problem = f"the chain ends at {end} but its head says {head.last_index}: later entries were deleted"
        else:
            problem = f"the chain's head says {head.last_index}, not {end}: the head was altered"
        problems.append(_broken(min(end, head.last_index) + 1, None, problem))
    beyond = [i for i in checkpoints if i > end]
    if beyond:
        problem = f"a signed checkpoint covers entry {min(beyond)} but the chain ends at {end} (entries deleted)"
        problems.append(_broken(end + 1, None, problem))
    if checkpoint_every is not None and end - walked.last_signed >= checkpoint_every:
        problem = (
            f"no valid signed checkpoint after entry {walked.last_signed}, though one is due every "
            f"{checkpoint_every} entries (checkpoints deleted, or the writer refused to sign a tampered chain); "
            "after upgrading a database, run `postgate audit checkpoint` once"
        )
        problems.append(_broken(walked.last_signed + checkpoint_every, None, problem))
    return problems


def chained_workspaces(session: Session) -> list[str]:
    """Every workspace with a chain (or a head left behind by deleted entries)."""
    heads = set(session.exec(select(AuditChainHead.workspace_id)))
    entries = set(session.exec(select(AuditEntry.workspace_id).distinct()))
    return sorted(heads | entries)
