"""The admin's settings pages: the policy's summary and form (without a browser), and over real HTTP on the real
stack: each form changes what the JSON API changes, with its audit entry; non-admins see no settings and the
server refuses every admin form."""

from __future__ import annotations

import io
import re
import zipfile

import httpx
import pytest

from api_client import add_user, as_user, bootstrap_user, setup_workspace
from domain.approval import ApprovalPolicy
from web.i18n import Reader
from web.views_admin import FormErrors, channel_values, platform_fields, policy_from_form, policy_summary

PASSWORD = "a long enough password"
EN, ID = Reader(locale="en", zone="UTC"), Reader(locale="id", zone="UTC")
PEOPLE = {"a1": "approver", "a2": "approver", "a3": "approver", "a4": "approver", "lee": "admin", "ed": "editor"}
NAMES = {"lee": "Lee"}

TWO_STEPS = ApprovalPolicy.model_validate(
    {
        "steps": [
            {
                "name": "team",
                "roles": ["approver"],
                "quorum": 2,
                "deadline": {"after": 4 * 3600, "reminders": [2 * 3600, 3 * 3600]},
            },
            {"name": "boss", "users": ["lee"]},
        ]
    }
)


def test_the_policy_reads_as_a_sentence_in_both_languages() -> None:
    assert policy_summary(EN, TWO_STEPS, PEOPLE, NAMES) == (
        "2 of the 4 approvers (due 4 h after the step opens; reminders 3 h and 2 h before it is due), then Lee."
    )
    assert policy_summary(ID, TWO_STEPS, PEOPLE, NAMES) == (
        "2 dari 4 penyetuju (tenggat 4 jam setelah tahap dibuka; pengingat 3 jam dan 2 jam sebelum tenggat), lalu Lee."
    )
    hard = ApprovalPolicy.model_validate(
        {
            "steps": [
                {"name": "all", "roles": ["approver"], "quorum": "all"},
                {
                    "name": "one",
                    "roles": ["admin"],
                    "deadline": {
                        "before_publish": 3600,
                        "escalate_to_users": ["lee"],
                        "escalation_grace": 1800,
                        "on_expiry": "expire",
                    },
                },
            ],
            "distinct_signers": True,
        }
    )
    assert policy_summary(EN, hard, PEOPLE, NAMES) == (
        "All of the 4 approvers, then one of the 1 admin (due 1 h before the publish time; when it is due, Lee "
        "may sign too; still unsigned 30 min later, the post expires). Nobody signs two steps of the same post."
    )


def _form(**fields: object) -> dict[str, object]:
    return fields


def test_the_policy_form_builds_the_policy_and_names_each_wrong_field() -> None:
    policy, _ = policy_from_form(
        EN,
        _form(
            **{
                "step-0-name": "team",
                "step-0-roles": ["approver"],
                "step-0-quorum": "n",
                "step-0-quorum_n": "2",
                "step-0-due_kind": "after",
                "step-0-due_hours": "4",
                "step-0-reminders": "2, 3",
                "step-1-name": "boss",
                "step-1-users": ["lee"],
                "step-2-name": "",
            }
        ),
    )
    assert policy == TWO_STEPS

    with pytest.raises(FormErrors) as refused:
        policy_from_form(
            EN,
            _form(
                **{
                    "step-0-name": "team",
                    "step-0-quorum": "n",
                    "step-0-quorum_n": "0",
                    "step-1-name": "",
                    "step-1-users": ["lee"],
                    "step-1-due_kind": "after",
                    "step-1-due_hours": "soon",
                }
            ),
        )
    assert refused.value.errors == {
        "step-0-approvers": "Choose who may sign this step: a role or a person.",
        "step-0-quorum_n": "Give how many must sign: a whole number, 1 or more.",
        "step-1-name": "Name this step, e.g. “Legal”.",
        "step-1-due_hours": "Give a number of hours, e.g. 2 or 0.5.",
    }
    # What only the model knows (escalating and expiring at the same moment) is tied to its field too.
    with pytest.raises(FormErrors) as model:
        policy_from_form(
            ID,
            _form(
                **{
                    "step-0-name": "x",
                    "step-0-roles": ["admin"],
                    "step-0-due_kind": "after",
                    "step-0-due_hours": "1",
                    "step-0-escalate_users": ["lee"],
                    "step-0-on_expiry": "hold",
                }
            ),
        )
    assert (
        list(model.value.errors) == ["step-0-due_kind"] and "escalation_grace" in model.value.errors["step-0-due_kind"]
    )


def test_a_channel_form_is_the_platforms_own_settings_and_secret_fields() -> None:
    settings, secrets = platform_fields("mastodon")
    assert [(f.key, f.kind, f.required) for f in settings] == [
        ("instance_url", "text", True),
        ("visibility", "select", False),
        ("language", "text", False),
    ]
    assert [(f.key, f.kind) for f in secrets] == [("access_token", "password")]
    assert platform_fields("sandbox")[1] == []
    assert channel_values(
        "bluesky", {"setting.handle": "acme.bsky.social", "setting.langs": "en, id", "secret.app_password": "xxxx"}
    ) == (
        {"handle": "acme.bsky.social", "langs": ["en", "id"]},
        {"app_password": "xxxx"},
    )


# ---- over HTTP ---------------------------------------------------------------------------------------------


async def browser(http: httpx.AsyncClient, email: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=http.base_url, timeout=30)
    r = await client.post("/signin", data={"email": email, "password": PASSWORD, "next": "/"})
    assert r.status_code == 303, r.text
    return client


def csrf_of(page: str) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', page)
    assert found
    return found.group(1)


async def team(api: httpx.AsyncClient) -> tuple[httpx.AsyncClient, httpx.AsyncClient, str]:
    """acme with an admin boss and an editor eve who sign in with passwords; their signed-in clients and the CSRF."""
    await setup_workspace(api)
    await add_user(api, "acme", "boss", "admin", email="boss@example.com", password=PASSWORD)
    await add_user(api, "acme", "eve", "editor", email="eve@example.com", password=PASSWORD)
    boss, eve = await browser(api, "boss@example.com"), await browser(api, "eve@example.com")
    return boss, eve, csrf_of((await boss.get("/account")).text)


async def trail(api: httpx.AsyncClient) -> list[dict]:
    r = await api.get("/workspaces/acme/audit", params={"limit": 1000}, headers=as_user("boss"))
    assert r.status_code == 200, r.text
    return r.json()["entries"]


PAGES = ["", "/members", "/channels", "/policy", "/brand", "/notifications"]
FORMS = [
    ("", {"name": "X"}),
    ("/pause", {"reason": "x"}),
    ("/resume", {"policy": "publish"}),
    ("/members/invite", {"invitee": "zed", "role": "admin"}),
    ("/members/ed/role", {"role": "admin"}),
    ("/members/ed/remove", {}),
    ("/invitations/whatever/revoke", {}),
    ("/channels", {"platform": "sandbox", "channel_id": "evil", "channel_name": "Evil"}),
    ("/channels/sbx/test", {}),
    ("/channels/sbx/disable", {}),
    ("/channels/sbx/enable", {}),
    ("/channels/sbx/reconnect", {}),
    ("/policy", {"step-0-name": "x", "step-0-users": "eve"}),
    ("/brand/check", {"text": "hi", "channel_id": "sbx"}),
    ("/brand/social-rules", {"rules": "{}"}),
    ("/notifications", {"kind": "email", "address": "x@example.com"}),
    ("/notifications/1/test", {}),
    ("/notifications/1/remove", {}),
]


async def test_non_admins_see_no_settings_and_the_server_refuses_every_admin_form(api: httpx.AsyncClient) -> None:
    boss, eve, _ = await team(api)
    assert 'href="/w/acme/settings"' in (await boss.get("/")).text
    home = (await eve.get("/")).text
    assert "/settings" not in home
    before = len(await trail(api))
    eve_csrf = csrf_of(home)
    for page in PAGES:
        assert (await eve.get(f"/w/acme/settings{page}")).status_code == 403, page
        assert (await boss.get(f"/w/acme/settings{page}")).status_code == 200, page
    for path, data in FORMS:
        r = await eve.post(f"/w/acme/settings{path}", data={**data, "csrf_token": eve_csrf})
        assert r.status_code == 403, (path, r.status_code)
        assert "You may not do this in this workspace." in r.text
    r = await eve.post(
        "/w/acme/settings/brand/style",
        data={"csrf_token": eve_csrf},
        files={"style": ("s.yml", b"extends: existence\n")},
    )
    assert r.status_code == 403
    # Another workspace's settings do not exist for them.
    bootstrap_user("oz")
    assert (await boss.get("/w/nowhere/settings")).status_code == 404
    # Nothing changed, nothing recorded.
    assert len(await trail(api)) == before


async def test_every_settings_form_changes_the_workspace_and_each_change_is_in_its_trail(
    api: httpx.AsyncClient,
) -> None:
    boss, _, csrf = await team(api)
    bootstrap_user("newbie", "Newbie", email="newbie@example.com", password=PASSWORD)
    base = "/w/acme/settings"

    async def post(path: str, data: dict, **kw: object) -> httpx.Response:
        r = await boss.post(base + path, data={**data, "csrf_token": csrf}, **kw)  # type: ignore[arg-type]
        assert r.status_code in (200, 201, 303), (path, r.status_code, r.text[:2000])
        return r

    await post(
        "",
        {
            "name": "Acme Coffee",
            "time_zone": "Asia/Jakarta",
            "late_policy": "hold",
            "late_notice_minutes": "5",
            "unpublish_roles": ["admin", "editor"],
        },
    )
    await post("/members/invite", {"invitee": "newbie@example.com", "role": "approver"})
    newbie = await browser(api, "newbie@example.com")
    account = (await newbie.get("/account")).text
    invitation = re.search(r"/account/invitations/([^/]+)/accept", account)
    assert invitation and "Workspace acme invites you as approver." in account
    r = await newbie.post(f"/account/invitations/{invitation.group(1)}/accept", data={"csrf_token": csrf_of(account)})
    assert r.status_code == 303
    await post("/members/ann/role", {"role": "viewer"})
    await post(
        "/channels", {"platform": "sandbox", "channel_id": "sbx2", "channel_name": "Second", "max_length": "300"}
    )
    await post("/channels/sbx2/disable", {})
    await post("/channels/sbx2/enable", {})
    tested = await post("/channels/sbx2/test", {})
    assert "Channel sbx2 works" in tested.text
    await post(
        "/policy",
        {
            "step-0-name": "team",
            "step-0-roles": "approver",
            "step-0-due_kind": "after",
            "step-0-due_hours": "4",
            "step-0-reminders": "2",
            "step-1-name": "boss",
            "step-1-users": "boss",
        },
    )
    policy_page = (await boss.get(base + "/policy")).text
    assert (
        "One of the 1 approver (due 4 h after the step opens; a reminder 2 h before it is due), then Boss."
        in policy_page
    )
    style = io.BytesIO()
    with zipfile.ZipFile(style, "w") as z:
        z.writestr(
            "Acme/Hype.yml", "extends: existence\nmessage: \"Avoid '%s'.\"\nlevel: error\ntokens:\n  - synergy\n"
        )
    await post("/brand/style", {}, files={"style": ("acme.zip", style.getvalue(), "application/zip")})
    brand = (await boss.get(base + "/brand")).text
    assert "Acme.Hype" in brand and "(in force)" in brand
    checked = await post("/brand/check", {"text": "Pure synergy!", "channel_id": "sbx"})
    assert "It would block approval" in checked.text and "Avoid &#39;synergy&#39;." in checked.text
    await post("/brand/social-rules", {"rules": '{"hashtags": {"max_count": 2}}'})
    await post("/notifications", {"kind": "webhook", "url": "https://hooks.example.com/x", "secret": "s" * 20})
    notifications = (await boss.get(base + "/notifications")).text
    assert "ssss" in notifications and "s" * 20 not in notifications  # the secret is never shown whole
    await post("/notifications", {"kind": "email", "address": "ops@example.com"})

    actions = [(e["action"], e["actor"]) for e in await trail(api)]
    for expected in [
        ("workspace_settings_changed", "boss"),
        ("member_invited", "boss"),
        ("member_joined", "newbie"),
        ("member_role_changed", "boss"),
        ("channel_created", "boss"),
        ("channel_disabled", "boss"),
        ("channel_enabled", "boss"),
        ("approval_policy_changed", "boss"),
        ("style_changed", "boss"),
        ("social_rules_changed", "boss"),
        ("notification_target_added", "boss"),
    ]:
        assert expected in actions, expected
    settings = (await api.get("/workspaces/acme/settings", headers=as_user("ada"))).json()
    assert (settings["name"], settings["time_zone"], settings["late_policy"]) == ("Acme Coffee", "Asia/Jakarta", "hold")
    assert settings["late_notice_after_s"] == 300 and settings["unpublish_roles"] == ["admin", "editor"]


async def test_a_refused_form_says_what_is_wrong_at_the_field_and_never_echoes_a_secret(api: httpx.AsyncClient) -> None:
    boss, _, csrf = await team(api)
    r = await boss.post(
        "/w/acme/settings/channels",
        data={
            "csrf_token": csrf,
            "platform": "mastodon",
            "channel_id": "m",
            "channel_name": "M",
            "setting.instance_url": "not a url",
            "secret.access_token": "TOPSECRET-123",
        },
    )
    assert r.status_code == 422
    assert 'id="error-setting-instance_url"' in r.text and "must be an http:// or https:// URL" in r.text
    assert 'aria-describedby="setting-instance_url-help error-setting-instance_url"' in r.text
    assert "TOPSECRET-123" not in r.text
    r = await boss.post("/w/acme/settings/policy", data={"csrf_token": csrf, "step-0-name": "x"})
    assert r.status_code == 422 and 'id="error-step-0-approvers"' in r.text
    r = await boss.post(
        "/w/acme/settings/notifications",
        data={"csrf_token": csrf, "kind": "webhook", "url": "https://h.example.com", "secret": "short"},
    )
    assert r.status_code == 422 and 'id="error-target-secret"' in r.text and "short" not in r.text.split("<main")[1]


async def test_the_pause_says_how_many_posts_it_touches_and_resuming_explains_each_policy(
    api: httpx.AsyncClient,
) -> None:
    boss, _, csrf = await team(api)
    for text in ("One.", "Two."):
        r = await api.post(
            "/posts",
            json={"channel_id": "sbx", "text": text, "submit": True, "publish_at": "2030-01-01T09:00:00Z"},
            headers=as_user("ed"),
        )
        assert r.status_code == 201
    page = (await boss.get("/w/acme/settings")).text
    assert "Pause publishing (2 posts)" in page
    r = await boss.post("/w/acme/settings/pause", data={"csrf_token": csrf, "reason": "Crisis"})
    assert r.status_code == 303
    page = (await boss.get("/w/acme/settings")).text
    assert "2 posts are held by the pause." in page and "0 of them had their publish time during the pause" in page
    assert "Shift: each moves later by the length of the pause." in page
    r = await boss.post("/w/acme/settings/resume", data={"csrf_token": csrf, "policy": "shift"})
    assert r.status_code == 303
    actions = [e["action"] for e in await trail(api)]
    assert "workspace_paused" in actions and "workspace_resumed" in actions


async def test_my_api_token_is_shown_once_and_can_be_revoked(api: httpx.AsyncClient) -> None:
    boss, _, csrf = await team(api)
    r = await boss.post("/account/tokens", data={"csrf_token": csrf, "name": "CI", "days": "30"})
    assert r.status_code == 201
    token = re.search(r'id="new-token" readonly value="([^"]+)"', r.text)
    assert token
    assert (await api.get("/me", headers={"Authorization": f"Bearer {token.group(1)}"})).status_code == 200
    page = (await boss.get("/account")).text
    assert token.group(1) not in page
    token_id = re.search(r'/account/tokens/([^/]+)/revoke"[^<]*<input[^>]*><button[^>]*>Revoke CI<', page)
    assert token_id
    assert (
        await boss.post(f"/account/tokens/{token_id.group(1)}/revoke", data={"csrf_token": csrf})
    ).status_code == 303
    assert (await api.get("/me", headers={"Authorization": f"Bearer {token.group(1)}"})).status_code == 401


async def test_reconnecting_removing_revoking_and_testing_a_target_from_the_pages(api: httpx.AsyncClient) -> None:
    boss, _, csrf = await team(api)
    base = "/w/acme/settings"

    async def post(path: str, data: dict) -> httpx.Response:
        return await boss.post(base + path, data={**data, "csrf_token": csrf})

    r = await post(
        "/channels",
        {
            "platform": "webhook",
            "channel_id": "hook",
            "channel_name": "Hook",
            "setting.url": "https://hooks.invalid/in",
            "secret.secret": "first-secret-1234567",
        },
    )
    assert r.status_code == 303, r.text
    page = (await boss.get(base + "/channels")).text
    assert "Reconnect Hook with new credentials" in page and "first-secret-1234567" not in page
    r = await post("/channels/hook/reconnect", {"secret.secret": "second-secret-123456"})
    assert r.status_code == 303, r.text
    r = await post("/members/invite", {"invitee": "someone", "role": "viewer"})
    assert r.status_code == 303
    invitation = re.search(r"/settings/invitations/([^/]+)/revoke", (await boss.get(base + "/members")).text)
    assert invitation
    assert (await post(f"/invitations/{invitation.group(1)}/revoke", {})).status_code == 303
    assert (await post("/members/ann/remove", {})).status_code == 303
    r = await post("/members/ada/remove", {})
    assert r.status_code == 303  # ada is not the only admin: boss is one too
    r = await post("/members/boss/remove", {})
    assert r.status_code == 409 and "only admin" in r.text  # the API's own rule, said on the page
    assert (
        await post("/notifications", {"kind": "webhook", "url": "https://hooks.invalid/n", "secret": "n" * 20})
    ).status_code == 303
    target = re.search(r"/settings/notifications/(\d+)/test", (await boss.get(base + "/notifications")).text)
    assert target
    tested = await post(f"/notifications/{target.group(1)}/test", {})
    assert tested.status_code == 200 and "The test notification failed" in tested.text
    assert (await post(f"/notifications/{target.group(1)}/remove", {})).status_code == 303

    entries = await trail(api)
    reconnected = [e for e in entries if e["action"] == "channel_reconnected"]
    assert reconnected and reconnected[0]["detail"]["credentials_changed"] is True
    assert "second-secret" not in str(entries) and "first-secret" not in str(entries)
    actions = {e["action"] for e in entries}
    assert {"invitation_revoked", "member_removed", "notification_target_removed"} <= actions


# ---- what the pages count and list, read from the store, on SQLite and PostgreSQL ---------------------------


@pytest.fixture(params=["sqlite", "postgres"])
def both_dbs(request: pytest.FixtureRequest) -> object:
    return request.getfixturevalue("engine" if request.param == "sqlite" else "pg_engine")


def test_the_pause_counts_the_posts_not_yet_out_and_those_whose_time_has_passed(both_dbs: object) -> None:
    import json
    from datetime import UTC, datetime, timedelta
    from types import SimpleNamespace

    from store.accounts import add_member
    from store.brand_styles import add_style
    from store.engine import transaction
    from store.tables import Channel, NotificationSent, NotificationTarget, Post, Workspace
    from store.workspaces import add_channel, add_workspace
    from web.views_admin import pause_counts, recent_deliveries, style_versions

    engine = both_dbs
    now = datetime(2030, 1, 1, 12, tzinfo=UTC)
    with transaction(engine) as session:  # type: ignore[arg-type]
        add_workspace(session, Workspace(id="acme", name="Acme", banned_words=json.dumps([])))
        add_workspace(session, Workspace(id="other", name="Other", banned_words=json.dumps([])))
        add_member(session, "acme", "ada", "admin", name="Ada Admin")
        for ws in ("acme", "other"):
            add_channel(session, Channel(id="sbx", workspace_id=ws, name="Sandbox", max_length=280))
        rows = [
            ("acme", "scheduled", now - timedelta(hours=1)),
            ("acme", "awaiting_approval", now + timedelta(hours=1)),
            ("acme", "on_hold", now - timedelta(days=1)),
            ("acme", "published", now - timedelta(hours=1)),
            ("acme", "draft", now - timedelta(hours=1)),
            ("other", "scheduled", now - timedelta(hours=1)),
        ]
        for i, (ws, status, at) in enumerate(rows):
            session.add(
                Post(
                    id=f"p{i}",
                    workspace_id=ws,
                    channel_id="sbx",
                    author="ada",
                    status=status,
                    content_hash="h",
                    publish_at=at,
                )
            )
        add_style(
            session, "acme", version="v1", names=["Acme"], files={"Acme/A.yml": b"x"}, rule_count=1, uploaded_by="ada"
        )
        target = NotificationTarget(workspace_id="acme", kind="email", address="ops@example.com")
        session.add(target)
        session.flush()
        assert target.id is not None
        for n in range(12):
            session.add(
                NotificationSent(
                    dedupe_key=f"k{n}", target_id=target.id, status="sent", sent_at=now + timedelta(minutes=n)
                )
            )
    ctx = SimpleNamespace(engine=engine)

    counts = pause_counts(ctx, "acme", now)  # type: ignore[arg-type]
    assert (counts.held, counts.missed) == (3, 2)
    assert [(v.version, v.uploaded_by, v.current) for v in style_versions(ctx, "acme")] == [  # type: ignore[arg-type]
        ("v1", "Ada Admin", False)
    ]
    sent = recent_deliveries(ctx, "acme")[target.id]  # type: ignore[arg-type]
    assert [d.dedupe_key for d in sent] == [f"k{n}" for n in range(11, 1, -1)]  # the last ten, newest first
