"""My settings: my language and time zone, on my account (PUT /me/preferences's own function)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.responses import RedirectResponse, Response

from api.deps import Actor, context
from api.routes_auth import Preferences, put_preferences
from web.i18n import LOCALE_COOKIE, negotiate_locale
from web.pages import render, signed_form
from web.session import WORKSPACE_COOKIE, csrf_token, reader_of, signed_in, to_sign_in
from web.views_settings import settings_view

router = APIRouter(include_in_schema=False)


async def _page(request: Request, user: Actor, *, status_code: int = 200, **extra: object) -> Response:
    reader = reader_of(request)
    browser = negotiate_locale(request.cookies.get(LOCALE_COOKIE), request.headers.get("accept-language"))
    view = await settings_view(
        context(request),
        user,
        reader,
        csrf=csrf_token(request),
        remembered_workspace=request.cookies.get(WORKSPACE_COOKIE),
        browser_locale=browser,
        **extra,  # type: ignore[arg-type]
    )
    return render(request, "settings.html", reader, status_code=status_code, view=view, chrome=view.chrome)


@router.get("/account/preferences")
async def settings_page(request: Request) -> Response:
    user = await signed_in(request)
    if user is None:
        return to_sign_in(request)
    return await _page(request, user, saved=request.query_params.get("saved") == "1")


@router.post("/account/preferences")
async def save_settings(request: Request) -> Response:
    sent = await signed_form(request)
    if isinstance(sent, Response):
        return sent
    form, user = sent
    locale, zone = str(form.get("locale", "")), str(form.get("time_zone", ""))
    try:
        body = Preferences.model_validate({"locale": locale or None, "time_zone": zone or None})
    except ValidationError as err:
        reader = reader_of(request)
        errors = {
            str(e["loc"][0]): reader.gettext("Choose a language from the list.")
            if e["loc"][0] == "locale"
            else reader.gettext("Choose a time zone from the list.")
            for e in err.errors()
        }
        return await _page(request, user, status_code=422, locale=locale, time_zone=zone, errors=errors)
    await asyncio.to_thread(put_preferences, body, context(request), user)
    return RedirectResponse("/account/preferences?saved=1", status_code=303)
