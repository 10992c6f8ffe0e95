"""The OpenAPI document says what the server does (issue 10, item 15), checked directly and fast; the
schemathesis run (test_openapi_fuzz.py) fuzzes every operation against it.

The app runs in-process; where a route needs the workflow service, a client that cannot reach it stands in.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine
from temporalio.service import RPCError, RPCStatusCode

from api.app import create_app
from api_client import ACCOUNTS, as_user, setup_workspace
from settings import Settings
from store.engine import transaction
from store.tables import Post

SPEC = create_app(Settings(), None, None).openapi()  # type: ignore[arg-type]
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


class UnreachableTemporal:
    """A client whose every use fails as when the workflow service is down."""

    def __getattr__(self, name: str) -> Any:
        raise RPCError("connection refused", RPCStatusCode.UNAVAILABLE, b"")


@pytest.fixture
async def http(engine: Engine, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(data_dir=tmp_path / "data"), engine, UnreachableTemporal())  # type: ignore[arg-type]
    ACCOUNTS.use(engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://contract.test") as client:
        yield client


def _declared(method: str, path: str) -> set[str]:
    return set(SPEC["paths"][path][method.lower()]["responses"])


@pytest.mark.parametrize("path", sorted(SPEC["paths"]))
async def test_a_405_allows_every_method_its_path_takes(http: httpx.AsyncClient, path: str) -> None:
    declared = sorted(m for m in HTTP_METHODS if m.lower() in SPEC["paths"][path])
    url = path.replace("{", "").replace("}", "")  # any value routes alike
    for method in [m for m in HTTP_METHODS if m not in declared] + ["OPTIONS"]:
        r = await http.request(method, url)
        assert r.status_code == 405, (method, url, r.text)
        assert sorted(m.strip() for m in r.headers["allow"].split(",")) == declared, (method, url)
        assert r.json()["error"] == "method_not_allowed"


# Every operation that talks to the workflow service, with a body it takes; "{post}" is a submitted post.
WORKFLOW_OPERATIONS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("POST", "/posts", {"channel_id": "sbx", "text": "Now", "submit": True}),
    ("POST", "/posts/{draft}/submit", None),
    ("POST", "/posts/{post}/revisions", {"text": "Again"}),
    ("POST", "/posts/{post}/decisions", {"decision": "approve", "content_hash": "sha256:x"}),
    ("POST", "/posts/{post}/schedule", {"publish_at": "2030-01-01T09:00:00Z"}),
    ("POST", "/posts/{post}/publish-now", None),
    ("POST", "/posts/{post}/withdraw", {"reason": "no"}),
    ("POST", "/posts/{post}/retry-publish", None),
    ("POST", "/workspaces/acme/pause", {"reason": "incident"}),
    ("POST", "/workspaces/acme/resume", {"policy": "publish"}),
]


async def test_every_operation_that_needs_the_workflow_service_declares_its_failures(
    http: httpx.AsyncClient, engine: Engine
) -> None:
    await setup_workspace(http)
    post, draft = [
        (await http.post("/posts", json={"channel_id": "sbx", "text": text}, headers=as_user("ed"))).json()["id"]
        for text in ("Submitted", "Draft")
    ]
    with transaction(engine) as session:  # as if submitted while the service was up
        row = session.get(Post, post)
        assert row is not None
        row.status = "awaiting_approval"
        session.add(row)
    for method, path, body in WORKFLOW_OPERATIONS:
        r = await http.request(method, path.format(post=post, draft=draft), json=body, headers=as_user("ada"))
        assert r.status_code == 503, (method, path, r.text)
        template = path.replace("acme", "{workspace_id}").replace("{post}", "{post_id}").replace("{draft}", "{post_id}")
        assert {"502", "503", "504"} <= _declared(method, template), (method, template)


def _schema(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = SPEC["components"]["schemas"][name]
    return schema


def _refs(schema: dict[str, Any]) -> list[str]:
    return [option["$ref"].rsplit("/", 1)[1] for option in schema.get("anyOf", [schema]) if "$ref" in option]


def test_bodies_the_server_checks_against_a_model_are_documented_as_that_model() -> None:
    put = SPEC["paths"]["/workspaces/{workspace_id}/social-rules"]["put"]
    assert _refs(put["requestBody"]["content"]["application/json"]["schema"]) == ["SocialRules"]
    channel = _schema("ChannelSettings")["properties"]
    assert _refs(channel["social_overrides"]) == ["SocialRules"]
    assert {"MastodonSettings", "BlueskySettings", "SandboxSettings"} <= set(_refs(channel["settings"]))
    assert {"MastodonCredentials", "OAuth2Credentials"} <= set(_refs(channel["credentials"]))
    # ...and those models take no other keys, as the server refuses them.
    for name in [*_refs(channel["settings"]), *_refs(channel["credentials"]), "SocialRules", "LengthRule"]:
        assert _schema(name)["additionalProperties"] is False, name


async def test_a_channel_takes_the_settings_the_document_shows_and_refuses_others(
    http: httpx.AsyncClient,
) -> None:
    await setup_workspace(http)
    base = {"id": "social", "name": "Social", "platform": "mastodon", "credentials": {"access_token": "t" * 20}}
    good = {**base, "settings": {"instance_url": "https://m.example"}, "social_overrides": {"hashtags": {}}}
    r = await http.post("/workspaces/acme/channels", json=good, headers=as_user("ada"))
    assert r.status_code in (201, 503), r.text  # 503 only when no credential key is configured
    for bad in ({"settings": {"instance_url": "https://m.example", "extra": 1}}, {"social_overrides": {"nope": 1}}):
        r = await http.post("/workspaces/acme/channels", json={**good, "id": "other", **bad}, headers=as_user("ada"))
        assert r.status_code == 422, r.text
