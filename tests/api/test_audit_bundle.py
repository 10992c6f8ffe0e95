"""The verification bundle (exported over HTTP, verified offline by `postgate audit verify --bundle`) and the
trail's channel filter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
from sqlalchemy.engine import Engine
from test_audit_api import AUDIT, SETUP, draft, entries, http, trail  # noqa: F401 (fixtures)

from api_client import as_user

REPO = Path(__file__).resolve().parents[2]


def verify_offline(bundle: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """The command an outsider runs; no database (its URL points nowhere) and no server."""
    env = {**os.environ, "POSTGATE_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}
    return subprocess.run(
        [sys.executable, "-m", "cli", "audit", "verify", "--bundle", str(bundle), *extra],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_a_bundle_exported_over_http_verifies_offline_and_a_tampered_byte_is_named(
    http: httpx.AsyncClient,  # noqa: F811
    trail: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    r = await http.post(f"{AUDIT}/checkpoints", headers=as_user("ada"))
    assert r.status_code == 201, r.text
    await draft(http, "ed", "After the checkpoint")
    r = await http.get(f"{AUDIT}/bundle", headers=as_user("aud"))
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    lines = r.text.splitlines()
    head = json.loads(lines[0])
    assert head["format"] == "postgate-audit-bundle/1" and head["public_keys"][0]["key_id"].startswith("ed25519:")
    assert [json.loads(line)["kind"] for line in lines[1:3]] == ["checkpoint", "entry"]
    bundle = tmp_path / "bundle.jsonl"
    bundle.write_text(r.text, encoding="utf-8")

    intact = verify_offline(bundle)
    assert intact.returncode == 0, intact.stdout + intact.stderr
    total = len(lines) - 2
    assert f"acme: intact up to entry {total}, last signed checkpoint at entry {total - 1}" in intact.stdout

    # One byte of entry SETUP + 2 (the second post's "created"): its author's id, ada -> adb.
    target = next(i for i, line in enumerate(lines) if f'"chain_index":{SETUP + 2},' in line)
    assert '"actor":"ada"' in lines[target]
    tampered = list(lines)
    tampered[target] = lines[target].replace('"actor":"ada"', '"actor":"adb"')
    bundle.write_text("\n".join(tampered) + "\n", encoding="utf-8")

    broken = verify_offline(bundle)
    assert broken.returncode == 1
    assert f"broken at entry {SETUP + 2} (post {trail['second']}, created)" in broken.stdout
    assert "do not match its hash" in broken.stdout


async def test_a_rewritten_chain_fails_against_the_signature(
    http: httpx.AsyncClient,  # noqa: F811
    trail: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    assert (await http.post(f"{AUDIT}/checkpoints", headers=as_user("ada"))).status_code == 201
    lines = (await http.get(f"{AUDIT}/bundle", headers=as_user("aud"))).text.splitlines()
    checkpoint = json.loads(lines[1])
    last = checkpoint["signed_at"][-2]
    checkpoint["signed_at"] = checkpoint["signed_at"][:-2] + ("1" if last != "1" else "2") + "Z"  # another instant
    lines[1] = json.dumps(checkpoint)
    bundle = tmp_path / "bundle.jsonl"
    bundle.write_text("\n".join(lines) + "\n", encoding="utf-8")

    out = verify_offline(bundle)
    assert out.returncode == 1 and "signature is invalid" in out.stdout


async def test_the_channel_filter_finds_the_posts_on_it_and_the_changes_to_it(
    http: httpx.AsyncClient,  # noqa: F811
    trail: dict[str, str],  # noqa: F811
    engine: Engine,
) -> None:
    on_sbx = await entries(http, channel="sbx")
    assert {e["post_id"] for e in on_sbx if e["post_id"]} == set(trail.values())
    assert [e["action"] for e in on_sbx if not e["post_id"]] == ["channel_created"]
    assert await entries(http, channel="elsewhere") == []
    assert await entries(http, channel='sbx%"') == []
