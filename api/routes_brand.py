"""Brand styles and social rules of a workspace, and checking any text without creating a post."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Request
from pydantic import BaseModel, Field

from activities.brand import brand_budget
from api.deps import Actor, AppContext, ContextDep, CurrentUser, require_role
from api.errors import error_responses
from api.routes_workspaces import own_workspace
from api.service import ServiceError
from api.style_storage import adopt_style
from brand.engine import SocialRules, Style, StyleError, compile_style
from brand.loading import canonical_files, files_from_yaml, files_from_zip
from brand.probe import probe_style
from brand.workspace import check_with
from domain.brand import Finding
from domain.content import PostText
from domain.status import AuditAction
from platforms.base import MediaRef
from store.brand_styles import brand_settings, get_style, style_files
from store.config_audit import record_change
from store.engine import transaction
from store.tables import BrandStyle, Channel, Workspace

router = APIRouter(prefix="/workspaces/{workspace_id}", tags=["brand"])
MAX_STYLE_BYTES = 2 * 1024 * 1024
ZIP_TYPES = ("application/zip", "application/x-zip-compressed")
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "text/plain")


class SkippedRulePublic(BaseModel):
    rule: str
    file: str
    reason: str


class StylePublic(BaseModel):
    version: str
    names: list[str]
    rules: list[str]
    skipped: list[SkippedRulePublic] = Field(
        default=[], description="rules of the style that are not run, each with why (the style still applies)"
    )
    uploaded_by: str
    created_at: datetime


class CheckedMedia(MediaRef):
    """An attachment to check, within the limits a post's media has."""

    url: str = Field(min_length=1, max_length=2000)
    mime_type: str = Field(default="image/jpeg", max_length=100)
    alt_text: str = Field(default="", max_length=1500)


class BrandCheckBody(BaseModel):
    text: PostText
    channel_id: str = Field(min_length=1, max_length=64, description="check as this channel would")
    sponsored: bool = False
    media: list[CheckedMedia] = Field(default=[], max_length=20)


class BrandCheckAnswer(BaseModel):
    style_version: str | None
    blocking: bool
    findings: list[Finding]


def _style_error(err: StyleError) -> ServiceError:
    details = [{"file": file, "problem": text} for file, text in err.problems]
    return ServiceError(422, "invalid_style", "the style cannot be used; fix the files listed in details", details)


def _public(row: BrandStyle, style: Style) -> StylePublic:
    return StylePublic(
        version=row.version,
        names=row.names.split(","),
        rules=style.rule_ids,
        skipped=[SkippedRulePublic(rule=rule, file=file, reason=reason) for rule, file, reason in style.skipped],
        uploaded_by=row.uploaded_by,
        created_at=row.created_at,
    )


@router.put(
    "/style",
    response_model=StylePublic,
    responses=error_responses(403, 413, 415, 422),
    max_body_size=MAX_STYLE_BYTES,
    openapi_extra={
        "requestBody": {
            "content": {
                "application/zip": {"schema": {"type": "string", "format": "binary"}},
                "application/yaml": {"schema": {"type": "string"}},
            },
            "required": True,
        }
    },
)
async def upload_style(
    workspace_id: str,
    request: Request,
    ctx: ContextDep,
    user: CurrentUser,
    content_type: Annotated[str, Header()] = "",
) -> StylePublic:
    """Upload a Vale style (a zip of the style folder with config/vocabularies, or one YAML document) and
    make it the workspace's style. Every later brand check uses it and records its version."""
    require_role(own_workspace(user, workspace_id), "admin")
    data = await request.body()  # at most MAX_STYLE_BYTES: a larger body is refused (413) while it arrives
    return await asyncio.to_thread(store_style, ctx, user, workspace_id, data, content_type)


def store_style(ctx: AppContext, user: Actor, workspace_id: str, data: bytes, content_type: str) -> StylePublic:
    """Compile the uploaded style, make it the workspace's and record the change (the upload route's and the
    brand settings page's one way in)."""
    require_role(own_workspace(user, workspace_id), "admin")
    kind = content_type.split(";")[0].strip().lower()
    try:
        if kind in ZIP_TYPES:
            files = files_from_zip(data)
        elif kind in YAML_TYPES:
            files = files_from_yaml(data.decode("utf-8", errors="strict"))
        else:
            raise ServiceError(415, "unsupported_media_type", "send application/zip or application/yaml")
        canonical = canonical_files(files)
        style = compile_style(canonical)
        slow = probe_style(style)  # a pattern that backtracks catastrophically is refused here, by name
        if slow:
            raise StyleError(slow)
    except StyleError as err:
        raise _style_error(err) from err
    except UnicodeDecodeError as err:
        raise ServiceError(422, "invalid_style", "the YAML document is not UTF-8") from err
    with transaction(ctx.engine) as session:
        row = adopt_style(session, workspace_id, style, canonical, user.id)
    return _public(row, style)


@router.get("/style", response_model=StylePublic)
def read_style(workspace_id: str, ctx: ContextDep, user: CurrentUser) -> StylePublic:
    """The workspace's current style and its rules."""
    own_workspace(user, workspace_id)
    with transaction(ctx.engine) as session:
        workspace = session.get(Workspace, workspace_id)
        row = (
            get_style(session, workspace_id, workspace.style_version) if workspace and workspace.style_version else None
        )
    if row is None:
        raise HTTPException(404, "this workspace has no style yet; upload one with PUT .../style")
    return _public(row, compile_style(style_files(row)))


@router.put("/social-rules", response_model=SocialRules, responses=error_responses(403))
def set_social_rules(workspace_id: str, rules: SocialRules, ctx: ContextDep, user: CurrentUser) -> SocialRules:
    """Replace the workspace's social rules (hashtags, links, UTM, disclosure, alt text, claims, length)."""
    require_role(own_workspace(user, workspace_id), "admin")
    with transaction(ctx.engine) as session:
        workspace = session.get(Workspace, workspace_id)
        assert workspace is not None
        before = json.loads(workspace.social_rules or "{}")
        workspace.social_rules = rules.model_dump_json()
        session.add(workspace)
        record_change(
            session,
            workspace_id,
            AuditAction.SOCIAL_RULES_CHANGED,
            user.id,
            subject="social_rules",
            before=before,
            after=rules.model_dump(mode="json"),
        )
    return rules


@router.post("/brand/check", response_model=BrandCheckAnswer, responses=error_responses(403))
def check_text(workspace_id: str, body: BrandCheckBody, ctx: ContextDep, user: CurrentUser) -> BrandCheckAnswer:
    """Check any text as a channel of this workspace would, without creating a post."""
    own_workspace(user, workspace_id)
    with transaction(ctx.engine) as session:
        channel = session.get(Channel, {"workspace_id": workspace_id, "id": body.channel_id})
        if channel is None:
            raise ServiceError(422, "unknown_channel", f"channel '{body.channel_id}' is not in this workspace")
        settings = brand_settings(session, workspace_id, body.channel_id)
    findings = [
        f.to_domain()
        for f in check_with(
            settings, body.text, media=body.media, sponsored=body.sponsored, budget=brand_budget(ctx.settings)
        )
    ]
    return BrandCheckAnswer(
        style_version=settings.style_version, blocking=any(f.blocks_approval for f in findings), findings=findings
    )
