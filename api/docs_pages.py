"""/docs (Swagger UI) and /redoc from assets installed with the `fastapi-offline` package, served by
postgate itself: FastAPI's own pages load them from a CDN and are blank offline.

The package is pinned in pyproject.toml and each asset's SHA-256 here: an asset that differs (another
version installed, a file changed on disk) is not served, so the pages never run code nobody reviewed.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib.resources import files

from fastapi import FastAPI, HTTPException
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, Response

ASSET_PATH = "/docs/assets"
# fastapi-offline 1.7.7: Swagger UI 5 and Redoc 2 (both read OpenAPI 3.1).
ASSETS: dict[str, tuple[str, str]] = {
    "swagger-ui-bundle.js": (
        "text/javascript",
        "4b5a9b35a1adf37f00d39c0bae23cdb37007e2946240ef035137cc85b4d55349",
    ),
    "swagger-ui.css": ("text/css", "ca238f7d7c2cf4480c1e77a9c3b9da915ab216e96ffd354e69076560c650c6de"),
    "redoc.standalone.js": (
        "text/javascript",
        "1320f442151c57c447d3b70c7ffc6c4f86d08464020fe34c8cc5d3164e9944f0",
    ),
    "favicon.png": ("image/png", "d16f72cf5a2773eba499cc7f3db1923c6f5f73de990f739e3a05806aafec15b7"),
}


class AssetMismatch(Exception):
    pass


@cache
def asset(name: str) -> bytes:
    """The asset's bytes, once its hash is the pinned one."""
    data = (files("fastapi_offline") / "static" / name).read_bytes()
    if hashlib.sha256(data).hexdigest() != ASSETS[name][1]:
        raise AssetMismatch(f"{name} is not the pinned file: reinstall the version pyproject.toml names")
    return data


def install_docs_pages(app: FastAPI) -> None:
    """Call on an app made with docs_url=None and redoc_url=None."""
    openapi_url = app.openapi_url or "/openapi.json"
    favicon = f"{ASSET_PATH}/favicon.png"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=app.swagger_ui_oauth2_redirect_url,
            swagger_js_url=f"{ASSET_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSET_PATH}/swagger-ui.css",
            swagger_favicon_url=favicon,
            # Swagger UI would otherwise show a badge fetched from validator.swagger.io.
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get(app.swagger_ui_oauth2_redirect_url or "/docs/oauth2-redirect", include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{ASSET_PATH}/redoc.standalone.js",
            redoc_favicon_url=favicon,
            with_google_fonts=False,
        )

    @app.get(ASSET_PATH + "/{name}", include_in_schema=False)
    def docs_asset(name: str) -> Response:
        if name not in ASSETS:
            raise HTTPException(404, f"no docs asset '{name}'")
        try:
            data = asset(name)
        except AssetMismatch as err:
            raise HTTPException(404, str(err)) from None
        return Response(data, media_type=ASSETS[name][0], headers={"Cache-Control": "public, max-age=86400"})
