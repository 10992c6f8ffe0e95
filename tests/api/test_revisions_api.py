"""Revisions over HTTP: a post on two channels with variants, the diff between revisions, comments on a
revision (in the audit trail too), and the projection untouched by comments."""

from __future__ import annotations

import httpx

from api_client import as_user, setup_workspace, submitted_post, wait_status


async def test_variants_diff_and_comments(api: httpx.AsyncClient) -> None:
    await setup_workspace(api)
    r = await api.post(
        "/workspaces/acme/channels", json={"id": "short", "name": "Short", "max_length": 80}, headers=as_user("ada")
    )
    assert r.status_code == 201, r.text
    created = await api.post(
        "/posts",
        json={
            "channel_ids": ["sbx", "short"],
            "text": "Our spring line is here.\nTwelve colours, all recycled cotton.",
            "variants": [{"channel_id": "short", "text": "Spring line: out now."}],
        },
        headers=as_user("ed"),
    )
    assert created.status_code == 201, created.text
    post = created.json()
    assert post["channel_ids"] == ["sbx", "short"]
    assert [c["channel_id"] for c in post["channels"]] == ["sbx", "short"]
    revised = await api.post(
        f"/posts/{post['id']}/revisions",
        json={
            "text": "Our spring line is here.\nTwelve colours, all organic cotton.",
            "variants": [
                {
                    "channel_id": "short",
                    "text": "Spring line: out today.",
                    "media": [{"url": "https://cdn.example/spring.jpg", "alt_text": "Folded shirts in twelve colours"}],
                }
            ],
        },
        headers=as_user("ed"),
    )
    assert revised.status_code == 201, revised.text
    assert revised.json()["content_hash"] != post["revision"]["content_hash"]  # variants are in the hash

    listed = (await api.get(f"/posts/{post['id']}/revisions", headers=as_user("ann"))).json()
    assert [r["number"] for r in listed["revisions"]] == [1, 2] and listed["next_cursor"] is None
    page = (await api.get(f"/posts/{post['id']}/revisions", params={"limit": 1}, headers=as_user("ann"))).json()
    assert [r["number"] for r in page["revisions"]] == [1] and page["next_cursor"] == "1"

    diff = (await api.get(f"/posts/{post['id']}/revisions/2/diff", headers=as_user("ann"))).json()
    base, short = diff["texts"]
    assert (diff["from_revision"], diff["to_revision"]) == (1, 2)
    assert base["channel_id"] is None and base["changed"]
    assert "-Twelve colours, all recycled cotton.\n+Twelve colours, all organic cotton.\n" in base["unified"]
    assert short["channel_id"] == "short" and "+Spring line: out today.\n" in short["unified"]
    assert diff["media_changed"] == ["short"]
    first = await api.get(f"/posts/{post['id']}/revisions/1/diff", headers=as_user("ann"))
    assert first.status_code == 404 and "against" in first.json()["message"]

    said = await api.post(
        f"/posts/{post['id']}/revisions/2/comments",
        json={"body": "Say 'organic' only if certified.", "channel_id": "sbx", "quote": "organic cotton"},
        headers=as_user("ann"),
    )
    assert said.status_code == 201, said.text
    elsewhere = await api.post(
        f"/posts/{post['id']}/revisions/2/comments", json={"body": "x", "channel_id": "nope"}, headers=as_user("ann")
    )
    assert elsewhere.status_code == 422 and "nope" in elsewhere.json()["message"]
    missing = await api.post(f"/posts/{post['id']}/revisions/9/comments", json={"body": "x"}, headers=as_user("ann"))
    assert missing.status_code == 404

    comments = (await api.get(f"/posts/{post['id']}/revisions/2/comments", headers=as_user("ed"))).json()
    assert [(c["author"], c["quote"]) for c in comments["comments"]] == [("ann", "organic cotton")]
    assert (await api.get(f"/posts/{post['id']}/revisions/1/comments", headers=as_user("ed"))).json()["comments"] == []
    trail = (await api.get(f"/posts/{post['id']}/audit", headers=as_user("ed"))).json()["entries"]
    assert [e["action"] for e in trail] == ["created", "draft_revised", "commented"]
    assert trail[-1]["actor"] == "ann" and trail[-1]["revision"] == 2
    assert trail[-1]["detail"]["body"] == "Say 'organic' only if certified."
    # A long trail comes in pages, in the same order.
    first = (await api.get(f"/posts/{post['id']}/audit", params={"limit": 2}, headers=as_user("ed"))).json()
    rest = await api.get(f"/posts/{post['id']}/audit", params={"cursor": first["next_cursor"]}, headers=as_user("ed"))
    assert [e["action"] for e in first["entries"] + rest.json()["entries"]] == [e["action"] for e in trail]
    assert rest.json()["next_cursor"] is None


async def test_a_comment_never_moves_the_status(api: httpx.AsyncClient) -> None:
    await setup_workspace(api)
    post = await submitted_post(api)
    r = await api.post(f"/posts/{post['id']}/revisions/1/comments", json={"body": "Looks good"}, headers=as_user("ann"))
    assert r.status_code == 201, r.text
    again = await wait_status(api, post["id"], "ann", "awaiting_approval")
    listed = (await api.get("/posts", params={"workspace_id": "acme"}, headers=as_user("ann"))).json()["posts"]
    assert again["status"] == "awaiting_approval"
    assert [p["status"] for p in listed if p["id"] == post["id"]] == ["awaiting_approval"]
