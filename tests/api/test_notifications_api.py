"""Notification targets over the API: admins manage them, secrets never come back, the test endpoint sends."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from api_client import as_user, setup_workspace
from notify_receivers import SECRET, MailSink, WebhookReceiver, smtp_server, webhook_receiver

TARGETS = "/workspaces/acme/notification-targets"


@pytest.fixture(scope="module")
def receiver() -> Iterator[tuple[WebhookReceiver, str]]:
    with webhook_receiver() as running:
        yield running


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[MailSink, int]]:
    with smtp_server() as running:
        yield running


@pytest.fixture(autouse=True)
def smtp_settings(smtp: tuple[MailSink, int], monkeypatch: pytest.MonkeyPatch) -> None:
    # Autouse fixtures run before the `api` fixture builds its Settings, which read the environment.
    monkeypatch.setenv("POSTGATE_SMTP_PORT", str(smtp[1]))
    monkeypatch.setenv("POSTGATE_SMTP_FROM", "postgate@acme.example")


async def add(api: httpx.AsyncClient, body: dict, user: str = "ada", targets: str = TARGETS) -> httpx.Response:
    return await api.post(targets, json=body, headers=as_user(user))


async def test_admins_add_targets_and_nobody_sees_the_secret_again(api: httpx.AsyncClient) -> None:
    await setup_workspace(api)
    hook = await add(api, {"kind": "webhook", "url": "https://hooks.acme.example/pg", "secret": SECRET})
    mail = await add(api, {"kind": "email", "address": "ops@acme.example", "enabled": False})
    assert hook.status_code == 201, hook.text
    assert mail.status_code == 201, mail.text
    assert SECRET not in hook.text and hook.json()["secret_hint"] == "****" + SECRET[-4:]

    listed = await api.get(TARGETS, headers=as_user("ed"))  # any member may see where notifications go

    assert listed.status_code == 200 and SECRET not in listed.text
    found = listed.json()["targets"]
    assert [(t["kind"], t["url"], t["address"], t["enabled"]) for t in found] == [
        ("webhook", "https://hooks.acme.example/pg", None, True),
        ("email", None, "ops@acme.example", False),
    ]
    assert found[0]["secret_hint"] == "****" + SECRET[-4:] and found[1]["secret_hint"] is None
    assert listed.json()["next_cursor"] is None
    first = (await api.get(TARGETS, params={"limit": 1}, headers=as_user("ed"))).json()
    assert [t["kind"] for t in first["targets"]] == ["webhook"] and first["next_cursor"]
    rest = (await api.get(TARGETS, params={"cursor": first["next_cursor"]}, headers=as_user("ed"))).json()
    assert [t["kind"] for t in rest["targets"]] == ["email"] and rest["next_cursor"] is None

    removed = await api.delete(f"{TARGETS}/{hook.json()['id']}", headers=as_user("ada"))
    assert removed.status_code == 204
    assert [t["kind"] for t in (await api.get(TARGETS, headers=as_user("ada"))).json()["targets"]] == ["email"]
    assert (await api.delete(f"{TARGETS}/{hook.json()['id']}", headers=as_user("ada"))).status_code == 404


@pytest.mark.parametrize(
    ("body", "field", "says"),
    [
        ({"kind": "webhook", "url": "https://hooks.acme.example/pg"}, "secret", "Field required"),
        ({"kind": "webhook", "url": "https://hooks.acme.example/pg", "secret": "short"}, "secret", "at least 16"),
        ({"kind": "webhook", "url": "ftp://hooks.acme.example/pg", "secret": SECRET}, "url", "https://"),
        ({"kind": "webhook", "url": "hooks.acme.example", "secret": SECRET}, "url", "https://"),
        ({"kind": "email", "address": "ops at acme"}, "address", "e.g. ops@example.com"),
        ({"kind": "email", "address": "Ops <ops@acme.example>"}, "address", "no name"),
        ({"kind": "email", "url": "https://x.example", "address": "ops@acme.example"}, "url", "not permitted"),
        ({"kind": "sms", "address": "+15550100"}, "", "'webhook', 'email'"),
    ],
)
async def test_invalid_targets_are_refused_saying_what_to_fix(
    api: httpx.AsyncClient, body: dict, field: str, says: str
) -> None:
    await setup_workspace(api)

    r = await add(api, body)

    assert r.status_code == 422, r.text
    assert r.json()["error"] == "invalid_request"
    [problem] = r.json()["details"]
    assert problem["field"].endswith(field) and says in problem["problem"], problem
    assert (await api.get(TARGETS, headers=as_user("ada"))).json() == {"targets": [], "next_cursor": None}


async def test_only_admins_manage_targets_and_other_workspaces_see_nothing(
    api: httpx.AsyncClient, receiver: tuple[WebhookReceiver, str]
) -> None:
    hooks, url = receiver
    await setup_workspace(api)
    await setup_workspace(api, "globex", prefix="g-")
    body = {"kind": "webhook", "url": f"{url}/200/acl", "secret": SECRET}
    target = (await add(api, body)).json()["id"]
    theirs = (await add(api, body, user="g-ada", targets="/workspaces/globex/notification-targets")).json()["id"]

    for user in ("ed", "ann"):
        r = await add(api, body, user=user)
        assert r.status_code == 403 and "admin" in r.json()["message"]
        assert (await api.delete(f"{TARGETS}/{target}", headers=as_user(user))).status_code == 403
        assert (await api.post(f"{TARGETS}/{target}/test", headers=as_user(user))).status_code == 403
    # Another workspace's admin cannot see, add, delete or fire acme's targets.
    assert (await api.get(TARGETS, headers=as_user("g-ada"))).status_code == 404
    assert (await add(api, body, user="g-ada")).status_code == 404
    assert (await api.delete(f"{TARGETS}/{target}", headers=as_user("g-ada"))).status_code == 404
    assert (await api.post(f"{TARGETS}/{target}/test", headers=as_user("g-ada"))).status_code == 404
    # Nor can acme's admin reach globex's target through acme's path.
    assert (await api.delete(f"{TARGETS}/{theirs}", headers=as_user("ada"))).status_code == 404
    assert (await api.post(f"{TARGETS}/{theirs}/test", headers=as_user("ada"))).status_code == 404
    assert hooks.to("/200/acl") == []
    assert len((await api.get(TARGETS, headers=as_user("ada"))).json()["targets"]) == 1


async def test_the_test_endpoint_sends_and_reports_the_outcome(
    api: httpx.AsyncClient, receiver: tuple[WebhookReceiver, str], smtp: tuple[MailSink, int]
) -> None:
    hooks, url = receiver
    sink, _ = smtp
    await setup_workspace(api)
    good = (await add(api, {"kind": "webhook", "url": f"{url}/200/api-test", "secret": SECRET})).json()["id"]
    refused = (await add(api, {"kind": "webhook", "url": f"{url}/400/api-test", "secret": SECRET})).json()["id"]
    down = (await add(api, {"kind": "webhook", "url": f"{url}/500/api-test", "secret": SECRET})).json()["id"]
    mail = (await add(api, {"kind": "email", "address": "api-test@acme.example", "enabled": False})).json()["id"]

    sent = await api.post(f"{TARGETS}/{good}/test", headers=as_user("ada"))
    assert sent.status_code == 200, sent.text
    assert sent.json() == {"target_id": good, "status": "sent", "error": None, "retryable": False}
    [call] = hooks.to("/200/api-test")
    assert call.verified and json.loads(call.body)["detail"] == {"test": True, "target_id": good}

    failed = (await api.post(f"{TARGETS}/{refused}/test", headers=as_user("ada"))).json()
    assert failed["status"] == "failed" and "HTTP 400" in failed["error"] and failed["retryable"] is False
    assert (await api.post(f"{TARGETS}/{down}/test", headers=as_user("ada"))).json()["retryable"] is True

    # A disabled target can be tried before it is switched on.
    assert (await api.post(f"{TARGETS}/{mail}/test", headers=as_user("ada"))).json()["status"] == "sent"
    [mail_in] = [m for m in sink.mails if "api-test@acme.example" in m.rcpt_tos]
    assert mail_in.message["Subject"] == "postgate test notification"
    assert mail_in.message["From"] == "postgate@acme.example"
