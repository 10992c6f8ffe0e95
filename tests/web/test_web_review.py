"""The approver's queue and review page, without a browser: the view models, and the pages over real HTTP.

The browser journey is tests/web/browser/test_web_review_journey.py."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment
from test_web_pages import browser, csrf_of, people

from api.deps import Actor, AppContext
from api_client import add_user, as_user, submitted_post, wait_status
from domain.diff import word_diff
from settings import Settings
from web.i18n import Reader
from web.views_queue import queue_view
from web.views_review import review_view, segments

PIA = Actor(id="pia", name="Pia", email=None, memberships={"acme": "approver"})
ED = Actor(id="ed", name="Ed", email=None, memberships={"acme": "editor"})


def hidden_fields(page: str) -> dict[str, str]:
    form = page.split('id="decide"')[1].split("</form>")[0]
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form))


async def post_for(api: httpx.AsyncClient, text: str, publish_at: str = "2030-12-03T09:00:00+07:00") -> dict:
    body = {"channel_id": "sbx", "text": text, "submit": True, "publish_at": publish_at}
    r = await api.post("/posts", json=body, headers=as_user("ed"))
    assert r.status_code == 201, r.text
    return await wait_status(api, r.json()["id"], "ed", "awaiting_approval")


async def two_signatures(api: httpx.AsyncClient, deadline: dict | None = None) -> None:
    step: dict = {"name": "brand", "roles": ["approver"], "quorum": 2}
    if deadline:
        step["deadline"] = deadline
    r = await api.put("/workspaces/acme/approval-policy", json={"steps": [step]}, headers=as_user("ada"))
    assert r.status_code == 200, r.text


def test_a_word_diff_gives_both_texts_back() -> None:
    before, after = "Our roastery opens on Monday.\nCome by!", "Our new roastery opens Tuesday at 9.\nCome by!"
    changes = word_diff(before, after)
    assert "".join(c.text for c in changes if c.op != "ins") == before
    assert "".join(c.text for c in changes if c.op != "del") == after
    assert [c.text for c in changes if c.op == "ins"] == [" new", "Tuesday at 9."]
    assert [c.text for c in changes if c.op == "del"] == ["on Monday."]


def test_previews_mark_links_mentions_and_hashtags() -> None:
    found = [(s.kind, s.text) for s in segments("See https://kopi.id/menu, ask @barista@kopi.social #KopiPagi #1!")]
    assert ("link", "https://kopi.id/menu") in found and ("mention", "@barista@kopi.social") in found
    assert ("tag", "#KopiPagi") in found and ("tag", "#1") not in found
    assert "".join(t for _, t in found) == "See https://kopi.id/menu, ask @barista@kopi.social #KopiPagi #1!"


async def test_the_queue_lists_what_i_can_sign_nearest_deadline_first_with_overdue_in_words(
    api: httpx.AsyncClient, engine: Engine, dev_env: WorkflowEnvironment
) -> None:
    await people(api)
    later = await post_for(api, "Later post")
    # A step due an hour after it opens: the post submitted second is due before the first one's publish time.
    await two_signatures(api, {"after": 3600, "on_expiry": "hold"})
    sooner = await post_for(api, "Sooner post", "2030-12-04T09:00:00+07:00")
    ctx = AppContext(settings=Settings(), engine=engine, client=dev_env.client)

    queue = await queue_view(ctx, PIA, Reader("en", "Asia/Jakarta"), workspace_id="acme")
    assert [r.id for r in queue.rows] == [sooner["id"], later["id"]]
    assert queue.rows[0].due_is_deadline and not queue.rows[1].due_is_deadline
    assert queue.rows[0].progress == "0 of 2 signed" and not queue.rows[0].overdue
    assert queue.chrome.waiting_count == 2

    in_two_hours = datetime.now(UTC) + timedelta(hours=2)
    overdue = await queue_view(ctx, PIA, Reader("id"), workspace_id="acme", now=in_two_hours)
    assert [r.overdue for r in overdue.rows] == [True, False]
    review = await review_view(ctx, PIA, Reader("id"), workspace_id="acme", post_id=sooner["id"], now=in_two_hours)
    assert review.overdue and review.deadline_words.startswith("Terlambat")
    assert "ditahan" in review.deadline_words  # what happens at expiry, in Indonesian

    assert (await queue_view(ctx, ED, Reader("en"), workspace_id="acme")).rows == []  # an editor signs nothing
    assert [r.id for r in (await queue_view(ctx, PIA, Reader("en"), workspace_id="acme", author="nobody")).rows] == []
    assert (await queue_view(ctx, PIA, Reader("en"), workspace_id="acme", date_to="2000-01-01")).rows == []
    assert len((await queue_view(ctx, PIA, Reader("en"), workspace_id="acme", date_from="2030-12-04")).rows) == 1


async def test_the_queue_pages_by_cursor(
    api: httpx.AsyncClient, engine: Engine, dev_env: WorkflowEnvironment, monkeypatch
) -> None:
    await people(api)
    posts = [await submitted_post(api, f"Post {n}") for n in range(3)]
    ctx = AppContext(settings=Settings(), engine=engine, client=dev_env.client)
    monkeypatch.setattr("web.views_queue.QUEUE_PAGE", 2)

    first = await queue_view(ctx, PIA, Reader("en"), workspace_id="acme")
    assert len(first.rows) == 2 and first.next_page_url
    cursor = first.next_page_url.split("cursor=")[1]
    second = await queue_view(ctx, PIA, Reader("en"), workspace_id="acme", cursor=cursor)

    assert {r.id for r in first.rows + second.rows} == {p["id"] for p in posts} and second.next_page_url is None


async def test_the_review_page_shows_progress_diff_comments_and_who_may_still_sign(
    api: httpx.AsyncClient, engine: Engine, dev_env: WorkflowEnvironment
) -> None:
    await people(api)
    await two_signatures(api)
    post = await submitted_post(api, "Our roastery opens on Monday. #kopi")
    r = await api.post(
        f"/posts/{post['id']}/revisions", json={"text": "Our new roastery opens Tuesday. #kopi"}, headers=as_user("ed")
    )
    assert r.status_code == 201, r.text
    await wait_status(api, post["id"], "ed", "awaiting_approval")
    ctx = AppContext(settings=Settings(), engine=engine, client=dev_env.client)
    pia = await browser(api, "pia@example.com")

    view = await review_view(ctx, PIA, Reader("en"), workspace_id="acme", post_id=post["id"])
    assert view.revision == 2 and view.diff is not None and view.diff.from_revision == 1
    [base] = [t for t in view.diff.texts if t.label == "Base text"]
    assert [c.text for c in base.changes if c.op == "del"] == ["on Monday."]
    assert view.progress == "0 of 2 signed" and view.steps[0].may_sign == "Ann and Pia"
    assert view.actions == {"approve": True, "request_changes": True, "reject": True, "comment": True}
    assert ("tag", "#kopi") in [(s.kind, s.text) for s in view.previews[0].segments]

    page = (await pia.get(f"/w/acme/posts/{post['id']}/review")).text
    assert '<del><span class="visually-hidden">[removed:] </span>on Monday.' in page
    empty = await pia.post(
        f"/w/acme/posts/{post['id']}/review/comments", data={"csrf_token": csrf_of(page), "revision": "2", "body": " "}
    )
    assert empty.status_code == 422 and 'aria-describedby="comment-error"' in empty.text
    for revision, body in (("2", "a\x00b"), (str(2**40), "Fine"), ("two", "Fine")):
        bad = await pia.post(
            f"/w/acme/posts/{post['id']}/review/comments",
            data={"csrf_token": csrf_of(page), "revision": revision, "body": body},
        )
        assert bad.status_code == 422, bad.text
    nul = await pia.post(
        f"/w/acme/posts/{post['id']}/review/decisions",
        data={**hidden_fields(page), "decision": "request_changes", "comment": "x\x00"},
    )
    assert nul.status_code == 422 and "cannot be stored" in nul.text
    comment = await pia.post(
        f"/w/acme/posts/{post['id']}/review/comments",
        data={"csrf_token": csrf_of(page), "revision": "2", "body": "Which Tuesday?"},
    )
    assert comment.status_code == 303, comment.text
    listed = await api.get(f"/posts/{post['id']}/revisions/2/comments", headers=as_user("ed"))
    assert [c["body"] for c in listed.json()["comments"]] == ["Which Tuesday?"]  # the JSON route's own store
    assert "Which Tuesday?" in (await pia.get(comment.headers["location"])).text

    approve = {**hidden_fields(page), "decision": "approve"}
    assert (await pia.post(f"/w/acme/posts/{post['id']}/review/decisions", data=approve)).status_code == 303
    after = await review_view(ctx, PIA, Reader("en"), workspace_id="acme", post_id=post["id"])
    assert after.progress == "1 of 2 signed" and after.steps[0].signed_by == "Pia"
    assert after.steps[0].may_sign == "Ann" and after.actions["approve"] is False


async def test_a_double_submit_is_one_decision_and_reasons_are_required(api_on_both: httpx.AsyncClient) -> None:
    api = api_on_both
    await people(api)
    pia = await browser(api, "pia@example.com")
    for round_ in range(3):
        post = await submitted_post(api, f"Round {round_}")
        page = (await pia.get(f"/w/acme/posts/{post['id']}/review")).text
        form = hidden_fields(page)
        url = f"/w/acme/posts/{post['id']}/review/decisions"
        if round_ == 0:
            no_reason = await pia.post(url, data={**form, "decision": "reject"})
            assert no_reason.status_code == 422 and "Give the reason for rejecting it" in no_reason.text
            no_comment = await pia.post(url, data={**form, "decision": "request_changes"})
            assert no_comment.status_code == 422 and "Say why in the comment" in no_comment.text

        sent = await asyncio.gather(*(pia.post(url, data={**form, "decision": "approve"}) for _ in range(4)))

        assert [r.status_code for r in sent] == [303] * 4, [r.text for r in sent if r.status_code != 303]
        decided = (await api.get(f"/posts/{post['id']}", headers=as_user("ed"))).json()
        assert [d["actor"] for d in decided["decisions"]] == ["pia"]
        trail = (await api.get(f"/posts/{post['id']}/audit", headers=as_user("ed"))).json()["entries"]
        assert [e["action"] for e in trail].count("approved") == 1


async def test_a_stale_decision_is_refused_and_shows_what_changed(api: httpx.AsyncClient) -> None:
    await people(api)
    post = await submitted_post(api, "Our roastery opens on Monday.")
    pia = await browser(api, "pia@example.com")
    page = (await pia.get(f"/w/acme/posts/{post['id']}/review", headers={"Accept-Language": "id"})).text
    r = await api.post(
        f"/posts/{post['id']}/revisions", json={"text": "Our roastery opens on Friday."}, headers=as_user("ed")
    )
    assert r.status_code == 201, r.text
    await wait_status(api, post["id"], "ed", "awaiting_approval")

    stale = await pia.post(
        f"/w/acme/posts/{post['id']}/review/decisions",
        data={**hidden_fields(page), "decision": "approve"},
        headers={"Accept-Language": "id"},
    )

    assert stale.status_code == 409 and "Postingan berubah saat Anda membacanya" in stale.text
    shown = stale.text.split('id="stale-heading"')[1]
    assert "Friday." in shown.split("<ins>")[1] and "Monday." in shown.split("<del>")[1]
    assert (await api.get(f"/posts/{post['id']}", headers=as_user("ed"))).json()["decisions"] == []


async def test_the_header_count_links_to_the_queue_and_strangers_get_404(api: httpx.AsyncClient) -> None:
    await people(api)
    post = await submitted_post(api)
    await add_user(api, "acme", "zed", "approver", email="zed@example.com", password="a long enough password")
    pia = await browser(api, "pia@example.com")
    home = (await pia.get("/")).text
    assert 'href="/w/acme/queue">Waiting for me' in home
    queue = await pia.get("/w/acme/queue")
    assert queue.status_code == 200 and f"/w/acme/posts/{post['id']}/review" in queue.text
    assert (await pia.get("/w/globex/queue")).status_code == 404
    assert (await pia.get("/w/globex/posts/" + post["id"] + "/review")).status_code == 404


async def test_the_lists_see_a_new_signature_at_once_though_they_keep_states_between_renders(
    api: httpx.AsyncClient, engine: Engine, dev_env: WorkflowEnvironment
) -> None:
    await people(api)
    await two_signatures(api)
    post = await submitted_post(api)
    ctx = AppContext(settings=Settings(), engine=engine, client=dev_env.client)
    ann = Actor(id="ann", name="Ann", email=None, memberships={"acme": "approver"})
    assert [r.progress for r in (await queue_view(ctx, ann, Reader("en"), workspace_id="acme")).rows] == [
        "0 of 2 signed"
    ]

    decision = {"decision": "approve", "content_hash": post["revision"]["content_hash"]}
    r = await api.post(f"/posts/{post['id']}/decisions", json=decision, headers=as_user("pia"))
    assert r.status_code == 200, r.text

    assert [r.progress for r in (await queue_view(ctx, ann, Reader("en"), workspace_id="acme")).rows] == [
        "1 of 2 signed"
    ]
    assert (await queue_view(ctx, PIA, Reader("en"), workspace_id="acme")).rows == []  # she has signed


async def test_the_home_page_shows_the_first_waiting_posts_and_links_to_all_in_the_queue(
    api: httpx.AsyncClient,
) -> None:
    await people(api)
    for n in range(6):
        await submitted_post(api, f"Post {n}")
    pia = await browser(api, "pia@example.com")

    home = (await pia.get("/")).text
    waiting = home.split('id="waiting"')[1].split('id="posts-heading"')[0]

    assert waiting.count("/w/acme/posts/") == 5 and 'href="/w/acme/queue">All 6 in the queue' in waiting
    assert (await pia.get("/w/acme/queue")).text.count("data-queue-row") == 6
