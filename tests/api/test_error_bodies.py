"""Every error answers one JSON body, {"error", "message", "details"}, whatever raised it.

The handlers are checked on a bare app whose routes raise what the real routes may meet (the workflow
service's failures, a crash); the body limits on the real app over HTTP.
"""

from __future__ import annotations

import base64
import logging

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError
from temporalio.client import (
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.app import MAX_BODY_BYTES
from api.errors import install_error_handlers
from api.routes_brand import MAX_STYLE_BYTES
from api.routes_notifications import EmailTargetCreate
from api_client import as_user, setup_workspace

RAISED: dict[str, Exception] = {
    "crash": RuntimeError("password=hunter2 in a stack trace"),
    "unavailable": RPCError("connection refused", RPCStatusCode.UNAVAILABLE, b""),
    "ended": RPCError("workflow execution already completed", RPCStatusCode.NOT_FOUND, b""),
    "rpc": RPCError("namespace is not found", RPCStatusCode.INVALID_ARGUMENT, b""),
    "refused": WorkflowUpdateFailedError(ApplicationError("the post is on hold", type="SomethingNew")),
    "stale": WorkflowUpdateFailedError(ApplicationError("you reviewed another revision", type="StaleContent")),
    "update-timeout": WorkflowUpdateRPCTimeoutOrCancelledError(),
    "query": WorkflowQueryFailedError("the workflow task failed"),
}


@pytest.fixture
def raising() -> httpx.AsyncClient:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/raise/{what}")
    async def _raise(what: str) -> None:
        raise RAISED[what]

    @app.post("/echo")
    async def _echo(body: dict[str, str]) -> dict[str, str]:
        return body

    return httpx.AsyncClient(transport=httpx.ASGITransport(app, raise_app_exceptions=False), base_url="http://t")


def _body_of(r: httpx.Response) -> dict[str, object]:
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert set(body) == {"error", "message", "details"}, body
    return body


async def test_an_unexpected_exception_is_a_generic_500_and_logged(
    raising: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="postgate.api"):
        r = await raising.post("/raise/crash")
    assert r.status_code == 500
    assert _body_of(r)["error"] == "internal_error"
    assert "hunter2" not in r.text and "RuntimeError" not in r.text
    [record] = [rec for rec in caplog.records if rec.name == "postgate.api"]
    assert record.exc_info is not None and "POST /raise/crash" in record.getMessage()


@pytest.mark.parametrize(
    ("what", "status", "error", "message"),
    [
        ("unavailable", 503, "unavailable", "try again shortly"),
        ("ended", 409, "invalid_state", "lifecycle has ended"),
        ("rpc", 502, "workflow_service_error", "namespace is not found"),
        ("refused", 409, "update_failed", "the post is on hold"),
        ("stale", 409, "stale_content", "you reviewed another revision"),
        ("update-timeout", 504, "timeout", "read the post"),
        ("query", 502, "workflow_query_failed", "try again shortly"),
    ],
)
async def test_workflow_service_failures_read_as_http_errors(
    raising: httpx.AsyncClient, what: str, status: int, error: str, message: str
) -> None:
    r = await raising.post(f"/raise/{what}")
    assert r.status_code == status
    body = _body_of(r)
    assert body["error"] == error and message in str(body["message"])
    if status == 503:
        assert r.headers["retry-after"] == "5"


async def test_a_body_that_is_not_utf8_is_a_malformed_request(raising: httpx.AsyncClient) -> None:
    r = await raising.post("/echo", content=b'{"a": "\xff"}', headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert _body_of(r)["error"] == "invalid_request"


async def test_an_unknown_route_and_method_answer_the_error_body(raising: httpx.AsyncClient) -> None:
    assert _body_of(await raising.get("/nowhere"))["error"] == "not_found"
    assert _body_of(await raising.get("/echo"))["error"] == "method_not_allowed"


async def test_bodies_are_limited_before_they_are_read(api: httpx.AsyncClient) -> None:
    await setup_workspace(api)
    ada = as_user("ada")
    too_big = {"id": "big", "name": "Big", "banned_words": ["x" * 100] * (MAX_BODY_BYTES // 100)}
    r = await api.post("/workspaces", json=too_big, headers=ada)
    assert r.status_code == 413, r.text
    assert _body_of(r)["error"] == "too_large" and str(MAX_BODY_BYTES) in str(r.json()["message"])

    # A style may be larger than a JSON body, up to its own limit.
    yaml = {**ada, "content-type": "application/yaml"}
    r = await api.put("/workspaces/acme/style", content=b"#" * (MAX_BODY_BYTES + 1), headers=yaml)
    assert r.status_code == 422 and r.json()["error"] == "invalid_style", r.text
    r = await api.put("/workspaces/acme/style", content=b"#" * (MAX_STYLE_BYTES + 1), headers=yaml)
    assert r.status_code == 413 and str(MAX_STYLE_BYTES) in str(_body_of(r)["message"])


@pytest.mark.parametrize("address", ["", "  ", "a@"])
def test_an_address_the_mail_parser_chokes_on_is_refused_not_a_crash(address: str) -> None:
    # The fuzzer found these: the stdlib parser raises IndexError on them, which was a 500.
    with pytest.raises(ValidationError, match="give one e-mail address"):
        EmailTargetCreate(kind="email", address=address)


async def test_numbers_too_large_for_the_database_are_refused_not_a_crash(api: httpx.AsyncClient) -> None:
    # The fuzzer found the first: any integer reaching SQL past 64 bits overflowed the driver, a 500.
    await setup_workspace(api)
    post = await api.post("/posts", json={"channel_id": "sbx", "text": "Hi"}, headers=as_user("ed"))
    assert post.status_code == 201, post.text
    huge, post_id = 2**64, post.json()["id"]
    audit_cursor = base64.urlsafe_b64encode(f"after:{huge}".encode()).decode()  # as the API encodes one
    for method, url in (
        ("GET", f"/posts/{post_id}/revisions/1/diff?against={huge}"),
        ("GET", f"/posts/{post_id}/revisions/{huge}"),
        ("GET", f"/posts/{post_id}/revisions?cursor={huge}"),
        ("DELETE", f"/workspaces/acme/notification-targets/{huge}"),
        ("GET", f"/workspaces/acme/audit?cursor={audit_cursor}"),
    ):
        r = await api.request(method, url, headers=as_user("ada"))
        assert r.status_code == 422, (url, r.text)
        assert _body_of(r)["error"] in ("invalid_request", "invalid_cursor")
