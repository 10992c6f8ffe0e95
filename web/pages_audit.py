"""The auditor's pages: the workspace's trail, one entry, verifying the chain, exports and the verification
bundle, one revision, one post reconciled with its workflow history, and one post's printable evidence.

Every page here only reads: there is no form that changes anything, and each read goes through the JSON API's
route functions (api.routes_audit), so an auditor reads and exports everything and the server decides who may."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from starlette.responses import Response
from temporalio.service import RPCError

from api.deps import Actor, context
from api.routes_audit import export_bundle, export_entries
from api.service import ServiceError
from store.audit_search import ExportFormat
from web.i18n import Reader
from web.pages import error_page, render
from web.session import csrf_token, reader_of, signed_in, to_sign_in
from web.views_audit import (
    entry_view,
    evidence_view,
    export_filter,
    reconcile_view,
    revision_view,
    trail_view,
    verification,
    workspace_reader,
)

router = APIRouter(include_in_schema=False)


async def _page(
    request: Request, build: Callable[[Actor, Reader], Awaitable[Any]], template: str, **extra: Any
) -> Response:
    user = await signed_in(request)
    if user is None:
        return to_sign_in(request)
    reader = reader_of(request)
    try:
        view = await build(user, reader)
    except HTTPException as err:
        return error_page(request, reader, err.status_code)
    except ServiceError as err:
        return _refused(request, reader, err)
    except RPCError:
        return error_page(request, reader, 503)
    return render(request, template, reader, view=view, chrome=view.chrome, **extra)


def _refused(request: Request, reader: Reader, err: ServiceError) -> Response:
    title = reader.gettext("This did not work")
    return render(request, "error.html", reader, status_code=err.status, title=title, message=err.message)


def _query(request: Request) -> dict[str, str]:
    return {k: v for k, v in request.query_params.items()}


@router.get("/w/{workspace_id}/audit")
async def trail_page(request: Request, workspace_id: str) -> Response:
    async def build(user: Actor, reader: Reader) -> Any:
        return await trail_view(
            context(request), user, reader, workspace_id=workspace_id, query=_query(request), csrf=csrf_token(request)
        )

    return await _page(request, build, "audit.html")


@router.get("/w/{workspace_id}/audit/verify")
async def verify_page(request: Request, workspace_id: str) -> Response:
    """The trail with the chain's verification above it (a read: the button is a GET form)."""

    async def build(user: Actor, reader: Reader) -> Any:
        ctx = context(request)
        result = await asyncio.to_thread(verification, ctx, user, reader, workspace_id)
        return await trail_view(
            ctx, user, reader, workspace_id=workspace_id, query=_query(request), csrf=csrf_token(request),
            verification=result,
        )  # fmt: skip

    return await _page(request, build, "audit.html")


async def _download(request: Request, workspace_id: str, kind: str) -> Response:
    user = await signed_in(request)
    if user is None:
        return to_sign_in(request)
    reader = reader_of(request)
    ctx = context(request)
    try:
        workspace_reader(user, workspace_id)
        if kind == "bundle":
            return await asyncio.to_thread(export_bundle, workspace_id, ctx, user)
        fmt: ExportFormat = "csv" if request.query_params.get("format") == "csv" else "jsonl"
        where = await asyncio.to_thread(export_filter, ctx, reader, workspace_id, _query(request))
        # The JSON API's own streaming export: pages of entries read in short transactions, never all at once.
        return export_entries(workspace_id, ctx, user, where, fmt)
    except HTTPException as err:
        return error_page(request, reader, err.status_code)
    except ServiceError as err:
        return _refused(request, reader, err)


@router.get("/w/{workspace_id}/audit/export")
async def export_page(request: Request, workspace_id: str) -> Response:
    return await _download(request, workspace_id, "export")


@router.get("/w/{workspace_id}/audit/bundle")
async def bundle_page(request: Request, workspace_id: str) -> Response:
    return await _download(request, workspace_id, "bundle")


@router.get("/w/{workspace_id}/audit/entries/{index}")
async def entry_page(request: Request, workspace_id: str, index: int) -> Response:
    async def build(user: Actor, reader: Reader) -> Any:
        if not 0 < index < 2**62:
            raise HTTPException(404)
        return await entry_view(
            context(request), user, reader, workspace_id=workspace_id, index=index, csrf=csrf_token(request)
        )

    return await _page(request, build, "audit_entry.html")


@router.get("/w/{workspace_id}/audit/posts/{post_id}/revisions/{number}")
async def revision_page(request: Request, workspace_id: str, post_id: str, number: int) -> Response:
    async def build(user: Actor, reader: Reader) -> Any:
        return await revision_view(
            context(request), user, reader, workspace_id=workspace_id, post_id=post_id[:64], number=number,
            csrf=csrf_token(request),
        )  # fmt: skip

    return await _page(request, build, "audit_revision.html")


@router.get("/w/{workspace_id}/audit/posts/{post_id}/reconcile")
async def reconcile_page(request: Request, workspace_id: str, post_id: str) -> Response:
    async def build(user: Actor, reader: Reader) -> Any:
        return await reconcile_view(
            context(request), user, reader, workspace_id=workspace_id, post_id=post_id[:64], csrf=csrf_token(request)
        )

    return await _page(request, build, "audit_reconcile.html")


@router.get("/w/{workspace_id}/audit/posts/{post_id}/evidence")
async def evidence_page(request: Request, workspace_id: str, post_id: str) -> Response:
    async def build(user: Actor, reader: Reader) -> Any:
        return await evidence_view(
            context(request), user, reader, workspace_id=workspace_id, post_id=post_id[:64], csrf=csrf_token(request)
        )

    return await _page(request, build, "audit_evidence.html")
