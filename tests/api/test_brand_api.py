"""Brand styles over the API: upload a Vale style as a zip or YAML, list its rules, check text with it."""

from __future__ import annotations

import io
import zipfile

import httpx

from api_client import add_user, as_user, bootstrap_user, setup_workspace, submitted_post, wait_status

HYPE = "extends: existence\nlevel: error\nmessage: \"Drop '%s'.\"\nignorecase: true\ntokens: [synergy, disrupt]\n"
TERMS = "GitHub\n"


def zipped(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
    return buffer.getvalue()


async def upload(api: httpx.AsyncClient, body: bytes, content_type: str, user: str = "ada") -> httpx.Response:
    return await api.put(
        "/workspaces/acme/style", content=body, headers={**as_user(user), "content-type": content_type}
    )


async def test_upload_zip_list_rules_and_check_text(api: httpx.AsyncClient) -> None:
    await setup_workspace(api)
    style = zipped({"Acme/Hype.yml": HYPE, "config/vocabularies/Acme/accept.txt": TERMS})
    r = await upload(api, style, "application/zip")
    assert r.status_code == 200, r.text
    version = r.json()["version"]
    assert r.json()["names"] == ["Acme"] and "Acme.Hype" in r.json()["rules"]
    assert (await api.get("/workspaces/acme/style", headers=as_user("ed"))).json()["version"] == version

    r = await api.post(
        "/workspaces/acme/brand/check",
        json={"text": "We DISRUPT coffee.\nStar us on Github", "channel_id": "sbx"},
        headers=as_user("ed"),
    )
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["style_version"] == version and answer["blocking"] is True
    found = {(f["rule"], f["match"], f["line"], f["column"]) for f in answer["findings"]}
    assert ("Acme.Hype", "DISRUPT", 1, 4) in found
    assert ("Vale.Terms", "Github", 2, 12) in found
    assert any(f["replacement"] == "GitHub" for f in answer["findings"] if f["rule"] == "Vale.Terms")

    # The same upload again is the same version, not a new one.
    assert (await upload(api, style, "application/zip")).json()["version"] == version


async def test_the_lifecycle_blocks_on_the_uploaded_style(api: httpx.AsyncClient) -> None:
    await setup_workspace(api)
    yaml_style = "styles:\n  Acme:\n    Hype:\n" + "".join(f"      {line}\n" for line in HYPE.splitlines())
    r = await upload(api, yaml_style.encode(), "application/yaml")
    assert r.status_code == 200, r.text
    post = await api.post(
        "/posts", json={"channel_id": "sbx", "text": "Pure synergy.", "submit": True}, headers=as_user("ed")
    )
    blocked = await wait_status(api, post.json()["id"], "ed", "changes_needed")
    assert [f["rule"] for f in blocked["findings"]] == ["Acme.Hype"]
    trail = (await api.get(f"/posts/{blocked['id']}/audit", headers=as_user("ed"))).json()["entries"]
    assert trail[-1]["detail"]["style_version"] == r.json()["version"]


async def test_bad_styles_are_refused_with_what_to_fix_and_keep_the_old_style(api: httpx.AsyncClient) -> None:
    await setup_workspace(api)
    good = await upload(api, zipped({"Acme/Hype.yml": HYPE}), "application/zip")
    bad = await upload(
        api, zipped({"Acme/Spell.yml": "extends: spelling\nmessage: x\ndictionaries: [xx_XX]\n"}), "application/zip"
    )
    assert bad.status_code == 422 and bad.json()["error"] == "invalid_style"
    assert bad.json()["details"][0]["file"].endswith("Spell.yml")
    assert (await upload(api, b"not a zip", "application/zip")).status_code == 422
    assert (await upload(api, b"x", "image/png")).status_code == 415
    assert (await upload(api, zipped({"Acme/Hype.yml": HYPE}), "application/zip", user="ed")).status_code == 403
    current = (await api.get("/workspaces/acme/style", headers=as_user("ed"))).json()
    assert current["version"] == good.json()["version"]


async def test_a_rule_postgate_cannot_run_is_skipped_and_named_not_refusing_the_style(
    api: httpx.AsyncClient,
) -> None:
    await setup_workspace(api)
    sequence = "extends: sequence\nmessage: x\ntokens: [{tag: NN}]\n"
    r = await upload(api, zipped({"Acme/Hype.yml": HYPE, "Acme/Grammar.yml": sequence}), "application/zip")
    assert r.status_code == 200, r.text
    assert r.json()["rules"] == ["Acme.Hype"]
    [skipped] = r.json()["skipped"]
    assert skipped["rule"] == "Acme.Grammar" and skipped["file"] == "Acme/Grammar.yml"
    assert "rule type 'sequence' is not supported" in skipped["reason"]
    listed = (await api.get("/workspaces/acme/style", headers=as_user("ed"))).json()
    assert listed["skipped"] == r.json()["skipped"]


async def test_social_rules_apply_to_posts(api: httpx.AsyncClient) -> None:
    await setup_workspace(api)
    r = await api.put(
        "/workspaces/acme/social-rules",
        json={"hashtags": {"max_count": 1, "level": "error"}},
        headers=as_user("ada"),
    )
    assert r.status_code == 200, r.text
    bad = await api.put("/workspaces/acme/social-rules", json={"hashtags": {"max_count": -1}}, headers=as_user("ada"))
    assert bad.status_code == 422 and bad.json()["details"][0]["field"].startswith("hashtags")
    post = await api.post(
        "/posts", json={"channel_id": "sbx", "text": "Hi #one #two", "submit": True}, headers=as_user("ed")
    )
    blocked = await wait_status(api, post.json()["id"], "ed", "changes_needed")
    assert [f["rule"] for f in blocked["findings"]] == ["Social.Hashtags"]
    assert (await submitted_post(api, "Hi #one"))["findings"] == []


async def test_channel_settings_override_the_workspace(api: httpx.AsyncClient) -> None:
    await setup_workspace(api)
    admin = as_user("ada")
    bad = await api.put(
        "/workspaces/acme/channels/sbx",
        json={"name": "X", "social_overrides": {"hashtags": {"casing": "shouty"}}},
        headers=admin,
    )
    assert bad.status_code == 422 and "casing" in bad.text
    settings = {
        "name": "Our X account",
        "counts_as": "x",
        "social_overrides": {"hashtags": {"max_count": 1, "level": "error"}},
        "approval_policy": {"steps": [{"name": "social lead", "users": ["ann"]}]},
    }
    r = await api.put("/workspaces/acme/channels/sbx", json=settings, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["counts_as"] == "x" and r.json()["approval_policy"]["steps"][0]["users"] == ["ann"]
    assert (await api.put("/workspaces/acme/channels/nope", json=settings, headers=admin)).status_code == 404
    # X counts every link as 23 and CJK as 2: 140 CJK characters are 280, one more is over.
    check = await api.post(
        "/workspaces/acme/brand/check", json={"text": "字" * 141, "channel_id": "sbx"}, headers=as_user("ed")
    )
    assert [f["rule"] for f in check.json()["findings"]] == ["Social.Length"]
    check = await api.post(
        "/workspaces/acme/brand/check", json={"text": "Hi #one #two", "channel_id": "sbx"}, headers=as_user("ed")
    )
    assert [f["rule"] for f in check.json()["findings"]] == ["Social.Hashtags"]
    # The channel's own approval policy applies to its posts: only ann signs.
    await add_user(api, "acme", "bo", "approver")
    post = await submitted_post(api, "Hello X")
    decision = {"decision": "approve", "content_hash": post["revision"]["content_hash"]}
    refused = await api.post(f"/posts/{post['id']}/decisions", json=decision, headers=as_user("bo"))
    assert refused.status_code == 403 and refused.json()["error"] == "not_an_approver"
    assert (await api.post(f"/posts/{post['id']}/decisions", json=decision, headers=as_user("ann"))).status_code == 200


async def test_post_text_is_normalised_to_nfc(api: httpx.AsyncClient) -> None:
    """'café' typed with a combining accent is the same text: the same hash, and the same brand findings."""
    from domain.content import content_hash

    bootstrap_user("kadmin")
    body = {"id": "kopi", "name": "Kopi", "banned_words": ["café"]}
    admin = as_user("kadmin")
    assert (await api.post("/workspaces", json=body, headers=admin)).status_code == 201
    await add_user(api, "kopi", "ked", "editor", admin="kadmin")
    await api.post("/workspaces/kopi/channels", json={"id": "ksbx", "name": "Sandbox"}, headers=admin)
    decomposed = "Our cafe\u0301 opens today"
    r = await api.post("/posts", json={"channel_id": "ksbx", "text": decomposed}, headers=as_user("ked"))
    assert r.status_code == 201
    assert r.json()["revision"]["text"] == "Our caf\u00e9 opens today"
    assert r.json()["revision"]["content_hash"] == content_hash("Our caf\u00e9 opens today")
    check = await api.post(
        "/workspaces/kopi/brand/check", json={"text": decomposed, "channel_id": "ksbx"}, headers=as_user("ked")
    )
    assert [f["match"] for f in check.json()["findings"]] == ["caf\u00e9"]


async def test_a_catastrophic_pattern_is_refused_at_upload_naming_the_rule(api: httpx.AsyncClient) -> None:
    await setup_workspace(api)
    slow = "extends: existence\nmessage: \"'%s'\"\nraw: ['(a|a)+b']\n"
    r = await upload(api, zipped({"Acme/Hype.yml": HYPE, "Acme/Slow.yml": slow}), "application/zip")
    assert r.status_code == 422 and r.json()["error"] == "invalid_style"
    [detail] = r.json()["details"]
    assert detail["file"] == "Acme/Slow.yml"
    assert "Acme.Slow" in detail["problem"] and "(a|a)+b" in detail["problem"]
    assert (await api.get("/workspaces/acme/style", headers=as_user("ed"))).status_code == 404
