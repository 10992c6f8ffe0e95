"""The Jinja2 environment of the pages: autoescaped, gettext through the reader in the template's context,
and one filter for instants and one for numbers, both in the reader's language and zone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context
from jinja2_fragments.fastapi import Jinja2Blocks
from markupsafe import Markup

from web.assets import asset_url
from web.i18n import LANGUAGE_NAMES, LOCALES, Reader

TEMPLATES_DIR = Path(__file__).parent / "templates"


def _reader(ctx: Context) -> Reader:
    reader: Reader = ctx["reader"]
    return reader


@pass_context
def _gettext(ctx: Context, message: str) -> str:
    return _reader(ctx).gettext(message)


@pass_context
def _ngettext(ctx: Context, singular: str, plural: str, n: int) -> str:
    return _reader(ctx).ngettext(singular, plural, n)


@pass_context
def _instant(ctx: Context, moment: Any) -> Markup:
    """<time datetime="2026-12-08T02:00:00+00:00">Tue 8 Dec 09:00 WIB</time>"""
    text = _reader(ctx).instant(moment)
    return Markup('<time datetime="{}">{}</time>').format(moment.isoformat(), text)


@pass_context
def _number(ctx: Context, value: float) -> str:
    return _reader(ctx).number(value)


def make_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters["instant"] = _instant
    env.filters["number"] = _number
    env.globals["asset_url"] = asset_url
    env.globals["locales"] = [(code, LANGUAGE_NAMES[code]) for code in LOCALES]
    return env


templates = Jinja2Blocks(env=make_environment())
