"""Every route of the API is denied by default: a table says who may call each one, and the test checks it.

For each route that touches a workspace: a caller from another workspace (an admin there) gets 404, every
member whose role is not allowed gets 403, and a member who is allowed gets through. Routes that need no
workspace are listed with the reason. A route missing from the table fails the first test, so a new route
must say here who may call it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from api.app import create_app
from api_client import TOKENS, add_user, as_user, setup_workspace
from settings import Settings

Route = tuple[str, str]  # (method, path template)


@dataclass(frozen=True)
class Rule:
    """Who may call a workspace route: `roles` (admins always may), or any member when None."""

    roles: tuple[str, ...] | None
    json: Any = None
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)


ANY_MEMBER = Rule(roles=None)
ADMIN = Rule(roles=())
READERS_OF_AUDIT = Rule(roles=("auditor", "approver"))

# Routes that touch no workspace, and why nobody else's data is at stake.
PUBLIC: dict[Route, str] = {
    ("GET", "/healthz"): "liveness probe, says nothing",
    ("POST", "/auth/login"): "how one authenticates (throttled)",
    ("GET", "/auth/oidc/login"): "how one authenticates with an identity provider (404 when not configured)",
    ("GET", "/auth/oidc/callback"): "the provider sends the browser back here; a single-use state, test_oidc",
    ("GET", "/openapi.json"): "the API's public description",
    ("GET", "/docs"): "the API's public description",
    ("GET", "/docs/oauth2-redirect"): "part of the docs page",
    ("GET", "/redoc"): "the API's public description",
    ("GET", "/docs/assets/{name}"): "the docs pages' pinned scripts and styles",
}
PERSONAL: dict[Route, str] = {
    ("GET", "/me"): "the caller's own account",
    ("GET", "/me/tokens"): "the caller's own tokens",
    ("POST", "/me/tokens"): "the caller's own tokens",
    ("DELETE", "/me/tokens/{token_id}"): "the caller's own tokens (another's id is 404, test_auth)",
    ("PUT", "/me/preferences"): "the caller's own language and time zone (test_web_settings)",
    ("POST", "/auth/logout"): "the caller's own session",
    ("POST", "/workspaces"): "any account may create a workspace and becomes its admin",
    ("GET", "/me/invitations"): "the caller's own invitations",
    (
        "POST",
        "/me/invitations/{invitation_id}/accept",
    ): "the caller's own invitations (another's: 404, test_membership)",
    (
        "POST",
        "/me/invitations/{invitation_id}/decline",
    ): "the caller's own invitations (another's: 404, test_membership)",
    ("POST", "/workspaces/{workspace_id}/leave"): "the caller's own membership (a non-member: 404, test_membership)",
}
WORKSPACE: dict[Route, Rule] = {
    ("POST", "/workspaces/{workspace_id}/users"): Rule(roles=(), json={"id": "newbie", "name": "N", "role": "viewer"}),
    ("GET", "/workspaces/{workspace_id}/users"): ANY_MEMBER,
    ("PUT", "/workspaces/{workspace_id}/members/{user_id}"): Rule(roles=(), json={"role": "viewer"}),
    ("DELETE", "/workspaces/{workspace_id}/members/{user_id}"): ADMIN,
    ("POST", "/workspaces/{workspace_id}/invitations"): Rule(roles=(), json={"user_id": "someone", "role": "viewer"}),
    ("GET", "/workspaces/{workspace_id}/invitations"): ADMIN,
    ("DELETE", "/workspaces/{workspace_id}/invitations/{invitation_id}"): ADMIN,
    ("PUT", "/workspaces/{workspace_id}/approval-policy"): Rule(
        roles=(), json={"steps": [{"name": "review", "roles": ["approver"]}]}
    ),
    ("GET", "/workspaces/{workspace_id}/approval-policy"): ANY_MEMBER,
    ("GET", "/workspaces/{workspace_id}/settings"): ANY_MEMBER,
    ("PATCH", "/workspaces/{workspace_id}/settings"): Rule(roles=(), json={"late_notice_after_s": 120}),
    # channels
    ("POST", "/workspaces/{workspace_id}/channels"): Rule(roles=(), json={"id": "newch", "name": "New"}),
    ("GET", "/workspaces/{workspace_id}/channels"): ANY_MEMBER,
    ("GET", "/workspaces/{workspace_id}/channels/{channel_id}"): ANY_MEMBER,
    ("PUT", "/workspaces/{workspace_id}/channels/{channel_id}"): Rule(roles=(), json={"name": "Renamed"}),
    ("POST", "/workspaces/{workspace_id}/channels/{channel_id}/test"): ADMIN,
    ("POST", "/workspaces/{workspace_id}/channels/{channel_id}/disable"): ADMIN,
    ("POST", "/workspaces/{workspace_id}/channels/{channel_id}/enable"): ADMIN,
    ("POST", "/workspaces/{workspace_id}/channels/{channel_id}/reconnect"): Rule(roles=(), json={}),
    # posts
    ("POST", "/posts"): Rule(roles=("editor",), json={"workspace_id": "acme", "channel_id": "sbx", "text": "Hi"}),
    ("GET", "/posts"): Rule(roles=None, params={"workspace_id": "acme"}),
    ("GET", "/posts/{post_id}"): ANY_MEMBER,
    ("GET", "/posts/{post_id}/audit"): ANY_MEMBER,
    ("POST", "/posts/{post_id}/submit"): Rule(roles=("editor",)),
    ("POST", "/posts/{post_id}/revisions"): Rule(roles=("editor",), json={"text": "Changed"}),
    ("POST", "/posts/{post_id}/decisions"): Rule(
        roles=("approver",), json={"decision": "approve", "content_hash": "sha256:x"}
    ),
    ("POST", "/posts/{post_id}/schedule"): Rule(roles=("editor",), json={"publish_at": "2031-01-01T09:00:00Z"}),
    ("POST", "/posts/{post_id}/publish-now"): Rule(roles=("editor", "approver")),
    ("POST", "/posts/{post_id}/withdraw"): Rule(roles=("editor", "approver"), json={}),
    ("POST", "/posts/{post_id}/retry-publish"): Rule(roles=("editor", "approver")),
    # the workspace's unpublish_roles (default editor, approver; admins always)
    ("POST", "/posts/{post_id}/unpublish"): Rule(roles=("editor", "approver"), json={"reason": "x"}),
    # revisions, their differences and comments
    ("GET", "/posts/{post_id}/revisions"): ANY_MEMBER,
    ("GET", "/posts/{post_id}/revisions/{number}"): ANY_MEMBER,
    ("GET", "/posts/{post_id}/revisions/{number}/diff"): Rule(roles=None, params={"against": "1"}),
    ("GET", "/posts/{post_id}/revisions/{number}/comments"): ANY_MEMBER,
    ("POST", "/posts/{post_id}/revisions/{number}/comments"): Rule(roles=("editor", "approver"), json={"body": "Hm"}),
    # brand
    ("PUT", "/workspaces/{workspace_id}/style"): Rule(
        roles=(), content=b"not: a style", headers={"content-type": "application/yaml"}
    ),
    ("GET", "/workspaces/{workspace_id}/style"): ANY_MEMBER,
    ("PUT", "/workspaces/{workspace_id}/social-rules"): Rule(roles=(), json={}),
    ("POST", "/workspaces/{workspace_id}/brand/check"): Rule(roles=None, json={"text": "Hi", "channel_id": "sbx"}),
    # crisis pause
    ("POST", "/workspaces/{workspace_id}/pause"): Rule(roles=(), json={"reason": "x"}),
    ("POST", "/workspaces/{workspace_id}/resume"): Rule(roles=(), json={"policy": "publish"}),
    ("GET", "/workspaces/{workspace_id}/pause"): ANY_MEMBER,
    # audit chain
    ("GET", "/workspaces/{workspace_id}/audit"): READERS_OF_AUDIT,
    ("GET", "/workspaces/{workspace_id}/audit/export"): READERS_OF_AUDIT,
    ("GET", "/workspaces/{workspace_id}/audit/verify"): READERS_OF_AUDIT,
    ("GET", "/workspaces/{workspace_id}/audit/bundle"): READERS_OF_AUDIT,
    ("POST", "/workspaces/{workspace_id}/audit/checkpoints"): ADMIN,
    # notification targets
    ("GET", "/workspaces/{workspace_id}/notification-targets"): ANY_MEMBER,
    ("POST", "/workspaces/{workspace_id}/notification-targets"): Rule(
        roles=(), json={"kind": "email", "address": "ops@acme.example"}
    ),
    ("DELETE", "/workspaces/{workspace_id}/notification-targets/{target_id}"): ADMIN,
    ("POST", "/workspaces/{workspace_id}/notification-targets/{target_id}/test"): ADMIN,
}

# acme's members, one per role besides its admin ada; g-ada is an admin of another workspace.
MEMBER_OF_ROLE = {"editor": "ed", "approver": "ann", "auditor": "aud", "viewer": "vic"}
OUTSIDER = "g-ada"
STYLE = b"styles:\n  Acme:\n    Hype:\n      extends: existence\n      message: x\n      tokens: [synergy]\n"


def every_route() -> set[Route]:
    app = create_app(Settings(), None, None)  # type: ignore[arg-type]
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # FastAPI before lazily included routers: app.routes is already flat
        routes: list[Any] = list(app.routes)
    else:
        routes = list(iter_route_contexts(app.routes))
    # The web app's pages answer people with HTML and sign-in redirects; tests/web/test_web_pages.py holds
    # them to the same rules (they call these routes' own functions).
    routes = [r for r in routes if not getattr(getattr(r, "endpoint", None), "__module__", "").startswith("web.")]
    found = {(method, r.path) for r in routes for method in (r.methods or ()) if method != "HEAD"}
    in_schema = {(m.upper(), path) for path, ops in app.openapi()["paths"].items() for m in ops}
    assert in_schema <= found, f"routes in the OpenAPI document but not found: {in_schema - found}"
    return found


def test_every_route_says_who_may_call_it() -> None:
    listed = set(PUBLIC) | set(PERSONAL) | set(WORKSPACE)
    assert not set(PUBLIC) & set(PERSONAL) and not (set(PUBLIC) | set(PERSONAL)) & set(WORKSPACE)
    routes = every_route()
    missing = sorted(routes - listed)
    assert not missing, f"add these routes to the table in {__name__} (who may call them?): {missing}"
    stale = sorted(listed - routes)
    assert not stale, f"these routes are gone; remove them from the table: {stale}"


async def _objects(api: httpx.AsyncClient) -> dict[str, str]:
    """Something real behind every path parameter, so a 404 means 'not yours', never 'not there'."""
    admin = as_user("ada")
    post = await api.post("/posts", json={"channel_id": "sbx", "text": "A draft"}, headers=as_user("ed"))
    target = await api.post(
        "/workspaces/acme/notification-targets", json={"kind": "email", "address": "a@acme.example"}, headers=admin
    )
    style = await api.put(
        "/workspaces/acme/style", content=STYLE, headers={**admin, "content-type": "application/yaml"}
    )
    invitation = await api.post("/workspaces/acme/invitations", json={"user_id": "x", "role": "viewer"}, headers=admin)
    assert post.status_code == target.status_code == 201 and style.status_code == 200, (post.text, target.text)
    assert invitation.status_code == 202, invitation.text
    return {
        "workspace_id": "acme",
        "post_id": post.json()["id"],
        "channel_id": "sbx",
        "target_id": str(target.json()["id"]),
        "user_id": "ed",
        "number": "1",
        "token_id": TOKENS["ed"].split("_")[1],
        "invitation_id": invitation.json()["id"],
    }


async def _call(
    api: httpx.AsyncClient, route: Route, values: dict[str, str], headers: dict[str, str]
) -> httpx.Response:
    method, path = route
    rule = WORKSPACE.get(route, Rule(roles=None))
    return await api.request(
        method,
        path.format(**values),
        json=rule.json,
        content=rule.content,
        params=rule.params,
        headers={**rule.headers, **headers},
    )


async def test_outsiders_get_404_and_members_without_the_role_403(api: httpx.AsyncClient) -> None:
    await setup_workspace(api)
    await setup_workspace(api, "globex", prefix="g-")
    await add_user(api, "acme", "aud", "auditor")
    await add_user(api, "acme", "vic", "viewer")
    values = await _objects(api)
    problems: list[str] = []

    for route, rule in sorted(WORKSPACE.items()):
        r = await _call(api, route, values, as_user(OUTSIDER))
        if r.status_code != 404:
            problems.append(f"{route} for another workspace's admin: {r.status_code}, not 404 ({r.text[:120]})")
        if rule.roles is None:
            r = await _call(api, route, values, as_user("vic"))
            if r.status_code != 200:
                problems.append(f"{route} for a viewer (any member may): {r.status_code} ({r.text[:120]})")
            continue
        for role, user in MEMBER_OF_ROLE.items():
            if role in rule.roles:
                continue
            r = await _call(api, route, values, as_user(user))
            if r.status_code != 403:
                problems.append(f"{route} for a member who is {role}: {r.status_code}, not 403 ({r.text[:120]})")

    assert not problems, "\n".join(problems)


async def test_nothing_but_the_public_routes_answers_without_credentials(api: httpx.AsyncClient) -> None:
    await setup_workspace(api)
    values = await _objects(api)
    problems = []
    for route in sorted(set(WORKSPACE) | set(PERSONAL)):
        r = await _call(api, route, values, {})
        if r.status_code != 401 or r.json()["error"] != "unauthenticated":
            problems.append(f"{route} without credentials: {r.status_code}")
    assert not problems, "\n".join(problems)
    for method, path in PUBLIC:
        if not path.startswith("/auth/"):  # sign-in routes: tests/api/test_auth.py, test_oidc.py
            assert (await api.request(method, path.format(name="favicon.png"))).status_code == 200, path
