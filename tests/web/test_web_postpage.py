"""The post page's actions (each confirmed, through the API's own rules), the calendar, the iCal feed and the
paused-workspace banner: view models without a browser, and the pages over real HTTP on the real stack."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from fastapi import HTTPException
from icalendar import Calendar
from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment
from test_web_pages import browser, csrf_of, people

from api.deps import Actor, AppContext
from api_client import add_user, as_user, submitted_post, wait_status
from settings import Settings
from web.i18n import Reader
from web.views import post_view
from web.views_calendar import calendar_view
from web.views_postpage import confirm_view

LATER = "2030-12-03T09:00:00+07:00"  # Tue 3 Dec 2030 09:00 WIB = 02:00 UTC


async def scheduled_post(api: httpx.AsyncClient, text: str = "Roastery opening, Monday at 9.") -> dict:
    """A post of ed's on sbx, approved by ann, scheduled for LATER."""
    r = await api.post(
        "/posts", json={"channel_id": "sbx", "text": text, "submit": True, "publish_at": LATER}, headers=as_user("ed")
    )
    assert r.status_code == 201, r.text
    post = await wait_status(api, r.json()["id"], "ed", "awaiting_approval")
    decision = {"decision": "approve", "content_hash": post["revision"]["content_hash"]}
    r = await api.post(f"/posts/{post['id']}/decisions", json=decision, headers=as_user("ann"))
    assert r.status_code == 200, r.text
    return await wait_status(api, post["id"], "ed", "scheduled")


async def approved(api: httpx.AsyncClient, text: str) -> dict:
    post = await submitted_post(api, text)
    decision = {"decision": "approve", "content_hash": post["revision"]["content_hash"]}
    r = await api.post(f"/posts/{post['id']}/decisions", json=decision, headers=as_user("ann"))
    assert r.status_code == 200, r.text
    return post


@asynccontextmanager
async def faults(sandbox: Any, channel: str, **injected: object) -> AsyncIterator[None]:
    """The sandbox misbehaves on the channel as asked (tests/api/test_unpublish_api.py does the same)."""
    async with httpx.AsyncClient(base_url=sandbox.url) as http:
        assert (await http.put(f"/api/channels/{channel}/faults", json=injected)).status_code == 200
        try:
            yield
        finally:
            await http.delete(f"/api/channels/{channel}/faults")


def context_of(engine: Engine, dev_env: WorkflowEnvironment, **settings: str) -> AppContext:
    return AppContext(settings=Settings(**settings), engine=engine, client=dev_env.client)  # type: ignore[arg-type]


ED = Actor(id="ed", name="Ed", email=None, memberships={"acme": "editor"})
VIC = Actor(id="vic", name="Vic", email=None, memberships={"acme": "viewer"})
ADA = Actor(id="ada", name="Ada", email=None, memberships={"acme": "admin"})


async def test_the_actions_shown_are_the_ones_the_rules_allow(
    api: httpx.AsyncClient, engine: Engine, dev_env: WorkflowEnvironment
) -> None:
    await people(api)
    post = await scheduled_post(api)
    ctx = context_of(engine, dev_env, temporal_ui_url="http://127.0.0.1:8233/")

    as_ed = await post_view(ctx, ED, Reader("en", "Asia/Jakarta"), workspace_id="acme", post_id=post["id"])
    as_vic = await post_view(ctx, VIC, Reader("en"), workspace_id="acme", post_id=post["id"])
    as_ada = await post_view(ctx, ADA, Reader("en"), workspace_id="acme", post_id=post["id"])

    shown = {k for k, v in as_ed.actions.items() if v}
    assert shown == {"revise", "reschedule", "publish_now", "withdraw"}  # not yet out: nothing to unpublish or retry
    assert not any(as_vic.actions.values()) and as_vic.extras and as_vic.extras.workflow_url is None
    assert as_ed.next_words == "Publishes Tue 3 Dec 2030 09:00 WIB on 1 channel."
    assert as_ed.extras and as_ed.extras.local_publish_at == "2030-12-03T09:00" and as_ed.extras.zone == "Asia/Jakarta"
    assert as_ed.extras.workflow_url is None  # only admins get the link
    assert as_ada.extras and as_ada.extras.workflow_url == (
        f"http://127.0.0.1:8233/namespaces/default/workflows/post-{post['id']}"
    )


async def test_rescheduling_is_confirmed_with_the_utc_instant_dst_correct(
    api: httpx.AsyncClient, engine: Engine, dev_env: WorkflowEnvironment
) -> None:
    await people(api)
    post = await scheduled_post(api)
    ctx = context_of(engine, dev_env)

    summer = await confirm_view(
        ctx,
        ED,
        Reader("en", "Asia/Jakarta"),
        workspace_id="acme",
        post_id=post["id"],
        action="reschedule",
        publish_at="2031-07-01T09:00",
        zone="Europe/Berlin",
    )
    winter = await confirm_view(
        ctx,
        ED,
        Reader("id", "Asia/Jakarta"),
        workspace_id="acme",
        post_id=post["id"],
        action="reschedule",
        publish_at="2031-01-06T09:00",
        zone="Europe/Berlin",
    )

    assert (summer.local_words, summer.utc_words) == ("Tue 1 Jul 2031 09:00 CEST", "Tue 1 Jul 2031 07:00 UTC")
    assert summer.reader_words == "Tue 1 Jul 2031 14:00 WIB" and summer.error is None
    assert (winter.local_words, winter.utc_words) == ("Sen 6 Jan 2031 09.00 CET", "Sen 6 Jan 2031 08.00 UTC")
    with pytest.raises(HTTPException) as refused:  # the page answers "Not allowed"
        await confirm_view(ctx, VIC, Reader("en"), workspace_id="acme", post_id=post["id"], action="reschedule")
    assert refused.value.status_code == 403


async def test_an_editor_reschedules_through_the_confirmation_page(api: httpx.AsyncClient) -> None:
    await people(api)
    post = await scheduled_post(api)
    await add_user(api, "acme", "eve2", "editor", email="eve2@example.com", password="a long enough password")
    eve = await browser(api, "eve2@example.com")
    path = f"/w/acme/posts/{post['id']}"
    page = await eve.get(path)
    assert 'name="action" value="reschedule"' in page.text and "Publish now…" in page.text

    confirm = await eve.get(
        f"{path}/confirm",
        params={"action": "reschedule", "publish_at": "2030-12-04T10:30", "time_zone": "Asia/Jakarta"},
    )
    assert confirm.status_code == 200 and "Wed 4 Dec 2030 03:30 UTC" in confirm.text
    form = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', confirm.text))
    assert form["publish_at"] == "2030-12-04T10:30" and form["time_zone"] == "Asia/Jakarta"
    done = await eve.post(f"{path}/act", data=form)

    assert done.status_code == 303 and done.headers["location"] == f"{path}?done=reschedule", done.text
    moved = (await api.get(f"/posts/{post['id']}", headers=as_user("ed"))).json()
    assert moved["publish_at"].startswith("2030-12-04T03:30") and moved["status"] == "scheduled"
    after = await eve.get(done.headers["location"])
    assert "The new publish time is saved." in after.text and "Eve2 changed the publish time" in after.text


async def test_a_viewer_sees_no_action_and_the_server_refuses_each_anyway(api: httpx.AsyncClient) -> None:
    await people(api)
    post = await scheduled_post(api)
    vic = await browser(api, "vic@example.com")
    path = f"/w/acme/posts/{post['id']}"
    page = await vic.get(path)
    assert page.status_code == 200 and "What you can do" not in page.text and "/confirm" not in page.text
    token = csrf_of(page.text)

    assert (await vic.get(f"{path}/confirm", params={"action": "publish_now"})).status_code == 403
    for action in ("reschedule", "publish_now", "withdraw", "unpublish", "retry"):
        data = {"action": action, "csrf_token": token, "reason": "no", "publish_at": "2030-12-05T09:00"}
        refused = await vic.post(f"{path}/act", data={**data, "time_zone": "Asia/Jakarta"})
        assert refused.status_code == 403 and "Not allowed" in refused.text, (action, refused.text)
    unchanged = (await api.get(f"/posts/{post['id']}", headers=as_user("ed"))).json()
    assert unchanged["status"] == "scheduled" and unchanged["publish_at"].startswith("2030-12-03T02:00")


async def test_a_paused_workspace_says_so_on_every_page_with_the_reason_and_who(api: httpx.AsyncClient) -> None:
    await people(api)
    post = await scheduled_post(api)
    r = await api.post("/workspaces/acme/pause", json={"reason": "Crisis: hold everything"}, headers=as_user("ada"))
    assert r.status_code == 200, r.text
    pia = await browser(api, "pia@example.com")

    for path in ("/", f"/w/acme/posts/{post['id']}", "/w/acme/calendar", "/w/acme/calendar/feed"):
        page = await pia.get(path, headers={"Accept-Language": "en"})
        assert page.status_code == 200, path
        banner = page.text.split('class="notice" role="status">')[1].split("</p>")[0]
        assert "Publishing is paused in this workspace" in banner and "Crisis: hold everything" in banner, path
        assert "by Ada:" in banner, path  # the person's name, not their account id


async def test_the_calendar_shows_the_post_on_its_day_in_my_zone(
    api: httpx.AsyncClient, engine: Engine, dev_env: WorkflowEnvironment
) -> None:
    await people(api)
    post = await scheduled_post(api)  # Tue 3 Dec 2030 02:00 UTC
    ctx = context_of(engine, dev_env)

    jakarta = await calendar_view(ctx, ED, Reader("en", "Asia/Jakarta"), workspace_id="acme", anchor="2030-12-01")
    honolulu = await calendar_view(ctx, ED, Reader("en", "Pacific/Honolulu"), workspace_id="acme", anchor="2030-12-01")

    def days_with(view: object) -> list[tuple[date, str]]:
        return [(d.day, e.time_words) for week in view.weeks for d in week for e in d.entries]  # type: ignore[attr-defined]

    assert days_with(jakarta) == [(date(2030, 12, 3), "09:00")]
    assert days_with(honolulu) == [(date(2030, 12, 2), "16:00")]  # the evening before, in Honolulu
    [entry] = [e for week in jakarta.weeks for d in week for e in d.entries]
    assert entry.url == f"/w/acme/posts/{post['id']}" and entry.channels[0].name == "Sandbox" and entry.reschedule
    week = await calendar_view(ctx, VIC, Reader("id"), workspace_id="acme", view="week", anchor="2030-12-04")
    [[only]] = [d.entries for w in week.weeks for d in w if d.entries]
    assert only.status_words == "Terjadwal" and not only.reschedule  # a viewer may not move it
    assert "2 Desember 2030" in week.title
    filtered = await calendar_view(
        ctx, ED, Reader("en"), workspace_id="acme", view="list", anchor="2030-12-01", status="published"
    )
    assert filtered.days == [] and filtered.count == 0


async def test_the_ical_feed_parses_and_a_revoked_secret_is_gone(api: httpx.AsyncClient) -> None:
    await people(api)
    post = await scheduled_post(api)
    pia = await browser(api, "pia@example.com")
    token = csrf_of((await pia.get("/w/acme/calendar/feed")).text)
    made = await pia.post("/w/acme/calendar/feed", data={"csrf_token": token})
    assert made.status_code == 201
    url = re.search(r'id="feed-url" type="text" readonly value="([^"]+)"', made.text)
    assert url, made.text
    feed_url = url.group(1).replace("&amp;", "&")
    anonymous = httpx.AsyncClient(timeout=30)  # no session: the secret is the credential

    first = await anonymous.get(feed_url)
    assert first.status_code == 200 and first.headers["content-type"].startswith("text/calendar")
    [event] = Calendar.from_ical(first.content).walk("VEVENT")
    assert str(event["UID"]) == f"{post['id']}@postgate"
    assert event.decoded("DTSTART") == datetime(2030, 12, 3, 2, 0, tzinfo=UTC)
    assert event["DTSTART"].to_ical() == b"20301203T020000Z"  # in UTC
    assert "Roastery opening, Monday at 9." in str(event["SUMMARY"]) and "Sandbox" in str(event["SUMMARY"])
    assert str(event["URL"]) == f"{api.base_url}/w/acme/posts/{post['id']}".replace("//w", "/w")
    r = await api.post(
        f"/posts/{post['id']}/schedule", json={"publish_at": "2030-12-05T09:00:00+07:00"}, headers=as_user("ed")
    )
    assert r.status_code == 200, r.text
    [moved] = Calendar.from_ical((await anonymous.get(feed_url)).content).walk("VEVENT")
    assert str(moved["UID"]) == str(event["UID"])  # the same event, moved
    assert moved.decoded("DTSTART") == datetime(2030, 12, 5, 2, 0, tzinfo=UTC)

    revoked = await pia.post("/w/acme/calendar/feed/revoke", data={"csrf_token": token})
    assert revoked.status_code == 303
    assert (await anonymous.get(feed_url)).status_code == 404
    assert (await anonymous.get(f"{api.base_url}/calendar-feeds/not-a-secret.ics")).status_code == 404
    assert (await pia.post("/w/acme/calendar/feed", data={"csrf_token": ""})).status_code == 403


async def test_a_channel_being_retried_shows_its_attempt_and_error_and_a_failed_one_can_be_retried(
    api: httpx.AsyncClient, engine: Engine, dev_env: WorkflowEnvironment, sandbox
) -> None:
    await people(api)
    ctx = context_of(engine, dev_env)
    async with faults(sandbox, "sbx", fail_5xx=2):
        post = await approved(api, "Third time lucky")
        for _ in range(400):
            view = await post_view(ctx, ED, Reader("en", "Asia/Jakarta"), workspace_id="acme", post_id=post["id"])
            [channel] = view.channels
            if channel.attempt is not None and channel.attempt >= 2:
                break
            await asyncio.sleep(0.05)
    assert channel.last_error and "unavailable" in channel.last_error and channel.next_attempt_at is not None
    page = await (await browser(api, "pia@example.com")).get(f"/w/acme/posts/{post['id']}")
    assert "Attempt" in page.text and "Last error" in page.text and "unavailable" in page.text
    await wait_status(api, post["id"], "ed", "done")

    async with faults(sandbox, "sbx", revoked=True):
        failed = await approved(api, "Account expired")
        await wait_status(api, failed["id"], "ed", "publish_failed")
    as_ed = await post_view(ctx, ED, Reader("en"), workspace_id="acme", post_id=failed["id"])
    as_vic = await post_view(ctx, VIC, Reader("en"), workspace_id="acme", post_id=failed["id"])
    assert as_ed.actions["retry"] and as_ed.channels[0].actions == {"retry": True, "unpublish": False}
    assert as_ed.channels[0].failure and not any(as_vic.channels[0].actions.values())
    pia = await browser(api, "pia@example.com")
    path = f"/w/acme/posts/{failed['id']}"
    confirm = await pia.get(f"{path}/confirm", params={"action": "retry", "channel": "sbx"})
    assert confirm.status_code == 200 and "Confirm: retry" in confirm.text
    form = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', confirm.text))
    done = await pia.post(f"{path}/act", data=form)
    assert done.status_code == 303 and done.headers["location"].endswith("?done=retry"), done.text
    await wait_status(api, failed["id"], "ed", "done")


async def test_bad_input_to_the_actions_is_a_4xx_page_and_changes_nothing(api: httpx.AsyncClient) -> None:
    await people(api)
    post = await scheduled_post(api)
    await add_user(api, "acme", "eve3", "editor", email="eve3@example.com", password="a long enough password")
    eve = await browser(api, "eve3@example.com")
    path = f"/w/acme/posts/{post['id']}"
    token = csrf_of((await eve.get(path)).text)
    asks = [
        {"action": "reschedule", "publish_at": "not a time", "time_zone": "Asia/Jakarta"},
        {"action": "reschedule", "publish_at": "2030-12-05T09:00", "time_zone": "Mars/Olympus"},
        {"action": "reschedule", "publish_at": "1999-12-05T09:00", "time_zone": "UTC"},
        {"action": "reschedule", "publish_at": "2030-12-05T09:00\x00", "time_zone": "UTC"},
        {"action": "launch", "publish_at": "", "time_zone": ""},
        {"action": "unpublish", "reason": "   "},
        {"action": "retry", "channel": "x" * 500},
    ]
    for ask in asks:
        shown = await eve.get(f"{path}/confirm", params=ask)
        done = await eve.post(f"{path}/act", data={**ask, "csrf_token": token})
        assert 400 <= shown.status_code < 500 and 400 <= done.status_code < 500, (ask, shown.status_code, done.text)
        assert "Traceback" not in done.text
    unchanged = (await api.get(f"/posts/{post['id']}", headers=as_user("ed"))).json()
    assert unchanged["status"] == "scheduled" and unchanged["publish_at"].startswith("2030-12-03T02:00")


async def test_making_the_feed_address_from_many_tabs_at_once_leaves_one_that_works(api: httpx.AsyncClient) -> None:
    await people(api)
    await scheduled_post(api)
    pia = await browser(api, "pia@example.com")
    token = csrf_of((await pia.get("/w/acme/calendar/feed")).text)
    anonymous = httpx.AsyncClient(timeout=30)
    for _ in range(4):
        made = await asyncio.gather(*(pia.post("/w/acme/calendar/feed", data={"csrf_token": token}) for _ in range(6)))
        assert {r.status_code for r in made} <= {201, 409}, [r.text for r in made if r.status_code not in (201, 409)]
        urls = [m.group(1).replace("&amp;", "&") for r in made if (m := re.search(r'readonly value="([^"]+)"', r.text))]
        opened = [(await anonymous.get(u)).status_code for u in urls]
        assert opened.count(200) == 1 and set(opened) <= {200, 404}, opened


async def test_a_reschedule_from_the_calendar_comes_back_to_it_and_a_withdrawal_keeps_its_reason(
    api: httpx.AsyncClient,
) -> None:
    await people(api)
    post = await scheduled_post(api)
    await add_user(api, "acme", "eve4", "editor", email="eve4@example.com", password="a long enough password")
    eve = await browser(api, "eve4@example.com")
    calendar = await eve.get("/w/acme/calendar", params={"view": "list", "date": "2030-12-01"})
    assert calendar.status_code == 200 and f'action="/w/acme/posts/{post["id"]}/confirm"' in calendar.text
    back = "/w/acme/calendar?view=list&date=2030-12-01"
    token = csrf_of(calendar.text)
    path = f"/w/acme/posts/{post['id']}"
    ask = {"action": "reschedule", "publish_at": "2030-12-10T08:00", "time_zone": "Asia/Jakarta", "back": back}
    confirm = await eve.get(f"{path}/confirm", params=ask)
    assert f'href="{back.replace("&", "&amp;")}">Back without doing anything' in confirm.text

    moved = await eve.post(f"{path}/act", data={**ask, "csrf_token": token})
    assert moved.headers["location"] == back + "&done=reschedule"
    december = await eve.get(moved.headers["location"])
    assert "The new publish time is saved." in december.text and "Tue 10 Dec" in december.text
    away = await eve.post(f"{path}/act", data={**ask, "back": "//evil.example/x", "csrf_token": token})
    assert away.headers["location"] == f"{path}?done=reschedule"  # never another site

    gone = await eve.post(f"{path}/act", data={"action": "withdraw", "reason": "Event cancelled", "csrf_token": token})
    assert gone.status_code == 303
    page = await eve.get(gone.headers["location"])
    assert "The post is withdrawn." in page.text and "Eve4 withdrew it: “Event cancelled”" in page.text
    assert (await api.get(f"/posts/{post['id']}", headers=as_user("ed"))).json()["status"] == "withdrawn"
    assert "What you can do" not in page.text  # nothing more to do to a withdrawn post
