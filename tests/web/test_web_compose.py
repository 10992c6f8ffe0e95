"""The compose and revise pages over real HTTP on the real stack, and their view models without a browser.

The browser journey is tests/web/browser/test_compose_journeys.py; these check what the server answers."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx
from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from api.deps import CSRF_COOKIE, Actor, AppContext
from api_client import add_user, as_user, setup_workspace, wait_status
from brand.counting import measures
from settings import Settings
from web.i18n import Reader
from web.views_compose import ChannelFacts, ComposeForm, compose_view, counters, preview, read_form, time_live

PASSWORD = "a long enough password"
STYLE = """
styles:
  Acme:
    Wordy:
      extends: substitution
      message: "Use '%s' instead of '%s'."
      level: warning
      ignorecase: true
      action: {name: replace}
      swap: {utilize: use, "in order to": to}
"""


async def team(http: httpx.AsyncClient) -> None:
    """acme: admin ada, editor eve and approver pia (with passwords), viewer vic, channels sbx (plain 280),
    xx (counts as X) and bsky (counts as Bluesky), and a style that swaps wordy phrases."""
    await setup_workspace(http)
    for uid, role in (("eve", "editor"), ("pia", "approver"), ("vic", "viewer")):
        await add_user(http, "acme", uid, role, email=f"{uid}@example.com", password=PASSWORD)
    for cid, name, counts in (("xx", "Acme on X", "x"), ("bsky", "Acme on Bluesky", "bluesky")):
        r = await http.post(
            "/workspaces/acme/channels",
            json={"id": cid, "name": name, "counts_as": counts},
            headers=as_user("ada"),
        )
        assert r.status_code == 201, r.text
    r = await http.put(
        "/workspaces/acme/style", content=STYLE, headers={**as_user("ada"), "Content-Type": "application/yaml"}
    )
    assert r.status_code == 200, r.text


async def browser(http: httpx.AsyncClient, email: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=http.base_url, timeout=30, headers={"Accept-Language": "en"})
    r = await client.post("/signin", data={"email": email, "password": PASSWORD, "next": "/", "time_zone": "UTC"})
    assert r.status_code == 303, r.text
    return client


def csrf_of(page: str) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', page)
    assert found
    return found.group(1)


def form_of(page: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))


async def test_saving_a_draft_for_two_channels_keeps_each_variant_and_the_time_in_its_zone(
    api: httpx.AsyncClient,
) -> None:
    await team(api)
    eve = await browser(api, "eve@example.com")
    page = await eve.get("/w/acme/compose")
    assert page.status_code == 200 and 'name="channel" value="xx"' in page.text
    data = {
        "csrf_token": csrf_of(page.text),
        "channel": ["xx", "bsky"],
        "text": "Our new roastery opens on Monday.",
        "variant.bsky": "Our new roastery opens on Monday! Come by.",
        "media_url.bsky.0": "https://acme.example/roastery.jpg",
        "media_alt.bsky.0": "The roastery's front door",
        "publish_local": "2030-12-03T09:00",
        "time_zone": "Asia/Jakarta",
        "action": "save",
    }

    r = await eve.post("/w/acme/compose", data=data)

    assert r.status_code == 303 and r.headers["location"].endswith("/revise?saved=1"), r.text
    post_id = r.headers["location"].split("/")[4]
    post = (await api.get(f"/posts/{post_id}", headers=as_user("eve"))).json()
    assert post["status"] == "draft" and post["channel_ids"] == ["bsky", "xx"]
    assert post["publish_at"].startswith("2030-12-03T02:00:00") and post["publish_zone"] == "Asia/Jakarta"
    assert post["revision"]["variants"] == [
        {
            "channel_id": "bsky",
            "text": "Our new roastery opens on Monday! Come by.",
            "media": [
                {"url": "https://acme.example/roastery.jpg", "alt_text": "The roastery's front door", "mime_type": None}
            ],
        }
    ]
    again = await eve.get(r.headers["location"])
    assert "Saved as a draft." in again.text and "Come by." in again.text and 'value="2030-12-03T09:00"' in again.text


async def test_a_refused_form_comes_back_as_typed_with_each_message_tied_to_its_field(api: httpx.AsyncClient) -> None:
    await team(api)
    eve = await browser(api, "eve@example.com")
    token = csrf_of((await eve.get("/w/acme/compose")).text)

    r = await eve.post(
        "/w/acme/compose",
        data={
            "csrf_token": token,
            "channel": "xx",
            "text": "",
            "variant.xx": "My own words for X",
            "media_url.xx.0": "ftp://not-a-web-address",
            "publish_local": "2030-12-03T09:00",
            "time_zone": "Asia/Jakarta",
            "action": "save",
        },
    )

    assert r.status_code == 422
    assert 'aria-describedby="text-help error-text"' in r.text and 'id="error-text"' in r.text
    assert "Write the text of the post." in r.text
    assert "My own words for X" in r.text and 'value="ftp://not-a-web-address"' in r.text
    none = await eve.post("/w/acme/compose", data={"csrf_token": token, "text": "Hello", "action": "save"})
    assert (
        none.status_code == 422 and 'id="error-channels"' in none.text and "Choose at least one channel." in none.text
    )
    assert (await api.get("/posts", params={"workspace_id": "acme"}, headers=as_user("eve"))).json()["posts"] == []


async def test_the_live_check_finds_marks_counts_and_replaces_on_the_server(api: httpx.AsyncClient) -> None:
    await team(api)
    eve = await browser(api, "eve@example.com")
    token = csrf_of((await eve.get("/w/acme/compose")).text)
    text = "We utilize fresh beans. https://acme.example/x #Kopi @budi"
    form = {"csrf_token": token, "channel": ["xx", "bsky"], "text": text, "time_zone": "Asia/Jakarta"}

    live = await eve.post(
        "/w/acme/compose/check", data={**form, "publish_local": "2030-12-03T09:00"}, headers={"HX-Request": "true"}
    )

    assert live.status_code == 200
    assert 'id="live-findings" hx-swap-oob="innerHTML"' in live.text
    assert "Use &#39;use&#39; instead of &#39;utilize&#39;." in live.text
    assert '<mark class="finding-mark" id="mark-xx-1">utilize' in live.text
    # X weighs the link as 23: 24 + 23 + 12 = 59; Bluesky counts graphemes and bytes.
    assert "59 of 280 weighted characters" in live.text and "58 of 300 characters (graphemes)" in live.text
    assert '<span class="entity hashtag">#Kopi</span>' in live.text
    assert '<time datetime="2030-12-03T02:00:00+00:00">Tue 3 Dec 2030 02:00 UTC</time>' in live.text
    assert 'name="apply" value="xx:0"' in live.text

    applied = await eve.post("/w/acme/compose", data={**form, "apply": "xx:0"}, headers={"HX-Request": "true"})

    assert applied.status_code == 200 and applied.text.lstrip().startswith('<form id="editor"')
    assert "We use fresh beans." in applied.text and "Replaced “utilize” with “use”." in applied.text
    assert 'id="text" name="text"' in applied.text and "autofocus" in applied.text
    assert (await api.get("/posts", params={"workspace_id": "acme"}, headers=as_user("eve"))).json()["posts"] == []


async def test_a_viewer_may_not_compose_and_the_server_refuses_the_form(api: httpx.AsyncClient) -> None:
    await team(api)
    vic = await browser(api, "vic@example.com")
    page = await vic.get("/w/acme/compose")
    assert page.status_code == 403 and "Not allowed" in page.text
    token = vic.cookies[CSRF_COOKIE]
    r = await vic.post("/w/acme/compose", data={"csrf_token": token, "channel": "xx", "text": "Hi", "action": "save"})
    assert r.status_code == 403


async def test_after_changes_are_requested_the_revise_page_shows_the_comments_and_the_diff_then_resubmits(
    api: httpx.AsyncClient, engine: Engine, dev_env: WorkflowEnvironment
) -> None:
    await team(api)
    r = await api.post(
        "/posts",
        json={"channel_ids": ["xx"], "text": "Line one.\nLine two.", "submit": True},
        headers=as_user("eve"),
    )
    post = await wait_status(api, r.json()["id"], "eve", "awaiting_approval")
    number = post["revision"]["number"]
    r = await api.post(
        f"/posts/{post['id']}/revisions/{number}/comments",
        json={"body": "Say which Monday.", "quote": "Line two."},
        headers=as_user("pia"),
    )
    assert r.status_code == 201, r.text
    r = await api.post(
        f"/posts/{post['id']}/decisions",
        json={"decision": "request_changes", "content_hash": post["revision"]["content_hash"], "comment": "Too vague."},
        headers=as_user("pia"),
    )
    assert r.status_code == 200, r.text
    await wait_status(api, post["id"], "eve", "changes_needed")
    eve = await browser(api, "eve@example.com")
    url = f"/w/acme/posts/{post['id']}/revise"

    page = await eve.get(url)
    assert page.status_code == 200 and "Say which Monday." in page.text and "Too vague." in page.text
    assert "Nothing changed yet since revision 1." in page.text
    hidden = form_of(page.text)
    typed = {**hidden, "text": "Line one.\nLine two, Monday 7 December.", "time_zone": "UTC"}
    live = await eve.post("/w/acme/compose/check", data=typed, headers={"HX-Request": "true"})
    assert '<del><span class="visually-hidden">Removed: </span>Line two.</del>' in live.text
    assert '<ins><span class="visually-hidden">Added: </span>Line two, Monday 7 December.</ins>' in live.text

    stale = await eve.post(url, data={**typed, "base_hash": "sha256:older", "action": "submit"})
    assert stale.status_code == 409 and "while you were editing" in stale.text and "Monday 7 December" in stale.text
    sent = await eve.post(url, data={**typed, "action": "submit"})
    assert sent.status_code == 303, sent.text
    back = await wait_status(api, post["id"], "eve", "awaiting_approval")
    assert back["revision"]["number"] == 2 and back["revision"]["text"] == "Line one.\nLine two, Monday 7 December."

    ctx = AppContext(settings=Settings(), engine=engine, client=dev_env.client)
    eve_actor = Actor(id="eve", name="Eve", email=None, memberships={"acme": "editor"})
    view = await compose_view(ctx, eve_actor, Reader("id"), workspace_id="acme", post_id=post["id"])
    assert view.reviewed_revision == 1 and view.actions == {"save": False, "submit": True}
    assert [c.body for c in view.comments] == ["Say which Monday.", "Too vague."]
    assert view.live.diff and view.live.diff[0].title == "Teks untuk semua kanal"
    assert datetime.now(UTC).year <= view.live.time.utc.year if view.live.time.utc else True


# ---- view models without a stack --------------------------------------------------------------------------


def facts_for(platform: str, limit: int | None = None) -> ChannelFacts:
    return ChannelFacts("c", "C", "sandbox", platform, measures(platform, max_length=limit))


def test_the_publish_time_is_shown_in_utc_and_the_workspace_zone_and_dst_gaps_are_named() -> None:
    jakarta = ComposeForm(publish_local="2030-12-03T09:00", time_zone="Asia/Jakarta")
    shown = time_live(Reader("en"), jakarta, "Europe/Berlin")
    assert shown.utc == datetime(2030, 12, 3, 2, 0, tzinfo=UTC)
    assert (shown.utc_words, shown.workspace_words, shown.note) == (
        "Tue 3 Dec 2030 02:00 UTC",
        "Tue 3 Dec 2030 03:00 CET",
        "",
    )

    gap = time_live(Reader("en"), ComposeForm(publish_local="2030-03-31T02:30", time_zone="Europe/Berlin"), "UTC")
    assert "02:30 does not exist in Europe/Berlin" in gap.note and "03:30 CEST" in gap.note
    assert gap.utc == datetime(2030, 3, 31, 1, 30, tzinfo=UTC)
    twice = time_live(Reader("id"), ComposeForm(publish_local="2030-10-27T02:30", time_zone="Europe/Berlin"), "UTC")
    assert "terjadi dua kali" in twice.note and twice.utc == datetime(2030, 10, 27, 0, 30, tzinfo=UTC)
    assert time_live(Reader("en"), ComposeForm(publish_local="soon", time_zone="UTC"), "UTC").error


def test_counters_count_as_the_platform_does_and_warn_before_the_limit() -> None:
    tr = Reader("en")
    [x] = counters(tr, facts_for("x"), "é" * 10 + " https://example.com/ " + "a" * 400)
    assert (x.count, x.limit, x.state) == (10 + 1 + 23 + 1 + 400, 280, "over")
    [near] = counters(tr, facts_for("x"), "a" * 260)
    assert near.state == "near" and near.left == 20
    graphemes, utf8 = counters(tr, facts_for("bluesky"), "👨‍👩‍👧‍👦" * 3)
    assert (graphemes.count, graphemes.unit, utf8.count, utf8.unit) == (
        3,
        "characters (graphemes)",
        75,
        "bytes (UTF-8)",
    )
    [mastodon] = counters(tr, facts_for("mastodon", 1000), "hi @ana@social.example")
    assert (mastodon.count, mastodon.limit) == (7, 1000)


def test_the_preview_highlights_entities_and_shows_what_the_platform_folds_or_refuses() -> None:
    tr = Reader("en")
    segments, note = preview(tr, facts_for("x"), "Hi @budi, see acme.co.id #Kopi\nbye")
    kinds = [(s.kind, s.text) for s in segments if s.kind]
    assert kinds == [("mention", "@budi"), ("url", "acme.co.id"), ("hashtag", "#Kopi")] and note == ""
    folded, note = preview(tr, facts_for("instagram"), "a" * 130)
    assert [(s.kind, len(s.text)) for s in folded] == [("", 125), ("folded", 5)]
    assert note == "Instagram shows the first 125 characters; the rest is behind “more”."
    over, note = preview(tr, facts_for("x"), "b" * 290)
    assert [(s.kind, len(s.text)) for s in over] == [("", 280), ("over", 10)] and "does not fit" in note


def test_the_form_reads_back_as_the_api_takes_it() -> None:
    form = read_form(
        {
            "channel": ["b", "zz"],
            "text": "Base\r\ntext",
            "variant.a": "unchosen",
            "variant.b": "  ",
            "media_url.b.1": "https://x.example/p.jpg",
            "media_alt.b.1": "A cup",
            "publish_local": "2030-12-03T09:00",
            "time_zone": "Asia/Jakarta",
        },
        ["a", "b"],
    )
    assert form.channels == ["b"] and form.text == "Base\ntext" and form.text_for("b") == "Base\ntext"
    assert form.variants_payload() == [
        {"channel_id": "b", "text": None, "media": [{"url": "https://x.example/p.jpg", "alt_text": "A cup"}]}
    ]
    assert form.publish_payload() == {"publish_at": "2030-12-03T09:00", "time_zone": "Asia/Jakarta"}
