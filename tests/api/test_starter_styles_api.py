"""A workspace created with a starter style (POST /workspaces `starter_style`) has it as its style,
stored, versioned and audited like an upload; posts are checked with it; a bad name is a 422."""

from __future__ import annotations

import httpx

from api_client import add_user, as_user, bootstrap_user


async def _create(api: httpx.AsyncClient, ws: str, **extra: object) -> httpx.Response:
    return await api.post("/workspaces", json={"id": ws, "name": ws.title(), **extra}, headers=as_user("ada"))


async def test_indonesian_starter_style_checks_posts_and_is_audited(api: httpx.AsyncClient) -> None:
    bootstrap_user("ada", "Ada")
    r = await _create(api, "toko", starter_style="id-social")
    assert r.status_code == 201, r.text
    style = (await api.get("/workspaces/toko/style", headers=as_user("ada"))).json()
    assert style["names"] == ["SocialID"] and "SocialID.KataDepan" in style["rules"]
    assert style["uploaded_by"] == "ada"
    await add_user(api, "toko", "ed", "editor", admin="ada")
    r = await api.post(
        "/workspaces/toko/channels", json={"id": "sbx", "name": "Sandbox", "max_length": 280}, headers=as_user("ada")
    )
    assert r.status_code == 201, r.text
    r = await api.post(
        "/workspaces/toko/brand/check",
        json={"text": "Promo dirumah, resiko kecil. Ditulis di rumah.", "channel_id": "sbx"},
        headers=as_user("ed"),
    )
    assert r.status_code == 200, r.text
    found = {(f["rule"], f["match"]) for f in r.json()["findings"] if f["rule"].startswith("SocialID.")}
    assert found == {("SocialID.KataDepan", "dirumah"), ("SocialID.KataBaku", "resiko")}
    assert r.json()["style_version"] == style["version"]
    trail = (await api.get("/workspaces/toko/audit", params={"limit": 100}, headers=as_user("ada"))).json()
    actions = [entry["action"] for entry in trail["entries"] if entry["post_id"] == ""]
    assert "style_changed" in actions and "workspace_created" in actions
    changed = next(entry for entry in trail["entries"] if entry["action"] == "style_changed")
    assert changed["detail"]["after"]["version"] == style["version"]


async def test_english_starter_and_no_starter(api: httpx.AsyncClient) -> None:
    bootstrap_user("ada", "Ada")
    assert (await _create(api, "shop", starter_style="en-social")).status_code == 201
    style = (await api.get("/workspaces/shop/style", headers=as_user("ada"))).json()
    assert style["names"] == ["SocialEN"]
    assert (await _create(api, "plain")).status_code == 201
    assert (await api.get("/workspaces/plain/style", headers=as_user("ada"))).status_code == 404


async def test_unknown_starter_style_is_refused_and_creates_nothing(api: httpx.AsyncClient) -> None:
    bootstrap_user("ada", "Ada")
    r = await _create(api, "nope", starter_style="fr-social")
    assert r.status_code == 422 and "starter_style" in r.text
    assert (await api.get("/workspaces/nope/style", headers=as_user("ada"))).status_code in (403, 404)
