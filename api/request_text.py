"""Text that cannot be stored is refused before any route sees it.

JSON may spell a lone surrogate ("\\ud800"), and Python's JSON reader passes it through as a str that no
database, hash or Temporal payload can encode; PostgreSQL cannot store a NUL character ("\\u0000", or %00 in
a URL) in text at all. Both used to fail as a 500, sometimes after part of a change was stored. Every JSON
body, form body (the web pages' forms, url-encoded or multipart: field names, values and file names), query
and path parameter is checked once here, whatever reads it (dict-typed fields included), so a new field
cannot forget it; the answer is the usual 422 naming each field (a page's route answers a 422 page: web.app).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from starlette.datastructures import UploadFile

NOT_UNICODE = "is not valid Unicode text (a lone surrogate such as \\ud800): send the characters you meant"
HOLDS_NUL = "holds a NUL character (\\u0000), which text cannot: leave it out"


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class UnstorableText(RequestValidationError):
    """A parameter or body holds text that cannot be stored (a 422: JSON for the API, a page for a page)."""


def _content_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def _reads_as_json(request: Request) -> bool:
    # The bodies FastAPI reads as JSON: no content type, application/json, or any +json type.
    kind = _content_type(request)
    return not kind or kind == "application/json" or kind.endswith("+json")


def text_problem(text: str) -> str | None:
    if "\x00" in text:
        return HOLDS_NUL
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return NOT_UNICODE
    return None


def unstorable(value: Any, where: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Where a JSON value holds a string (or an object key) that cannot be stored, and why."""
    if isinstance(value, str):
        problem = text_problem(value)
        if problem:
            yield where, problem
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from unstorable(key, where)
            yield from unstorable(item, (*where, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from unstorable(item, (*where, index))


async def refuse_unstorable_text(request: Request) -> None:
    """An app-wide dependency: 422 for a parameter or JSON body holding text that cannot be stored."""
    found: dict[tuple[str | int, ...], str] = {}
    for where, params in (("path", request.path_params), ("query", request.query_params)):
        for name, value in params.items():
            if isinstance(value, str) and (problem := text_problem(value)):
                found[(where, name)] = problem
    if _reads_as_json(request) and await request.body():
        try:
            data = await request.json()  # parsed once: FastAPI has read it already and Starlette keeps it
        except ValueError:
            data = None  # not JSON at all: FastAPI has refused it before any dependency runs
        for loc, problem in unstorable(data):
            found.setdefault(("body", *loc), problem)
    elif _content_type(request) in FORM_TYPES:
        # Parsed once: Starlette keeps the form on the request, which the page then reads.
        for name, value in (await request.form()).multi_items():
            text = (value.filename or "") if isinstance(value, UploadFile) else value
            for problem in filter(None, (text_problem(name), text_problem(text))):
                found.setdefault(("body", name), problem)
    if found:
        raise UnstorableText(
            [{"loc": loc, "msg": msg, "type": "unstorable_text", "input": None} for loc, msg in found.items()]
        )
