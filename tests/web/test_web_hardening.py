"""The pages under bad input and impatient people, over real HTTP: a NUL in any form field of any page is a
422 page and nothing is stored; a double submit of the compose form makes one post (SQLite and PostgreSQL);
"Waiting for me" reads every awaiting post, however many there are."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest
from fastapi.routing import APIRoute
from test_web_pages import PASSWORD, browser, csrf_of, people

from api_client import add_user, as_user, submitted_post, wait_status
from web import pages, pages_calendar, pages_compose, pages_postpage, pages_review, services, state_cache


def page_forms() -> list[str]:
    """The path of every form a page accepts (POST), its parameters left as {names}."""
    routers = (pages.router, pages_compose.router, pages_review.router, pages_postpage.router, pages_calendar.router)
    routes = [r for router in routers for r in router.routes if isinstance(r, APIRoute)]
    return [r.path for r in routes if "POST" in (r.methods or ())]


async def test_a_nul_in_any_form_field_of_any_page_is_a_422_page_and_nothing_is_stored(
    api: httpx.AsyncClient,
) -> None:
    await people(api)
    await add_user(api, "acme", "eve", "editor", email="eve@example.com", password=PASSWORD)
    post = await submitted_post(api, "Our roastery opens on Monday.")
    eve = await browser(api, "eve@example.com")
    csrf = csrf_of((await eve.get("/w/acme/compose")).text)
    forms = page_forms()
    assert len(forms) >= 10 and "/w/{workspace_id}/compose" in forms and "/signin" in forms

    for path in forms:
        url = re.sub(r"\{(\w+)\}", lambda m: {"workspace_id": "acme", "post_id": post["id"]}.get(m[1], "x"), path)
        for fields in ({"text": "We open\x00 on Monday"}, {"comment\x00": "fine"}):
            data = {"csrf_token": csrf, "channel": "sbx", "action": "save", "email": "eve@example.com", **fields}
            r = await eve.post(url, data=data, headers={"Accept-Language": "en"})
            assert r.status_code == 422, (path, r.status_code, r.text[:300])
            assert "This cannot be saved" in r.text and "<html" in r.text, path
        r = await eve.post(url, files={"text": (None, "We open\x00 on Monday")}, data={"csrf_token": csrf})  # multipart
        assert r.status_code == 422 and "nothing was saved" in r.text, path

    listed = (await api.get("/posts?workspace_id=acme", headers=as_user("ada"))).json()
    assert [p["id"] for p in listed["posts"]] == [post["id"]]
    detail = (await api.get(f"/posts/{post['id']}", headers=as_user("ada"))).json()
    assert detail["revision"]["number"] == 1 and detail["decisions"] == []
    # The JSON API keeps its JSON 422 for a form body.
    r = await api.post("/posts", data={"text": "a\x00b"}, headers=as_user("ed"))
    assert r.status_code == 422 and r.json()["error"] == "invalid_request"


async def test_a_double_submit_of_the_compose_form_makes_one_post(api_on_both: httpx.AsyncClient) -> None:
    api = api_on_both
    await people(api)
    await add_user(api, "acme", "eve", "editor", email="eve@example.com", password=PASSWORD)
    eve = await browser(api, "eve@example.com")
    for round_, action in enumerate(("save", "save", "submit")):
        page = (await eve.get("/w/acme/compose")).text
        key = re.search(r'name="idempotency_key" value="([^"]+)"', page)
        assert key, "each render of the compose form carries its own key"
        form = {
            "csrf_token": csrf_of(page),
            "idempotency_key": key[1],
            "channel": "sbx",
            "text": f"Round {round_}: fresh beans every morning.",
            "action": action,
        }

        sent = await asyncio.gather(*(eve.post("/w/acme/compose", data=form) for _ in range(4)))

        alerts = [re.findall(r'role="alert"[^>]*>([^<]*)', r.text) for r in sent]
        assert [r.status_code for r in sent] == [303] * 4, alerts
        assert len({r.headers["location"] for r in sent}) == 1
        listed = (await api.get("/posts?workspace_id=acme", headers=as_user("ada"))).json()["posts"]
        assert len(listed) == round_ + 1, listed
        other = await eve.post("/w/acme/compose", data={**form, "text": "Another text with the same form."})
        assert other.status_code == 422 and "already sent with other content" in other.text
    listed = (await api.get("/posts?workspace_id=acme", headers=as_user("ada"))).json()["posts"]
    assert len(listed) == 3


async def test_waiting_for_me_reads_every_awaiting_post_however_many(
    api: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "WAITING_SCAN", 2)  # pages of two: five posts need three pages
    await people(api)
    posts = [await submitted_post(api, f"Post number {n}") for n in range(5)]
    pia = await browser(api, "pia@example.com")

    queue = (await pia.get("/w/acme/queue", headers={"Accept-Language": "en"})).text

    for post in posts:
        assert post["revision"]["text"] in queue, f"{post['revision']['text']} is missing from the queue"
    home = (await pia.get("/", headers={"Accept-Language": "en"})).text
    assert posts[0]["revision"]["text"] in home  # the oldest, beyond the first page


async def test_a_fresh_process_asks_only_the_workflows_whose_posts_moved(
    api_on_both: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    api = api_on_both
    await people(api)
    posts = [await submitted_post(api, f"Post number {n}") for n in range(3)]
    pia = await browser(api, "pia@example.com")
    first = (await pia.get("/w/acme/queue")).text
    assert all(p["revision"]["text"] in first for p in posts)
    asked: list[str] = []
    read = state_cache._read

    async def counted(ctx: object, post: object) -> object:
        asked.append(post.id)  # type: ignore[attr-defined]
        return await read(ctx, post)  # type: ignore[arg-type]

    monkeypatch.setattr(state_cache, "_read", counted)

    state_cache.forget_all()  # as on a fresh process: the states read before are in the store
    queue = (await pia.get("/w/acme/queue")).text
    assert asked == [] and all(p["revision"]["text"] in queue for p in posts)

    r = await api.post(
        f"/posts/{posts[1]['id']}/revisions", json={"text": "Post number 1, revised"}, headers=as_user("ed")
    )
    assert r.status_code == 201, r.text
    await wait_status(api, posts[1]["id"], "ed", "awaiting_approval")
    state_cache.forget_all()
    queue = (await pia.get("/w/acme/queue")).text
    assert asked == [posts[1]["id"]] and "Post number 1, revised" in queue  # only the post that moved

    for round_ in range(3):  # fresh processes rendering at once all keep the states they read
        state_cache.forget_all()
        r = await api.post(
            f"/posts/{posts[2]['id']}/revisions", json={"text": f"Round {round_}"}, headers=as_user("ed")
        )
        assert r.status_code == 201, r.text
        await wait_status(api, posts[2]["id"], "ed", "awaiting_approval")
        shown = await asyncio.gather(*(pia.get("/w/acme/queue") for _ in range(6)))
        assert [p.status_code for p in shown] == [200] * 6 and all(f"Round {round_}" in p.text for p in shown)
