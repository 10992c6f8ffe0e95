"""Static files: pinned third-party files checked against their recorded hashes, and postgate's own.

Every URL carries the file's content hash (`/static/htmx.min.js?v=1a2b...`), so the files can be cached
for a year: a new file is a new URL."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC_DIR = Path(__file__).parent / "static"
MANIFEST = STATIC_DIR / "MANIFEST.json"
CACHE_FOREVER = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class PinnedFile:
    file: str
    version: str
    source: str
    sha256: str
    licence: str
    licence_sha256: str


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def pinned_files(manifest: Path = MANIFEST) -> list[PinnedFile]:
    entries = json.loads(manifest.read_text())["files"]
    return [PinnedFile(**{k: e[k] for k in PinnedFile.__dataclass_fields__}) for e in entries]


def mismatches(manifest: Path = MANIFEST) -> list[str]:
    """What differs between a manifest and the files beside it (empty: every file is the pinned one)."""
    problems = []
    for pinned in pinned_files(manifest):
        for name, expected in ((pinned.file, pinned.sha256), (pinned.licence, pinned.licence_sha256)):
            path = manifest.parent / name
            if not path.is_file():
                problems.append(f"{name}: missing")
            elif (actual := sha256_of(path)) != expected:
                problems.append(f"{name}: sha256 {actual}, manifest says {expected}")
    return problems


@cache
def asset_url(name: str) -> str:
    """The URL of a static file, busted by its content hash."""
    return f"/static/{name}?v={sha256_of(STATIC_DIR / name)[:12]}"


class CachedStaticFiles(StaticFiles):
    """StaticFiles whose answers may be cached for a year (the URLs change when the files do)."""

    def file_response(
        self, full_path: str | os.PathLike[str], stat_result: os.stat_result, scope: Scope, status_code: int = 200
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = CACHE_FOREVER
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def static_files() -> CachedStaticFiles:
    return CachedStaticFiles(directory=STATIC_DIR)
