"""Text that is not Unicode is refused before any route sees it.

JSON may spell a lone surrogate ("\\ud800"), and Python's JSON reader passes it through as a str that no
database, hash or Temporal payload can encode: it used to fail as a 500 after part of a change was stored.
Every JSON body is checked once here, whatever model reads it (dict-typed fields included), so a new field
cannot forget it; the answer is the usual 422 naming each field.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError

PROBLEM = "is not valid Unicode text (a lone surrogate such as \\ud800): send the characters you meant"


def _reads_as_json(request: Request) -> bool:
    # The bodies FastAPI reads as JSON: no content type, application/json, or any +json type.
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return not kind or kind == "application/json" or kind.endswith("+json")


def unencodable(value: Any, where: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    """The location of every string (or object key) in a JSON value that UTF-8 cannot encode."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            yield where
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from unencodable(key, where)
            yield from unencodable(item, (*where, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from unencodable(item, (*where, index))


async def refuse_unencodable_text(request: Request) -> None:
    """An app-wide dependency: 422 for a JSON body holding text that is not Unicode."""
    if not _reads_as_json(request) or not await request.body():
        return
    try:
        data = await request.json()  # parsed once: FastAPI has read it already and Starlette keeps it
    except ValueError:
        return  # not JSON at all: FastAPI has refused it before any dependency runs
    found = [
        {"loc": ("body", *loc), "msg": PROBLEM, "type": "unencodable_text", "input": None}
        for loc in dict.fromkeys(unencodable(data))
    ]
    if found:
        raise RequestValidationError(found)
