"""Uploaded brand styles and the brand settings of workspaces and channels."""

from __future__ import annotations

import json
from collections.abc import Mapping

from pydantic import BaseModel
from sqlmodel import Session, select

from store.tables import BrandStyle, Channel, Workspace


class BrandSettings(BaseModel):
    """Everything one brand check needs to know from the database."""

    style_version: str | None
    style_files: dict[str, str] | None
    social_rules: dict[str, object]
    channel_overrides: dict[str, object]
    banned_words: list[str]
    max_length: int
    counts_as: str | None
    platform: str = "sandbox"
    # What the channel's platform reported about itself (platforms.base.TextLimits as JSON), if read.
    platform_limits: dict[str, object] | None = None


def add_style(
    session: Session,
    workspace_id: str,
    *,
    version: str,
    names: list[str],
    files: Mapping[str, bytes],
    rule_count: int,
    uploaded_by: str,
) -> tuple[BrandStyle, bool]:
    """Store a style version once (the same upload again is not a new version); returns (row, created)."""
    existing = session.exec(
        select(BrandStyle).where(BrandStyle.workspace_id == workspace_id, BrandStyle.version == version)
    ).first()
    if existing is not None:
        return existing, False
    row = BrandStyle(
        workspace_id=workspace_id,
        version=version,
        names=",".join(names),
        files=json.dumps({path: data.decode("utf-8") for path, data in sorted(files.items())}),
        rule_count=rule_count,
        uploaded_by=uploaded_by,
    )
    session.add(row)
    session.flush()
    return row, True


def get_style(session: Session, workspace_id: str, version: str) -> BrandStyle | None:
    return session.exec(
        select(BrandStyle).where(BrandStyle.workspace_id == workspace_id, BrandStyle.version == version)
    ).first()


def style_files(row: BrandStyle) -> dict[str, bytes]:
    return {path: text.encode("utf-8") for path, text in json.loads(row.files).items()}


def brand_settings(session: Session, workspace_id: str, channel_id: str) -> BrandSettings:
    workspace = session.get(Workspace, workspace_id)
    channel = session.get(Channel, {"workspace_id": workspace_id, "id": channel_id})
    if workspace is None or channel is None:
        raise LookupError(f"workspace {workspace_id} or channel {channel_id} does not exist")
    files = None
    if workspace.style_version:
        # A post on several channels asks once per channel: read and parse the style once per session.
        parsed: dict[tuple[str, str], dict[str, str] | None] = session.info.setdefault("brand_style_files", {})
        key = (workspace_id, workspace.style_version)
        if key not in parsed:
            row = get_style(session, workspace_id, workspace.style_version)
            parsed[key] = json.loads(row.files) if row is not None else None
        files = parsed[key]
    return BrandSettings(
        style_version=workspace.style_version,
        style_files=files,
        social_rules=json.loads(workspace.social_rules),
        channel_overrides=json.loads(channel.social_overrides),
        banned_words=json.loads(workspace.banned_words),
        max_length=channel.max_length,
        counts_as=channel.counts_as,
        platform=channel.platform,
        platform_limits=json.loads(channel.platform_limits) if channel.platform_limits else None,
    )
