"""The pages over real HTTP on the real stack: sign in and out, the home page, a post, deciding on it.

The browser journeys are in tests/web/browser; these check what the server answers, without a browser."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from api.deps import Actor, AppContext
from api_client import add_user, as_user, setup_workspace, submitted_post, wait_status
from settings import Settings
from web.i18n import Reader
from web.views import home_view, post_view

PASSWORD = "a long enough password"


async def people(http: httpx.AsyncClient) -> None:
    """acme: admin ada, editor ed, approver ann (with passwords), a viewer vic, a channel sbx."""
    await setup_workspace(http)
    for uid, role in (("pia", "approver"), ("vic", "viewer")):
        await add_user(http, "acme", uid, role, email=f"{uid}@example.com", password=PASSWORD)


async def browser(http: httpx.AsyncClient, email: str) -> httpx.AsyncClient:
    """A client with its own cookie jar, signed in through the sign-in form."""
    client = httpx.AsyncClient(base_url=http.base_url, timeout=30)
    r = await client.post(
        "/signin", data={"email": email, "password": PASSWORD, "next": "/", "time_zone": "Asia/Jakarta"}
    )
    assert r.status_code == 303 and r.headers["location"] == "/", r.text
    return client


def csrf_of(page: str) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', page)
    assert found, "a signed-in page carries the session's CSRF token"
    return found.group(1)


async def test_signing_in_with_the_form_opens_the_home_page_with_what_waits_for_me(api: httpx.AsyncClient) -> None:
    await people(api)
    post = await submitted_post(api, "Our new roastery opens on Monday.")

    assert (await api.get("/", follow_redirects=False)).headers["location"] == "/signin?next=%2F"
    pia = await browser(api, "pia@example.com")
    home = await pia.get("/", headers={"Accept-Language": "en"})

    assert home.status_code == 200
    assert 'hx-headers=\'{"X-CSRF-Token": "' in home.text and csrf_of(home.text) in home.text
    waiting = home.text.split('id="waiting"')[1].split('id="posts-heading"')[0]
    assert f"/w/acme/posts/{post['id']}" in waiting and "Our new roastery opens on Monday." in waiting
    assert "Awaiting approval" in waiting and "WIB" in waiting  # the zone her browser reported at sign-in
    indonesian = await pia.get("/", headers={"Accept-Language": "id-ID,id;q=0.9"})
    assert "Menunggu saya" in indonesian.text and "Menunggu persetujuan" in indonesian.text
    assert '<html lang="id">' in indonesian.text

    vic = await browser(api, "vic@example.com")
    assert f"/w/acme/posts/{post['id']}" not in (await vic.get("/")).text.split('id="posts-heading"')[0]


async def test_a_wrong_password_shows_the_form_again_with_the_reason(api: httpx.AsyncClient) -> None:
    await people(api)
    client = httpx.AsyncClient(base_url=api.base_url)

    r = await client.post("/signin", data={"email": "pia@example.com", "password": "wrong", "next": "/"})

    assert r.status_code == 401 and 'role="alert"' in r.text and "do not match an account" in r.text
    assert "postgate_session" not in r.cookies


async def test_a_viewer_sees_no_decision_buttons_and_the_server_refuses_them_anyway(api: httpx.AsyncClient) -> None:
    await people(api)
    post = await submitted_post(api)
    vic = await browser(api, "vic@example.com")

    page = await vic.get(f"/w/acme/posts/{post['id']}")
    assert page.status_code == 200 and "Awaiting approval" in page.text
    assert 'value="approve"' not in page.text and "/decisions" not in page.text
    refused = await vic.post(
        f"/w/acme/posts/{post['id']}/decisions",
        data={
            "decision": "approve",
            "content_hash": post["revision"]["content_hash"],
            "csrf_token": csrf_of(page.text),
        },
    )

    assert refused.status_code == 403 and "Not allowed" in refused.text
    assert (await api.get(f"/posts/{post['id']}", headers=as_user("ed"))).json()["status"] == "awaiting_approval"


async def test_an_approver_approves_from_the_post_page_once_however_often_the_form_is_sent(
    api: httpx.AsyncClient,
) -> None:
    await people(api)
    post = await submitted_post(api)
    pia = await browser(api, "pia@example.com")
    page = (await pia.get(f"/w/acme/posts/{post['id']}")).text
    form = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))
    assert 'value="approve"' in page and form["content_hash"] == post["revision"]["content_hash"]

    without_token = await pia.post(
        f"/w/acme/posts/{post['id']}/decisions", data={**form, "csrf_token": "", "decision": "approve"}
    )
    assert without_token.status_code == 403
    first = await pia.post(f"/w/acme/posts/{post['id']}/decisions", data={**form, "decision": "approve"})
    again = await pia.post(f"/w/acme/posts/{post['id']}/decisions", data={**form, "decision": "approve"})

    assert first.status_code == again.status_code == 303, again.text
    decided = (await api.get(f"/posts/{post['id']}", headers=as_user("ed"))).json()
    assert decided["status"] != "awaiting_approval" and [d["actor"] for d in decided["decisions"]] == ["pia"]
    after = await pia.get(first.headers["location"])
    assert "Your decision is recorded." in after.text and "pia approved" not in after.text
    assert "Pia approved" in after.text and 'value="approve"' not in after.text


async def test_a_decision_on_a_changed_post_is_refused_with_the_reason(api: httpx.AsyncClient) -> None:
    await people(api)
    post = await submitted_post(api)
    pia = await browser(api, "pia@example.com")
    page = (await pia.get(f"/w/acme/posts/{post['id']}")).text
    form = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))
    r = await api.post(f"/posts/{post['id']}/revisions", json={"text": "A better text."}, headers=as_user("ed"))
    assert r.status_code == 201, r.text
    await wait_status(api, post["id"], "ed", "awaiting_approval")

    stale = await pia.post(f"/w/acme/posts/{post['id']}/decisions", data={**form, "decision": "approve"})

    assert stale.status_code == 409 and "The post changed while you were reading it" in stale.text
    assert "A better text." in stale.text


async def test_signing_out_ends_the_session(api: httpx.AsyncClient) -> None:
    await people(api)
    pia = await browser(api, "pia@example.com")
    token = csrf_of((await pia.get("/")).text)
    kept = dict(pia.cookies)

    r = await pia.post("/signout", data={"csrf_token": token})

    assert r.status_code == 303 and r.headers["location"] == "/signin?signed_out=1"
    replay = httpx.AsyncClient(base_url=api.base_url, cookies=kept)
    assert (await replay.get("/", follow_redirects=False)).status_code == 303  # the old cookie no longer works


async def test_the_view_models_build_without_a_browser(
    api: httpx.AsyncClient, engine: Engine, dev_env: WorkflowEnvironment
) -> None:
    await people(api)
    post = await submitted_post(api, "Kopi baru setiap pagi.")
    ctx = AppContext(settings=Settings(), engine=engine, client=dev_env.client)
    pia = Actor(id="pia", name="Pia", email=None, memberships={"acme": "approver"})
    vic = Actor(id="vic", name="Vic", email=None, memberships={"acme": "viewer"})

    home = await home_view(ctx, pia, Reader("id", "Asia/Jakarta"), workspace_id="acme")
    [row] = home.waiting
    assert (row.id, row.status_words, row.channels) == (post["id"], "Menunggu persetujuan", ["sbx"])
    assert "Pia" in row.next_actor and "Ann" in row.next_actor  # either approver may sign
    assert home.chrome.waiting_count == 1 and home.posts[0].id == post["id"]
    mine = await home_view(ctx, pia, Reader("en"), workspace_id="acme", only_mine=True)
    assert mine.posts == [] and mine.waiting
    ed = Actor(id="ed", name="Ed", email=None, memberships={"acme": "editor"})
    eds = await home_view(ctx, ed, Reader("en"), workspace_id="acme", only_mine=True, status="awaiting_approval")
    assert [p.id for p in eds.posts] == [post["id"]] and eds.waiting == []  # an editor signs nothing
    assert (await home_view(ctx, ed, Reader("en"), workspace_id="acme", status="draft")).posts == []

    as_pia = await post_view(ctx, pia, Reader("en", "Asia/Jakarta"), workspace_id="acme", post_id=post["id"])
    as_vic = await post_view(ctx, vic, Reader("en"), workspace_id="acme", post_id=post["id"])
    deciding = ("approve", "request_changes", "reject")
    assert {k: as_pia.actions[k] for k in deciding} == {"approve": True, "request_changes": True, "reject": True}
    assert not any(as_vic.actions.values())  # a viewer may do nothing to a post
    assert as_pia.next_words.startswith("Waiting for ") and "0 of 1 signed" in as_pia.next_words
    assert [e.text for e in as_pia.timeline][:3] == [
        "Ed created the draft",
        "Ed submitted it for review",
        "The brand check ran",
    ]
    with pytest.raises(Exception, match="not found"):
        await post_view(ctx, pia, Reader("en"), workspace_id="other", post_id=post["id"])


async def test_a_member_of_another_workspace_cannot_see_or_decide_on_the_post(api: httpx.AsyncClient) -> None:
    await people(api)
    post = await submitted_post(api)
    await setup_workspace(api, ws="globex", prefix="g-")
    await add_user(api, "globex", "g-pia", "approver", admin="g-ada", email="g-pia@example.com", password=PASSWORD)
    stranger = await browser(api, "g-pia@example.com")
    token = csrf_of((await stranger.get("/")).text)
    decision = {"decision": "approve", "content_hash": post["revision"]["content_hash"], "csrf_token": token}

    for path in (f"/w/acme/posts/{post['id']}", f"/w/globex/posts/{post['id']}"):
        page = await stranger.get(path)
        assert page.status_code == 404 and "Not found" in page.text and "Fresh coffee" not in page.text
        assert (await stranger.post(f"{path}/decisions", data=decision)).status_code == 404
    assert (await stranger.get("/", params={"workspace": "acme"})).text.count(post["id"]) == 0
    assert (await api.get(f"/posts/{post['id']}", headers=as_user("ed"))).json()["decisions"] == []


async def test_the_posts_list_filters_by_channel_author_and_day_and_paging_keeps_them(
    api_on_both: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    import web.views

    api = api_on_both

    await people(api)
    r = await api.post("/workspaces/acme/channels", json={"id": "sb2", "name": "Second"}, headers=as_user("ada"))
    assert r.status_code == 201, r.text
    made = {}
    for key, channel, day in (("a", "sbx", "2027-03-01"), ("b", "sb2", "2027-03-02"), ("c", "sbx", "2027-03-03")):
        body = {"channel_id": channel, "text": f"Post {key}", "publish_at": f"{day}T09:00:00+07:00"}
        r = await api.post("/posts", json=body, headers=as_user("ed"))
        assert r.status_code == 201, r.text
        made[key] = r.json()["id"]
    pia = await browser(api, "pia@example.com")  # reads in Asia/Jakarta

    async def listed(query: str) -> set[str]:
        page = (await pia.get("/?workspace=acme&" + query)).text.split('id="post-list"')[1]
        return {k for k, pid in made.items() if pid in page}

    assert await listed("channel=sb2") == {"b"}
    assert await listed("channel=sbx") == {"a", "c"}
    assert await listed("author=ed") == {"a", "b", "c"} and await listed("author=pia") == set()
    assert await listed("from=2027-03-02&to=2027-03-02") == {"b"}  # 09:00 WIB that day only
    assert await listed("from=2027-03-02") == {"b", "c"} and await listed("to=2027-03-01") == {"a"}
    monkeypatch.setattr(web.views, "PAGE_SIZE", 1)
    first = (await pia.get("/?workspace=acme&channel=sbx&from=2027-03-01")).text
    [older] = re.findall(r'href="(/\?[^"]*cursor=[^"]*)"', first)
    assert "channel=sbx" in older and "from=2027-03-01" in older
    second = (await pia.get(older.replace("&amp;", "&"))).text.split('id="post-list"')[1]
    assert made["a"] in second and made["b"] not in second


async def test_the_api_lists_posts_with_the_same_filters(api: httpx.AsyncClient) -> None:
    await people(api)
    body = {"channel_id": "sbx", "text": "Later", "publish_at": "2027-03-02T09:00:00+07:00"}
    r = await api.post("/posts", json=body, headers=as_user("ed"))
    assert r.status_code == 201, r.text

    async def ids(query: str) -> list[str]:
        r = await api.get("/posts?" + query, headers=as_user("ed"))
        assert r.status_code == 200, r.text
        return [p["id"] for p in r.json()["posts"]]

    assert await ids("channel_id=sbx&author=ed") and await ids("author=ann") == []
    assert await ids("publish_from=2027-03-02T02:00:00Z") and await ids("publish_before=2027-03-02T02:00:00Z") == []
    naive = await api.get("/posts?publish_from=2027-03-02T02:00:00", headers=as_user("ed"))
    assert naive.status_code == 422 and naive.json()["error"] == "invalid_request", naive.text
