"""The files postgate serves to browsers are the pinned ones, and are served with long cache headers."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx
from fastapi import FastAPI

from web.assets import CACHE_FOREVER, MANIFEST, asset_url, mismatches, static_files

VENDOR_MANIFEST = Path(__file__).parent / "vendor" / "MANIFEST.json"


def test_every_pinned_file_has_its_recorded_hash_and_licence() -> None:
    assert mismatches(MANIFEST) == []
    assert mismatches(VENDOR_MANIFEST) == []
    names = [e["file"] for e in json.loads(MANIFEST.read_text())["files"]]
    assert "htmx.min.js" in names


def test_a_changed_file_is_caught(tmp_path: Path) -> None:
    copy = tmp_path / "static"
    shutil.copytree(MANIFEST.parent, copy)
    (copy / "htmx.min.js").write_text("alert('not htmx')")
    (copy / "htmx.LICENSE").unlink()

    problems = mismatches(copy / "MANIFEST.json")

    assert any(p.startswith("htmx.min.js: sha256") for p in problems)
    assert "htmx.LICENSE: missing" in problems


async def test_static_files_are_served_with_a_year_of_caching() -> None:
    app = FastAPI()
    app.mount("/static", static_files(), name="static")
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://postgate")

    url = asset_url("htmx.min.js")
    r = await client.get(url)

    assert url.startswith("/static/htmx.min.js?v=")
    assert r.status_code == 200 and r.content == (MANIFEST.parent / "htmx.min.js").read_bytes()
    assert r.headers["cache-control"] == CACHE_FOREVER
    assert r.headers["content-type"].startswith("text/javascript")
    css = await client.get(asset_url("postgate.css"))
    assert css.status_code == 200 and css.headers["cache-control"] == CACHE_FOREVER
    assert (await client.get("/static/../settings.py")).status_code == 404
