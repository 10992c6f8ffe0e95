"""Making a compiled style a workspace's style: stored once per version, recorded in the audit chain.

One path for an uploaded style (PUT /workspaces/{id}/style) and a starter style chosen when the workspace
is created (POST /workspaces with `starter_style`), so both are versioned and audited alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session

from brand.style import Style
from domain.status import AuditAction
from store.brand_styles import add_style, get_style
from store.config_audit import record_change
from store.tables import BrandStyle, Workspace


def style_summary(row: BrandStyle | None) -> dict[str, Any] | None:
    """What the trail keeps of a style: its version (a hash of its files, kept whole in brand_styles)."""
    if row is None:
        return None
    return {"version": row.version, "names": row.names.split(","), "rule_count": row.rule_count}


def adopt_style(
    session: Session, workspace_id: str, style: Style, canonical: Mapping[str, bytes], user_id: str
) -> BrandStyle:
    """Store the style's files (once per version) and make it the workspace's style, in the audit chain."""
    row, _ = add_style(
        session,
        workspace_id,
        version=style.version,
        names=list(style.names),
        files=canonical,
        rule_count=len(style.checks),
        uploaded_by=user_id,
    )
    workspace = session.get(Workspace, workspace_id)
    assert workspace is not None
    before = (
        style_summary(get_style(session, workspace_id, workspace.style_version)) if workspace.style_version else None
    )
    workspace.style_version = style.version
    session.add(workspace)
    record_change(
        session,
        workspace_id,
        AuditAction.STYLE_CHANGED,
        user_id,
        subject="style",
        before=before,
        after=style_summary(row),
    )
    return row
