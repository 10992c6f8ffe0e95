"""Configuration changes in the workspace's audit chain: who changed what, from what, to what.

Every route (and command) that changes who may do what, or what is checked, calls `record_change` inside the
transaction that makes the change: the entry and the change commit together or not at all. Entries sit in the
workspace's own sequence (workflow id "workspace-<id>", post_id empty), like pause and resume, so the chain,
GET /workspaces/{id}/audit and `postgate audit verify` cover them.

Secrets never go in: `channel_snapshot` says whether a channel has credentials, under which key, and a
fingerprint of the sealed value (which changes whenever the credentials are replaced); `target_snapshot`
says only whether a webhook has a secret.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from domain.status import AuditAction
from store.records import record_workspace_event
from store.tables import AuditEntry, Channel, NotificationTarget, Workspace


def record_change(
    session: Session,
    workspace_id: str,
    action: AuditAction,
    actor: str,
    *,
    subject: str,
    before: Any,
    after: Any,
    at: datetime | None = None,
    **detail: Any,
) -> AuditEntry:
    """Append one entry about a configuration change to the workspace's chain, in the caller's transaction.

    `subject` names what changed ("member:ed", "channel:x-main", "approval_policy", ...); `before` and `after`
    are JSON-able snapshots (None where the thing did not exist), never secrets."""
    return record_workspace_event(
        session,
        workspace_id,
        action,
        actor,
        at or datetime.now(UTC),
        {"subject": subject, "before": before, "after": after, **detail},
    )


def _parsed(text: str | None) -> Any:
    return json.loads(text) if text else None


def credentials_fingerprint(channel: Channel) -> dict[str, str] | None:
    """What the trail says about a channel's credentials: the key that seals them and a fingerprint of the
    sealed bytes (a fresh nonce on every seal, so any replacement shows); never the value."""
    if channel.credentials is None:
        return None
    digest = hashlib.sha256(channel.credentials.encode("utf-8")).hexdigest()[:16]
    return {"key_id": channel.credentials_key_id or "", "fingerprint": f"sha256:{digest}"}


def channel_snapshot(channel: Channel) -> dict[str, Any]:
    return {
        "name": channel.name,
        "platform": channel.platform,
        "max_length": channel.max_length,
        "counts_as": channel.counts_as,
        "social_overrides": _parsed(channel.social_overrides),
        "approval_policy": _parsed(channel.approval_policy),
        "settings": _parsed(channel.settings),
        "credentials": credentials_fingerprint(channel),
        "state": channel.state,
        "state_reason": channel.state_reason,
    }


def target_snapshot(target: NotificationTarget) -> dict[str, Any]:
    return {
        "id": target.id,
        "kind": target.kind,
        "url": target.url,
        "address": target.address,
        "has_secret": target.secret is not None,
        "enabled": target.enabled,
    }


def workspace_settings(workspace: Workspace) -> dict[str, Any]:
    return {
        "name": workspace.name,
        "banned_words": _parsed(workspace.banned_words),
        "late_policy": workspace.late_policy,
        "time_zone": workspace.time_zone,
    }
