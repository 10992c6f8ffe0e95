"""Bad input is a 422 that says what to fix, and nothing is stored (issue 10, item 14).

Most routes here run in-process without Temporal (the input is refused before any workflow is involved);
the ones that change a submitted post use the `api` fixture (dev server and worker).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine

from api.app import create_app
from api_client import ACCOUNTS, as_user, setup_workspace, submitted_post
from settings import Settings

# Instants that exist as written but not in UTC, before 2000, far ahead, or not a string at all.
BAD_TIMES: list[dict[str, Any]] = [
    {"publish_at": "9999-12-31T23:00:00-14:00"},
    {"publish_at": "0001-01-01T00:00:00+14:00"},
    {"publish_at": "9999-12-31T23:00:00", "time_zone": "Pacific/Honolulu"},
    {"publish_at": "0001-01-01T00:30:00", "time_zone": "Asia/Tokyo"},
    {"publish_at": "1999-12-31T23:59:59Z"},
    {"publish_at": "2999-01-01T00:00:00Z"},
    {"publish_at": 1_800_000_000_000},  # once read as milliseconds
    {"publish_at": "1800000000"},
    {"publish_at": "2030-01-01T09:00:00", "time_zone": "localtime"},
    {"publish_at": "2030-01-01T09:00:00", "time_zone": "Factory"},
    {"publish_at": "2030-01-01T09:00:00", "time_zone": "posixrules"},
]
SURROGATE = "caf\ud800"
NUL = "a\x00b"
JSON = {"content-type": "application/json"}


@asynccontextmanager
async def _client(engine: Engine, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(data_dir=tmp_path / "data"), engine, client=None)  # type: ignore[arg-type]
    ACCOUNTS.use(engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bad.test") as client:
        await setup_workspace(client)
        yield client


@pytest.fixture
async def http(engine: Engine, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with _client(engine, tmp_path) as client:
        yield client


@pytest.fixture(params=["sqlite", "postgres"])
async def on_both(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The app on SQLite and on PostgreSQL, which refuses some text SQLite stores (NUL)."""
    engine: Engine = request.getfixturevalue("engine" if request.param == "sqlite" else "pg_engine")
    async with _client(engine, tmp_path) as client:
        yield client


def _refused(r: httpx.Response, *words: str) -> dict[str, Any]:
    assert r.status_code == 422, r.text
    body = r.json()
    assert set(body) == {"error", "message", "details"}
    for word in words:
        assert word in r.text, r.text
    return body


async def _post_count(http: httpx.AsyncClient) -> int:
    return len((await http.get("/posts", headers=as_user("ed"))).json()["posts"])


@pytest.mark.parametrize("when", BAD_TIMES, ids=lambda w: f"{w['publish_at']}|{w.get('time_zone')}")
async def test_an_impossible_publish_time_is_refused_before_a_draft_exists(
    http: httpx.AsyncClient, when: dict[str, Any]
) -> None:
    r = await http.post("/posts", json={"channel_id": "sbx", "text": "Hi", **when}, headers=as_user("ed"))
    _refused(r)
    assert await _post_count(http) == 0

    draft = (await http.post("/posts", json={"channel_id": "sbx", "text": "Hi"}, headers=as_user("ed"))).json()
    r = await http.post(f"/posts/{draft['id']}/schedule", json=when, headers=as_user("ed"))
    _refused(r)
    read = await http.get(f"/posts/{draft['id']}", headers=as_user("ed"))
    assert read.status_code == 200 and read.json()["publish_at"] == draft["publish_at"]


async def test_a_publish_time_within_range_in_a_zone_is_taken(http: httpx.AsyncClient) -> None:
    body = {"channel_id": "sbx", "text": "Hi", "publish_at": "2030-01-01T09:00:00", "time_zone": "Asia/Jakarta"}
    r = await http.post("/posts", json=body, headers=as_user("ed"))
    assert r.status_code == 201, r.text
    assert r.json()["publish_at"].startswith("2030-01-01T02:00:00")


@pytest.mark.parametrize("zone", ["localtime", "Factory", "posixrules", "Mars/Olympus"])
async def test_only_iana_zone_names_are_zones(http: httpx.AsyncClient, zone: str) -> None:
    r = await http.post(
        "/workspaces", json={"id": "globex", "name": "Globex", "time_zone": zone}, headers=as_user("ada")
    )
    _refused(r, "time_zone", "IANA")
    assert (await http.get("/me", headers=as_user("ada"))).json()["memberships"] == [
        {"workspace_id": "acme", "role": "admin"}
    ]


# Every kind of text a person types, in a body each route takes: post and variant text, comments, reasons,
# names, settings. (path, body); "{post}" is a draft of the workspace.
TEXTS: list[tuple[str, dict[str, Any]]] = [
    ("/posts", {"channel_id": "sbx", "text": SURROGATE}),
    ("/posts", {"channel_id": "sbx", "text": "ok", "variants": [{"channel_id": "sbx", "text": SURROGATE}]}),
    ("/posts/{post}/revisions", {"text": "ok", "comment": SURROGATE}),
    ("/posts/{post}/revisions/1/comments", {"body": SURROGATE}),
    ("/workspaces", {"id": "globex", "name": SURROGATE}),
    ("/workspaces/acme/users", {"id": "zed", "name": SURROGATE, "role": "editor"}),
    ("/workspaces/acme/channels", {"id": "sbx2", "name": SURROGATE}),
    ("/workspaces/acme/channels", {"id": "sbx2", "name": "ok", "social_overrides": {"hashtags": {SURROGATE: 1}}}),
    ("/workspaces/acme/pause", {"reason": SURROGATE}),
    ("/workspaces/acme/brand/check", {"channel_id": "sbx", "text": SURROGATE}),
    ("/me/tokens", {"name": SURROGATE}),
]


@pytest.mark.parametrize("bad", [SURROGATE, NUL])
@pytest.mark.parametrize(("path", "body"), TEXTS, ids=[f"{p} {sorted(b)}" for p, b in TEXTS])
async def test_text_that_cannot_be_stored_is_refused_naming_the_field(
    on_both: httpx.AsyncClient, path: str, body: dict[str, Any], bad: str
) -> None:
    http = on_both
    body = json.loads(json.dumps(body).replace(json.dumps(SURROGATE)[1:-1], json.dumps(bad)[1:-1]))
    draft = (await http.post("/posts", json={"channel_id": "sbx", "text": "A draft"}, headers=as_user("ed"))).json()
    user = "ed" if path.startswith("/posts") else "ada"
    # As JSON spells it: the escape "\ud800", which Python's reader turns into a lone surrogate.
    escaped = json.dumps(body)
    r = await http.post(path.format(post=draft["id"]), content=escaped, headers={**as_user(user), **JSON})
    answer = _refused(r, "Unicode" if bad == SURROGATE else "NUL")
    assert answer["error"] == "invalid_request" and answer["details"][0]["field"]
    assert await _post_count(http) == 1
    revisions = (await http.get(f"/posts/{draft['id']}/revisions", headers=as_user("ed"))).json()["revisions"]
    assert len(revisions) == 1
    assert [m["workspace_id"] for m in (await http.get("/me", headers=as_user("ada"))).json()["memberships"]] == [
        "acme"
    ]


async def test_a_surrogate_sent_as_raw_bytes_is_refused_too(http: httpx.AsyncClient) -> None:
    raw = b'{"channel_id": "sbx", "text": "caf\xed\xa0\x80"}'  # UTF-8's spelling of U+D800, which is not UTF-8
    r = await http.post("/posts", content=raw, headers={**as_user("ed"), **JSON})
    assert r.status_code == 422, r.text
    assert await _post_count(http) == 0


async def test_a_surrogate_in_a_yaml_style_is_refused(http: httpx.AsyncClient) -> None:
    style = b'styles:\n  Acme:\n    Hype:\n      extends: existence\n      message: "\\ud800"\n      tokens: [x]\n'
    r = await http.put(
        "/workspaces/acme/style", content=style, headers={**as_user("ada"), "content-type": "application/yaml"}
    )
    assert r.status_code == 422, r.text
    assert (await http.get("/workspaces/acme/style", headers=as_user("ada"))).status_code == 404


async def test_retrying_the_publish_of_a_draft_is_a_conflict(http: httpx.AsyncClient) -> None:
    draft = (await http.post("/posts", json={"channel_id": "sbx", "text": "A draft"}, headers=as_user("ed"))).json()
    r = await http.post(f"/posts/{draft['id']}/retry-publish", headers=as_user("ed"))
    assert r.status_code == 409, r.text
    assert r.json()["error"] == "invalid_state" and "draft" in r.json()["message"]


POLICIES: list[dict[str, Any]] = [
    {"steps": [{"name": "legal", "users": ["nobody"]}]},
    {"steps": [{"name": "review", "roles": ["approvers"]}]},
    {
        "steps": [
            {
                "name": "review",
                "roles": ["approver"],
                "deadline": {
                    "after": 3600,
                    "escalate_to_users": ["nobody"],
                    "on_expiry": "hold",
                    "escalation_grace": 60,
                },
            }
        ]
    },
]


@pytest.mark.parametrize("policy", POLICIES)
async def test_an_approval_policy_naming_someone_the_workspace_lacks_is_refused(
    http: httpx.AsyncClient, policy: dict[str, Any]
) -> None:
    before = (await http.get("/workspaces/acme/approval-policy", headers=as_user("ada"))).json()
    r = await http.put("/workspaces/acme/approval-policy", json=policy, headers=as_user("ada"))
    answer = _refused(r)
    assert answer["error"] == "unknown_approvers"
    assert "'nobody'" in answer["message"] or "'approvers'" in answer["message"]
    assert (await http.get("/workspaces/acme/approval-policy", headers=as_user("ada"))).json() == before

    channel = {"id": "legal", "name": "Legal", "approval_policy": policy}
    r = await http.post("/workspaces/acme/channels", json=channel, headers=as_user("ada"))
    assert _refused(r)["error"] == "unknown_approvers"
    r = await http.put("/workspaces/acme/channels/sbx", json={"name": "Sbx", **channel}, headers=as_user("ada"))
    assert _refused(r)["error"] == "unknown_approvers"
    channels = (await http.get("/workspaces/acme/channels", headers=as_user("ada"))).json()["channels"]
    assert [(c["id"], c["approval_policy"]) for c in channels] == [("sbx", None)]


async def test_a_policy_naming_members_and_real_roles_is_taken(http: httpx.AsyncClient) -> None:
    policy = {"steps": [{"name": "review", "users": ["ann"], "roles": ["admin"]}]}
    r = await http.put("/workspaces/acme/approval-policy", json=policy, headers=as_user("ada"))
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("bound", ["since", "until"])
@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "1700000000"])
async def test_an_audit_filter_outside_the_calendar_is_refused_before_streaming(
    http: httpx.AsyncClient, bound: str, value: str
) -> None:
    for path in ("/workspaces/acme/audit", "/workspaces/acme/audit/export"):
        r = await http.get(path, params={bound: value}, headers=as_user("ada"))
        assert _refused(r, bound)["details"][0]["field"] == f"query.{bound}"


async def test_an_impossible_time_for_a_submitted_post_is_refused_and_the_post_stays_readable(
    api: httpx.AsyncClient,
) -> None:
    await setup_workspace(api)
    post = await submitted_post(api)
    for when in BAD_TIMES:
        r = await api.post(f"/posts/{post['id']}/schedule", json=when, headers=as_user("ed"))
        _refused(r)
    r = await api.post(
        "/posts", json={"channel_id": "sbx", "text": "Hi", "submit": True, **BAD_TIMES[0]}, headers=as_user("ed")
    )
    _refused(r)
    read = await api.get(f"/posts/{post['id']}", headers=as_user("ed"))
    assert read.status_code == 200 and read.json()["publish_at"] == post["publish_at"]
    decision = {"decision": "approve", "content_hash": post["revision"]["content_hash"]}
    assert (await api.post(f"/posts/{post['id']}/decisions", json=decision, headers=as_user("ann"))).status_code == 200
    assert len((await api.get("/posts", headers=as_user("ed"))).json()["posts"]) == 1


@pytest.mark.parametrize("expires_at", ["9999-12-31T23:00:00-14:00", "0001-01-01T00:00:00+14:00"])
async def test_a_token_expiry_outside_the_calendar_is_refused(http: httpx.AsyncClient, expires_at: str) -> None:
    credentials = {"access_token": "a" * 20, "expires_at": expires_at}
    body = {"id": "xch", "name": "X", "platform": "x", "settings": {}, "credentials": credentials}
    r = await http.post("/workspaces/acme/channels", json=body, headers=as_user("ada"))
    assert _refused(r, "credentials.expires_at")
    assert (await http.get("/workspaces/acme/channels/xch", headers=as_user("ada"))).status_code == 404


async def test_a_nul_in_a_query_or_path_parameter_is_refused(on_both: httpx.AsyncClient) -> None:
    r = await on_both.get("/workspaces/acme/audit", params={"actor": NUL}, headers=as_user("ada"))
    assert _refused(r, "NUL")["details"][0]["field"] == "query.actor"
    r = await on_both.get("/posts/a%00b", headers=as_user("ada"))
    assert _refused(r, "NUL")["details"][0]["field"] == "path.post_id"
