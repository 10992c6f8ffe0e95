"""A verification bundle: a workspace's whole chain, its signed checkpoints and the public key(s), as JSON Lines
that anyone verifies offline (`postgate audit verify --bundle FILE`: no database, no server).

Shape ("postgate-audit-bundle/1"), one JSON object per line, in this order:

    {"kind": "bundle", "format": "postgate-audit-bundle/1", "workspace_id": ..., "exported_at": ...,
     "public_keys": [{"key_id": "ed25519:...", "pem": "-----BEGIN PUBLIC KEY-----..."}]}
    {"kind": "checkpoint", "chain_index": N, "hash": ..., "signed_at": ..., "key_id": ..., "signature": ...}  (each)
    {"kind": "entry", <the export row: every hashed field, recorded_at, prev_hash, hash>}  (each, from entry 1)

Checkpoints come before entries so a verifier streams the entries in bounded memory. The bundle always
holds the whole chain, whatever filter the page shows: continuity can only be checked from the first entry.
The bundled key is what the server says it signs with; an outsider compares its key_id with the one the
operator publishes (`postgate audit public-key`), or passes that key with `--public-key`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from store.audit_chain import GENESIS_HASH, TIME_FORMAT, canonical_json, canonical_time, checkpoint_message, entry_hash
from store.audit_search import AuditFilter, chunked, export_row, find_entries
from store.audit_signing import key_id, public_key_pem, signature_valid
from store.engine import transaction
from store.tables import AuditCheckpoint

BUNDLE_FORMAT = "postgate-audit-bundle/1"
PAGE = 1000


def last_checkpoint(session: Session, workspace_id: str, up_to: int) -> AuditCheckpoint | None:
    """The latest checkpoint at or before entry `up_to`."""
    query = (
        select(AuditCheckpoint)
        .where(AuditCheckpoint.workspace_id == workspace_id, col(AuditCheckpoint.chain_index) <= up_to)
        .order_by(col(AuditCheckpoint.chain_index).desc())
    )
    return session.exec(query).first()


def _line(value: dict[str, Any]) -> str:
    return canonical_json(value).decode("utf-8") + "\n"


def bundle_lines(engine: Engine, workspace_id: str, public_key: Ed25519PublicKey | None) -> Iterator[str]:
    """The bundle in pieces of whole lines (store.audit_search.chunked), each page of entries read in its own
    short transaction."""
    return chunked(_bundle_lines(engine, workspace_id, public_key))


def _bundle_lines(engine: Engine, workspace_id: str, public_key: Ed25519PublicKey | None) -> Iterator[str]:
    keys = [] if public_key is None else [{"key_id": key_id(public_key), "pem": public_key_pem(public_key)}]
    yield _line(
        {
            "kind": "bundle",
            "format": BUNDLE_FORMAT,
            "workspace_id": workspace_id,
            "exported_at": canonical_time(datetime.now(UTC)),
            "public_keys": keys,
        }
    )
    with transaction(engine) as session:
        query = select(AuditCheckpoint).where(AuditCheckpoint.workspace_id == workspace_id)
        checkpoints = list(session.exec(query.order_by(col(AuditCheckpoint.chain_index))))
    for c in checkpoints:
        yield _line(
            {
                "kind": "checkpoint",
                "workspace_id": c.workspace_id,
                "chain_index": c.chain_index,
                "hash": c.hash,
                "signed_at": canonical_time(c.signed_at),
                "key_id": c.key_id,
                "signature": c.signature,
            }
        )
    after = 0
    while True:
        with transaction(engine) as session:
            page = find_entries(session, workspace_id, AuditFilter(), after_index=after, limit=PAGE)
        for entry in page:
            yield _line({"kind": "entry", **export_row(entry)})
        if len(page) < PAGE:
            return
        after = page[-1].chain_index


# ---- verifying offline (pure: reads lines, needs nothing else) -------------------------------------------


@dataclass
class _Fields:
    """An entry as the chain's canonical form reads it (store.audit_chain.entry_payload)."""

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


@dataclass
class BundleReport:
    workspace_id: str = ""
    entries: int = 0
    checkpoints_verified: int = 0
    last_signed: int = 0
    last_signed_at: str = ""
    last_key_id: str = ""
    first_broken: int | None = None
    what: str = ""  # the broken entry's post and action, when known
    problem: str = ""
    problems: list[tuple[int, str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.first_broken is None

    def summary(self) -> str:
        if self.first_broken is not None:
            return f"{self.workspace_id}: broken at entry {self.first_broken}{self.what}: {self.problem}"
        signed = (
            f"last signed checkpoint at entry {self.last_signed} ({self.last_signed_at}, {self.last_key_id})"
            if self.last_signed
            else "no signed checkpoint"
        )
        tail = self.entries - self.last_signed
        unsigned = ""
        if tail:
            unsigned = f"; entries {self.last_signed + 1}-{self.entries} are not yet covered by a checkpoint"
        return f"{self.workspace_id}: intact up to entry {self.entries}, {signed}{unsigned}"


def _time(text: str) -> datetime:
    return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=UTC)


def _key(pem: str) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem.encode())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def verify_bundle(lines: Iterable[str], trusted: Ed25519PublicKey | None = None) -> BundleReport:
    """Check a bundle: each entry's hash, the chain's continuity from genesis, each checkpoint's signature
    (with `trusted`, else the bundled keys) and that the entry it signs has that hash. The first broken
    entry (the lowest index with a problem) is reported."""
    report = BundleReport()
    keys: dict[str, Ed25519PublicKey] = {}
    signed: dict[int, dict[str, Any]] = {}  # checkpoints whose signature holds, by entry index
    index, running, number = 0, GENESIS_HASH, 0

    def broken(at: int, problem: str, what: str = "") -> None:
        report.problems.append((at, what, problem))

    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            item = json.loads(raw)
            kind = item["kind"]
        except (ValueError, KeyError, TypeError):
            broken(index + 1, f"line {number} of the bundle is not a bundle record (altered or cut)")
            break
        if number == 1:
            if kind != "bundle" or item.get("format") != BUNDLE_FORMAT:
                broken(0, f"not a {BUNDLE_FORMAT} file")
                break
            report.workspace_id = str(item.get("workspace_id", ""))
            if trusted is not None:
                keys = {key_id(trusted): trusted}
            else:
                for bundled in item.get("public_keys", []):
                    key = _key(bundled["pem"])
                    keys[key_id(key)] = key
            continue
        if kind == "checkpoint":
            try:
                message = checkpoint_message(
                    item["workspace_id"], item["chain_index"], item["hash"], _time(item["signed_at"])
                )
                signer = keys.get(item["key_id"])
                if signer is None:
                    broken(item["chain_index"], f"its checkpoint is signed by {item['key_id']}, a key not given")
                elif item["workspace_id"] != report.workspace_id:
                    broken(item["chain_index"], "its checkpoint belongs to another workspace")
                elif not signature_valid(signer, message, item["signature"]):
                    broken(item["chain_index"], "its checkpoint's signature is invalid (forged or altered)")
                else:
                    signed[item["chain_index"]] = item
            except (KeyError, ValueError, TypeError):
                broken(index + 1, f"line {number} of the bundle is a malformed checkpoint")
            continue
        if kind != "entry":
            broken(index + 1, f"line {number} of the bundle has an unknown kind {kind!r}")
            break
        at = item.get("chain_index")
        what = f" (post {item.get('post_id') or '-'}, {item.get('action')})"
        if at != index + 1:
            broken(index + 1, f"entry {index + 1} is missing (the next one is {at})")
            break
        if item.get("prev_hash") != running:
            broken(at, f"its prev_hash does not match the hash of entry {index} (entries reordered or replaced)", what)
            break
        try:
            fields = _Fields(
                **{name: item[name] for name in _Fields.__dataclass_fields__ if name not in ("detail", "at")},
                detail=canonical_json(item["detail"]).decode("utf-8"),
                at=_time(item["at"]),
            )
            recomputed = entry_hash(running, fields)
        except (KeyError, ValueError, TypeError):
            recomputed = ""
        if recomputed != item.get("hash"):
            broken(at, "its fields do not match its hash (edited after it was written)", what)
            break
        checkpoint = signed.get(at)
        if checkpoint is not None:
            if checkpoint["hash"] != item["hash"]:
                broken(at, f"its hash differs from the checkpoint signed at {checkpoint['signed_at']}", what)
                break
            report.checkpoints_verified += 1
            report.last_signed, report.last_signed_at = at, checkpoint["signed_at"]
            report.last_key_id = checkpoint["key_id"]
        index, running = at, item["hash"]
    if number == 0:
        broken(0, "the bundle is empty")
    report.entries = index
    beyond = [i for i in signed if i > index]
    if beyond and not report.problems:
        broken(index + 1, f"a signed checkpoint covers entry {min(beyond)} but the bundle ends at {index}")
    if report.problems:
        report.first_broken, report.what, report.problem = min(report.problems, key=lambda p: p[0])
    return report
