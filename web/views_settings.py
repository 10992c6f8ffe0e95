"""My settings: the language and time zone I read the web app in, kept on my account."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace

from api.deps import Actor, AppContext
from api.schemas import zone_names
from web import services
from web.i18n import LANGUAGE_NAMES, LOCALES, Reader
from web.views import Chrome, chosen_workspace, chrome_for


@dataclass
class SettingsView:
    chrome: Chrome
    locale: str  # "" = from my browser
    time_zone: str  # "" = from my browser
    languages: list[tuple[str, str]]  # (code, name in its own language)
    zones: list[str]
    browser_locale: str  # what "from my browser" gives now
    errors: dict[str, str] = field(default_factory=dict)
    saved: bool = False


async def settings_view(
    ctx: AppContext,
    user: Actor,
    tr: Reader,
    *,
    csrf: str,
    remembered_workspace: str | None,
    browser_locale: str,
    locale: str | None = None,
    time_zone: str | None = None,
    errors: dict[str, str] | None = None,
    saved: bool = False,
) -> SettingsView:
    workspace_id = chosen_workspace(user, None, remembered_workspace)
    chrome = await asyncio.to_thread(chrome_for, ctx, user, workspace_id, csrf, tr)
    if workspace_id is not None:
        chrome = replace(chrome, waiting_count=len(await services.waiting_for(ctx, user, workspace_id)))
    return SettingsView(
        chrome=chrome,
        locale=user.locale or "" if locale is None else locale,
        time_zone=user.time_zone or "" if time_zone is None else time_zone,
        languages=[(code, LANGUAGE_NAMES[code]) for code in LOCALES],
        zones=sorted(zone_names()),
        browser_locale=LANGUAGE_NAMES[browser_locale],
        errors=errors or {},
        saved=saved,
    )
