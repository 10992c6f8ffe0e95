"""/docs and /redoc work offline: every asset they load is served by postgate, as pinned (issue 10, item 18)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator

import httpx
import pytest

from api.app import create_app
from api.docs_pages import ASSETS
from settings import Settings


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(), None, None)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://postgate.test") as client:
        yield client


def _references(html: str) -> list[str]:
    """Every URL the page loads: src, href, spec-url and the Swagger UI config's url."""
    found = re.findall(r"""(?:src|href|spec-url)\s*=\s*["']([^"']+)["']""", html)
    found += re.findall(r"""\burl:\s*'([^']+)'""", html)
    return found


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_a_docs_page_loads_nothing_from_another_host(http: httpx.AsyncClient, page: str) -> None:
    r = await http.get(page)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert not re.search(r"https?://", r.text), "the page names another host"
    references = _references(r.text)
    assert references, r.text
    for url in references:
        assert url.startswith("/"), url
        asset = await http.get(url)
        assert asset.status_code == 200, url
        name = url.rsplit("/", 1)[1]
        if name in ASSETS:
            assert hashlib.sha256(asset.content).hexdigest() == ASSETS[name][1], name
    assert (await http.get("/docs/oauth2-redirect")).status_code == 200


async def test_only_the_pinned_assets_are_served(http: httpx.AsyncClient) -> None:
    assert (await http.get("/docs/assets/core.py")).status_code == 404
    assert (await http.get("/docs/assets/..%2F__init__.py")).status_code == 404
